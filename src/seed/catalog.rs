//! The seeded shop itself: its pages, its fifty products with their prices in euros and
//! dollars, and the e-commerce events built from them.
//!
//! Every URL, title and product is made once per run from the site's first domain, so that the
//! per-event work is cloning, not formatting; page numbers index straight into the tables.

use crate::model::{Commerce, CommerceAction, Currency, EventData, Item, Site};

use super::tables::POSTS;

/// A page of the shop. Products and blog posts carry their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Page {
    Home,
    Products,
    Cart,
    Checkout,
    ThankYou,
    About,
    Orders,
    Product(u8),
    Blog(u8),
}

/// Pages before the first product in [`Catalog::urls`].
const FIXED_PAGES: usize = 7;
pub(super) const PRODUCTS: usize = 50;

impl Page {
    /// The page's place in [`Catalog::urls`] and [`Catalog::titles`].
    pub(super) fn index(self) -> usize {
        match self {
            Page::Home => 0,
            Page::Products => 1,
            Page::Cart => 2,
            Page::Checkout => 3,
            Page::ThankYou => 4,
            Page::About => 5,
            Page::Orders => 6,
            Page::Product(p) => FIXED_PAGES + p as usize,
            Page::Blog(b) => FIXED_PAGES + PRODUCTS + b as usize,
        }
    }

    /// The text of a navigation link to this page.
    pub(super) fn nav_label(self) -> &'static str {
        match self {
            Page::Home => "Home",
            Page::Products => "Shop",
            Page::Cart => "Cart",
            Page::Checkout => "Checkout",
            Page::ThankYou => "Place order",
            Page::About => "About us",
            Page::Orders => "My orders",
            Page::Product(_) => "View product",
            Page::Blog(_) => "Read more",
        }
    }
}

const CATEGORIES: [&str; 5] = ["Apparel", "Shoes", "Bags", "Home", "Electronics"];
/// Product nouns per category; a product's name is an adjective and one of these.
const NOUNS: [[&str; 10]; 5] = [
    [
        "T-Shirt", "Hoodie", "Jacket", "Sweater", "Shirt", "Jeans", "Shorts", "Cap", "Scarf",
        "Socks",
    ],
    [
        "Sneakers",
        "Runners",
        "Boots",
        "Loafers",
        "Sandals",
        "Trail Shoes",
        "Slip-Ons",
        "High-Tops",
        "Chelsea Boots",
        "Espadrilles",
    ],
    [
        "Backpack",
        "Tote",
        "Duffel",
        "Messenger Bag",
        "Wallet",
        "Belt Bag",
        "Laptop Sleeve",
        "Weekender",
        "Card Holder",
        "Crossbody",
    ],
    [
        "Mug",
        "Candle",
        "Throw Blanket",
        "Cushion",
        "Vase",
        "Lamp",
        "Plant Pot",
        "Coaster Set",
        "Carafe",
        "Wall Clock",
    ],
    [
        "Headphones",
        "Earbuds",
        "Speaker",
        "Charger",
        "Power Bank",
        "Phone Case",
        "Watch Band",
        "USB-C Cable",
        "Keyboard",
        "Mouse",
    ],
];
const ADJECTIVES: [&str; 10] = [
    "Classic", "Organic", "Alpine", "Urban", "Coastal", "Nordic", "Everyday", "Vintage", "Studio",
    "Trail",
];
/// Typical EUR price per category, in cents.
const BASE_PRICE: [i64; 5] = [3500, 8900, 6900, 2900, 4900];
const SIZES: [&str; 5] = ["XS", "S", "M", "L", "XL"];
const SHOE_SIZES: [&str; 6] = ["38", "39", "40", "41", "42", "43"];

struct Product {
    id: String,
    name: String,
    category: usize,
    eur: i64,
    usd: i64,
}

/// Some quantity of one product (in one variant) in a cart.
#[derive(Debug, Clone, Copy)]
pub(super) struct CartLine {
    pub(super) product: u8,
    pub(super) quantity: i64,
    pub(super) variant: Option<&'static str>,
}

pub(super) struct Catalog {
    /// Every page's URL, in [`Page::index`] order.
    pub(super) urls: Vec<String>,
    pub(super) titles: Vec<String>,
    products: Vec<Product>,
    /// The one video of the site (on the blog).
    pub(super) media: String,
    /// The shop's script, where its JavaScript errors come from.
    pub(super) script: String,
    /// Both parse (literals); an `Option` only because parsing is fallible in general.
    eur: Option<Currency>,
    usd: Option<Currency>,
    brand: String,
}

