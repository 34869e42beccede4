//! The pages a session will see, decided before any of them is played: how many (bounces and a
//! long tail), where it lands for its source, what it reads in between, and the funnel's pages
//! (product, cart, checkout, thank-you) at the end.

use super::catalog::{PRODUCTS, Page};
use super::rng::Rng;
use super::tables::{POSTS, Src};

/// One planned page of a session: the page, and whether its product goes into the cart.
#[derive(Debug, Clone, Copy)]
pub(super) struct Step {
    pub(super) page: Page,
    pub(super) add_to_cart: bool,
}

impl Step {
    fn to(page: Page) -> Step {
        Step {
            page,
            add_to_cart: false,
        }
    }
}

/// Fills `plan` with the pages of a session from `src` that goes `funnel` steps down the
/// funnel (0 none, 1 view_item, 2 add_to_cart, 3 begin_checkout, 4 purchase); a user with an
/// order (`has_order`) may look at it.
pub(super) fn plan_pages(
    rng: &mut Rng,
    plan: &mut Vec<Step>,
    src: Src,
    funnel: u8,
    has_order: bool,
) {
    // 1-12 pages: ~40% bounces, then a geometric tail.
    let mut pages = if rng.chance(0.43) { 1 } else { 2 };
    while pages > 1 && pages < 12 && rng.chance(0.62) {
        pages += 1;
    }
    // Some carts are looked at, then abandoned.
    let cart_only = funnel == 2 && rng.chance(0.4);
    let funnel_pages = match funnel {
        0 => 0,
        1 => 1,
        2 => 1 + usize::from(cart_only),
        3 => 3,
        _ => 4,
    };
    let pages = pages.max(funnel_pages);
    plan.clear();
    let mut prev = Page::Home;
    for k in 0..pages - funnel_pages {
        let page = if k == 0 {
            landing(rng, src)
        } else {
            filler(rng, prev, funnel >= 1)
        };
        let add_to_cart = funnel >= 2 && matches!(page, Page::Product(_)) && rng.chance(0.3);
        plan.push(Step { page, add_to_cart });
        prev = page;
    }
    if funnel >= 1 {
        let p = Page::Product(rng.popular(PRODUCTS) as u8);
        plan.push(Step {
            page: p,
            add_to_cart: funnel >= 2,
        });
    }
    if cart_only {
        plan.push(Step::to(Page::Cart));
    }
    if funnel >= 3 {
        plan.push(Step::to(Page::Cart));
        plan.push(Step::to(Page::Checkout));
    }
    if funnel >= 4 {
        plan.push(Step::to(Page::ThankYou));
    }
    if has_order && plan.len() < 12 && rng.chance(0.04) {
        plan.push(Step::to(Page::Orders));
    }
}

/// The first page: search and social visitors mostly land on the blog, direct ones at home.
fn landing(rng: &mut Rng, src: Src) -> Page {
    let blog = Page::Blog(rng.popular(POSTS.len()) as u8);
    let table: [(Page, u32); 4] = match src {
        Src::Direct | Src::Internal => [
            (Page::Home, 70),
            (Page::Products, 15),
            (Page::About, 5),
            (blog, 10),
        ],
        Src::Google | Src::Bing | Src::DuckDuckGo => [
            (Page::Home, 30),
            (Page::Products, 25),
            (Page::About, 0),
            (blog, 45),
        ],
        Src::Facebook | Src::Twitter | Src::HackerNews => [
            (Page::Home, 15),
            (Page::Products, 10),
            (Page::About, 2),
            (blog, 73),
        ],
        Src::Newsletter => [
            (Page::Home, 10),
            (Page::Products, 40),
            (Page::About, 0),
            (blog, 50),
        ],
    };
    rng.weighted(&table)
}

/// A page between landing and the funnel, never the page just seen; products only for
/// sessions that will look at one anyway.
fn filler(rng: &mut Rng, prev: Page, products: bool) -> Page {
    loop {
        let blog = Page::Blog(rng.popular(POSTS.len()) as u8);
        let product = Page::Product(rng.popular(PRODUCTS) as u8);
        let table: [(Page, u32); 5] = [
            (Page::Home, 15),
            (Page::Products, 30),
            (blog, 30),
            (Page::About, 5),
            (product, if products { 25 } else { 0 }),
        ];
        let page = rng.weighted(&table);
        if page != prev {
            return page;
        }
    }
}
