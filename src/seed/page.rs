//! One page of a visit: the pageview, what a visitor does on that kind of page (one method
//! each), then what can happen on any page (signing in, a custom event, a resize, a tab
//! switch), the click that leads to the next page and the engagement ping on leaving.
//!
//! The order of the random draws here is the generated data: reordering two lines changes every
//! seeded data set, which the golden test in `tests.rs` notices.

use crate::model::{CommerceAction, EventData, FormAction};

use super::catalog::{CartLine, Page};
use super::gestures::Scroll;
use super::plan::Step;
use super::tables::{CUSTOM_EVENTS, POSTS};
use super::visit::{Order, Visit};

impl Visit<'_> {
    /// A crawler's page: the view, sometimes a scroll to the bottom, and a pause.
    pub(super) fn bot_page(&mut self, page: Page, referrer: Option<String>) {
        self.pageview(page, referrer);
        if self.rng.chance(0.3) {
            let y = self.rng.int(500, 4000);
            self.push_in(
                200,
                1500,
                EventData::Scroll {
                    x: 0,
                    y,
                    depth_pct: Some(100),
                    viewport_height: None,
                },
            );
        }
        self.t += self.rng.range(500, 4_000);
    }

    /// A human's page, step `i` of the plan, followed by `next` (`None` on the last page).
    pub(super) fn page(
        &mut self,
        step: Step,
        i: usize,
        next: Option<Page>,
        referrer: Option<String>,
    ) {
        let page_start = self.t;
        self.pageview(step.page, referrer);
        // footfall.js reports the viewport as each page loads.
        let (width, height) = self.screen;
        self.push_in(5, 60, EventData::Resize { width, height });
        let view = self.screen.1;
        self.scroll = Scroll {
            depth: 0,
            doc: self.rng.int(view * 2, view * 7),
            view,
        };
        match step.page {
            Page::Product(p) => self.product(p, step.add_to_cart),
            Page::Products => self.shop(),
            Page::Cart => self.cart_page(next),
            Page::Checkout => self.checkout(),
            Page::ThankYou => self.thank_you(),
            Page::Orders => self.orders(),
            Page::Blog(_) => self.blog_post(),
            Page::Home => self.home(),
            Page::About => self.about(),
        }
        if self.identify_step == Some(i) {
            self.sign_in();
        }
        self.asides();
        if next.is_some() && self.rng.chance(0.03) {
            self.quick_back(step.page);
        }
        self.navigate(next);
        self.leave(page_start, next.is_none());
    }

    fn pageview(&mut self, page: Page, referrer: Option<String>) {
        let title = Some(self.cat.titles[page.index()].clone());
        let url = self.url.clone();
        self.push(
            0,
            EventData::Pageview {
                url,
                title,
                referrer,
            },
        );
    }

    /// A product page: viewed, perhaps its picture clicked, perhaps added to the cart.
    fn product(&mut self, p: u8, add_to_cart: bool) {
        let viewed = CartLine {
            product: p,
            quantity: 1,
            variant: None,
        };
        let ev = self
            .cat
            .line_event(CommerceAction::ViewItem, self.usd, viewed);
        self.push_in(50, 400, ev);
        self.browse(2, 8);
        if self.rng.chance(0.25) {
            self.click("img.product-image", None);
        }
        if add_to_cart {
            let variant = self.cat.variants(p).map(|vs| self.rng.pick(vs));
            if let Some(v) = variant {
                self.click("button.size-option", Some(v));
                // The size picker's bug: an error right after the click.
                if self.rng.chance(0.25) {
                    self.script_error(20, 400);
                }
            }
            let quantity = if self.rng.chance(0.85) {
                1
            } else {
                self.rng.range(2, 3)
            };
            self.click("#add-to-cart", Some("Add to cart"));
            let line = CartLine {
                product: p,
                quantity,
                variant,
            };
            let ev = self
                .cat
                .line_event(CommerceAction::AddToCart, self.usd, line);
            self.push_in(30, 300, ev);
            self.cart.push(line);
        }
        self.browse(0, 5);
    }

    /// The product list, where some visitors search.
    fn shop(&mut self) {
        self.browse(2, 8);
        if self.rng.chance(0.25) {
            self.search();
        }
        self.browse(0, 6);
    }

    /// The cart: a line may be removed (never the last one of a session that goes on to
    /// check out), then the checkout button if checkout comes next.
    fn cart_page(&mut self, next: Option<Page>) {
        self.browse(1, 4);
        let can_remove = self.cart.len() > 1 || (self.funnel < 3 && !self.cart.is_empty());
        if can_remove
            && self.rng.chance(0.15)
            && let Some(line) = self.cart.pop()
        {
            self.click("button.remove", Some("Remove"));
            let ev = self
                .cat
                .line_event(CommerceAction::RemoveFromCart, self.usd, line);
            self.push_in(30, 300, ev);
        }
        if next == Some(Page::Checkout) {
            self.click("button.checkout", Some("Checkout"));
        }
    }

    /// The checkout form: filled in and submitted by buyers, partly filled and abandoned by
    /// the others.
    fn checkout(&mut self) {
        let (value, items) = self.cat.cart(&self.cart, self.usd);
        let ev = self
            .cat
            .commerce(CommerceAction::BeginCheckout, self.usd, value, None, items);
        self.push_in(50, 400, ev);
        self.browse(1, 4);
        // Field, and whether it takes digits.
        let fields: &[(&str, bool)] = &[
            ("name", false),
            ("email", false),
            ("address", false),
            ("postcode", true),
            ("card", true),
        ];
        let buys = self.funnel >= 4;
        let filled = if buys {
            fields.len()
        } else {
            self.rng.range(0, 3) as usize
        };
        for &(field, digits) in &fields[..filled] {
            self.type_in("checkout", field, (500, 3_000), (4, 16), digits);
            self.form(FormAction::Change, "checkout", Some(field), 100, 600);
        }
        if buys {
            self.form(FormAction::Submit, "checkout", None, 500, 3_000);
            self.click("button.buy", Some("Place order"));
        } else if filled > 0 {
            self.form(FormAction::Abandon, "checkout", None, 2_000, 30_000);
        }
    }

    /// The confirmation page, where the purchase is recorded.
    fn thank_you(&mut self) {
        let (value, items) = self.cat.cart(&self.cart, self.usd);
        let transaction = *self.next_order;
        *self.next_order += 1;
        let txn = self.transaction_id(transaction);
        let ev = self
            .cat
            .commerce(CommerceAction::Purchase, self.usd, value, Some(txn), items);
        self.push_in(50, 400, ev);
        self.new_order = Some(Order {
            transaction,
            value,
            usd: self.usd,
        });
        self.browse(1, 4);
    }

    /// The user's orders, where an earlier purchase is refunded.
    fn orders(&mut self) {
        self.browse(1, 4);
        if let Some(order) = self.last_order.take() {
            self.click("button.refund", Some("Request refund"));
            let txn = self.transaction_id(order.transaction);
            let ev = self.cat.commerce(
                CommerceAction::Refund,
                order.usd,
                order.value,
                Some(txn),
                Vec::new(),
            );
            self.push_in(200, 1_500, ev);
        }
    }

    /// A journal post: long reads, sometimes the lookbook video.
    fn blog_post(&mut self) {
        self.browse(4, 14);
        if self.rng.chance(0.15) {
            self.media();
        }
        self.browse(0, 6);
    }

    /// The home page, with the newsletter form.
    fn home(&mut self) {
        self.browse(2, 9);
        if self.rng.chance(0.05) {
            self.newsletter();
        }
    }

    fn about(&mut self) {
        self.browse(2, 9);
    }

    /// The login form, then the identify call that ties the session to the user.
    fn sign_in(&mut self) {
        self.type_in("login", "email", (500, 2_000), (8, 20), false);
        self.form(FormAction::Submit, "login", None, 300, 2_000);
        let traits = if self.rng.chance(0.3) {
            r#"{"plan":"pro"}"#
        } else {
            r#"{"plan":"free"}"#
        };
        let ev = EventData::Identify {
            user_id: self.user_id.clone(),
            traits: Some(traits.to_owned()),
        };
        self.push_in(200, 1_500, ev);
    }

    /// A link that did not lead where the visitor wanted: to the about page (or, from there,
    /// home) and back within a few seconds.
    fn quick_back(&mut self, here: Page) {
        let away = if here == Page::About {
            Page::Home
        } else {
            Page::About
        };
        let at = (self.rng.int(20, self.screen.0 - 20), self.rng.int(10, 70));
        self.click_at(at, "a.nav-link", Some(away.nav_label()));
        let back_to = std::mem::replace(&mut self.url, self.cat.urls[away.index()].clone());
        self.pageview(away, Some(back_to.clone()));
        self.push_in(300, 2_000, EventData::Engagement { engaged_ms: 300 });
        self.url = back_to;
        self.t += self.rng.range(500, 2_500);
        self.pageview(here, None);
    }

    /// What may happen on any page: a custom event, a window resize, a tab switch, a
    /// script error.
    fn asides(&mut self) {
        if self.rng.chance(0.04) {
            let (name, props) = self.rng.pick(CUSTOM_EVENTS);
            let ev = EventData::Custom {
                name: name.to_owned(),
                props: props.map(str::to_owned),
            };
            self.push_in(300, 5_000, ev);
        }
        if !self.touch && self.rng.chance(0.01) {
            let (w, h) = self.screen;
            let ev = EventData::Resize {
                width: w - self.rng.int(100, 600),
                height: h - 140,
            };
            self.push_in(500, 10_000, ev);
        }
        if self.rng.chance(0.005) {
            self.script_error(500, 20_000);
        }
        if self.rng.chance(0.05) {
            // Switched tabs for a while.
            self.push_in(1_000, 20_000, EventData::Visibility { visible: false });
            self.push_in(2_000, 90_000, EventData::Visibility { visible: true });
        }
    }

    /// Navigation to the next page is a click on a link to it (checkout and the thank-you page
    /// follow a button clicked already).
    fn navigate(&mut self, next: Option<Page>) {
        match next {
            Some(Page::Checkout | Page::ThankYou) | None => {}
            Some(Page::Product(p)) => {
                let cat = self.cat;
                self.click("a.product-card", Some(cat.name(p)));
            }
            Some(Page::Blog(b)) => self.click("a.post-link", Some(POSTS[b as usize].1)),
            Some(n) => {
                // In the header.
                let at = (self.rng.int(20, self.screen.0 - 20), self.rng.int(10, 70));
                let selector = if n == Page::Cart {
                    "a.cart-link"
                } else {
                    "a.nav-link"
                };
                self.click_at(at, selector, Some(n.nav_label()));
            }
        }
    }

    /// Leaving the page: hidden if it is the session's last, then the engagement ping, which
    /// counts a share of the time since `page_start`.
    fn leave(&mut self, page_start: i64, last: bool) {
        if last {
            self.push_in(500, 20_000, EventData::Visibility { visible: false });
        }
        let dwell = (self.t - page_start).max(1);
        let engaged_ms = (dwell as f64 * (0.55 + 0.45 * self.rng.unit())) as i64;
        self.push_in(5, 80, EventData::Engagement { engaged_ms });
    }
}