impl Catalog {
    pub(super) fn new(site: &Site) -> Catalog {
        let domain = site.domains.first().map_or("example.com", String::as_str);
        let base = format!("https://{domain}");
        let mut urls = Vec::new();
        let mut titles = Vec::new();
        let shop = "Footfall Goods";
        for (path, title) in [
            ("/", "Footfall Goods – Everyday things, made well"),
            ("/products", "Shop all – Footfall Goods"),
            ("/cart", "Your cart – Footfall Goods"),
            ("/checkout", "Checkout – Footfall Goods"),
            (
                "/checkout/thank-you",
                "Thank you for your order – Footfall Goods",
            ),
            ("/about", "About us – Footfall Goods"),
            ("/account/orders", "My orders – Footfall Goods"),
        ] {
            urls.push(format!("{base}{path}"));
            titles.push(title.to_owned());
        }
        let mut products = Vec::with_capacity(PRODUCTS);
        for i in 0..PRODUCTS {
            let (category, j) = (i % 5, i / 5);
            let name = format!(
                "{} {}",
                ADJECTIVES[(j * 3 + category) % 10],
                NOUNS[category][j]
            );
            // A fixed spread around the category's typical price, ending in .99.
            let factor = 60 + (i as i64 * 37) % 100;
            let eur = (BASE_PRICE[category] * factor / 10_000).max(1) * 100 - 1;
            let usd = (eur * 108 / 10_000 + 1) * 100 - 1;
            let id = format!("sku-{:03}", i + 1);
            urls.push(format!("{base}/product/{id}"));
            titles.push(format!("{name} – {shop}"));
            products.push(Product {
                id,
                name,
                category,
                eur,
                usd,
            });
        }
        for (slug, title) in POSTS {
            urls.push(format!("{base}/blog/{slug}"));
            titles.push(format!("{title} – {shop} Journal"));
        }
        Catalog {
            urls,
            titles,
            products,
            media: format!("{base}/media/lookbook.mp4"),
            script: format!("{base}/assets/app.js"),
            eur: Currency::parse("EUR").ok(),
            usd: Currency::parse("USD").ok(),
            brand: shop.to_owned(),
        }
    }

    pub(super) fn name(&self, p: u8) -> &str {
        &self.products[p as usize].name
    }

    /// The variants a product comes in (clothes and shoes have sizes), if any.
    pub(super) fn variants(&self, p: u8) -> Option<&'static [&'static str]> {
        match self.products[p as usize].category {
            0 => Some(&SIZES),
            1 => Some(&SHOE_SIZES),
            _ => None,
        }
    }

    fn price(&self, p: u8, usd: bool) -> i64 {
        let p = &self.products[p as usize];
        if usd { p.usd } else { p.eur }
    }

    fn item(&self, line: CartLine, usd: bool) -> Item {
        let prod = &self.products[line.product as usize];
        Item {
            item_id: prod.id.clone(),
            item_name: Some(prod.name.clone()),
            item_category: Some(CATEGORIES[prod.category].to_owned()),
            item_brand: Some(self.brand.clone()),
            item_variant: line.variant.map(str::to_owned),
            price_minor: Some(self.price(line.product, usd)),
            quantity: line.quantity,
        }
    }

    /// An event about one cart line (a product viewed, added or removed), worth its price
    /// times its quantity.
    pub(super) fn line_event(
        &self,
        action: CommerceAction,
        usd: bool,
        line: CartLine,
    ) -> EventData {
        let value = self.price(line.product, usd) * line.quantity;
        self.commerce(action, usd, value, None, vec![self.item(line, usd)])
    }

    /// The whole cart's value and items.
    pub(super) fn cart(&self, lines: &[CartLine], usd: bool) -> (i64, Vec<Item>) {
        let mut value = 0;
        let mut items = Vec::with_capacity(lines.len());
        for &line in lines {
            value += self.price(line.product, usd) * line.quantity;
            items.push(self.item(line, usd));
        }
        (value, items)
    }

    pub(super) fn commerce(
        &self,
        action: CommerceAction,
        usd: bool,
        value: i64,
        transaction_id: Option<String>,
        items: Vec<Item>,
    ) -> EventData {
        EventData::Commerce(Commerce {
            action,
            currency: if usd {
                self.usd.clone()
            } else {
                self.eur.clone()
            },
            value_minor: Some(value),
            transaction_id,
            items,
        })
    }
}
