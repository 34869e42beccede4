//! Synthetic but plausible traffic for `footfall seed --site SITE --events N [--days D]`.
//!
//! Benchmarks and demos need millions of events that look like a real shop's: returning
//! visitors, bounces, e-commerce funnels, search, social and newsletter traffic, bots, people
//! who sign in half-way through a visit. Real traffic cannot be shared and hand-written fixtures
//! do not scale, so this module makes it up.
//!
//! Generation is pure: no I/O, no clock, no global RNG. The same [`SeedOptions`] always give the
//! same batches (tests check the shape of the data without a database), and it is cheap (several
//! million events a second on one core) so that writing to the store is the bottleneck when
//! seeding tens of millions of events. Batches are shaped the way ingestion would produce them:
//! enrichment (browser, country, source, anonymised IP) is filled in directly from small tables
//! instead of parsing made-up user agents or referrers.

use std::collections::HashMap;

use crate::model::{
    Batch, ClientInfo, Commerce, CommerceAction, Currency, DeviceClass, Event, EventData,
    FormAction, IpMode, Item, KeyClass, MediaAction, SessionId, Site, TouchAction, TrafficSource,
    VisitorId,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub site: Site,
    /// Exactly this many events are generated.
    pub events: u64,
    /// Sessions are spread over the last `days` days before `now_ms` (0 counts as 1).
    pub days: u32,
    pub now_ms: i64,
    /// Same seed, same output.
    pub rng_seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedStats {
    pub events: u64,
    pub sessions: u64,
    /// Distinct visitors with at least one session.
    pub visitors: u64,
    /// Purchase events.
    pub purchases: u64,
}

/// Events per append while seeding (`footfall seed`, the benchmarks): a little under three of
/// DuckDB's row groups (122,880 rows); ClickHouse splits its inserts itself. A DuckDB append
/// fills whole row groups and leaves its remainder in a partial one that the next append does
/// not fill, so a chunk just under a multiple (chunks end after a whole session) leaves nearly
/// full row groups. Measured at 1M events: 200k-event chunks 30.9 MB, this size 30.2 MB,
/// 120,880 (one row group, more commits) 34.4 MB; larger chunks cost memory and speed for
/// little more.
pub const CHUNK_EVENTS: usize = 3 * 122_880 - 2_000;

/// Generates `opts.events` events and hands them to `sink` in chunks of about `chunk_events`
/// events. A chunk holds whole sessions (only the very last session may be cut short to hit
/// the exact count), its batches sorted by their first event's time. Chunks come in roughly
/// chronological order. The first error from `sink` stops generation and is returned.
pub fn generate<E>(
    opts: &SeedOptions,
    chunk_events: usize,
    mut sink: impl FnMut(Vec<Batch>) -> Result<(), E>,
) -> Result<SeedStats, E> {
    let chunk_events = chunk_events.max(1);
    let mut g = Gen::new(opts);
    let mut chunk: Vec<Batch> = Vec::new();
    let mut in_chunk = 0usize;
    while g.emitted < opts.events {
        in_chunk += g.session(&mut chunk) as usize;
        if in_chunk >= chunk_events {
            chunk.sort_by_key(first_ts);
            let cap = chunk.capacity();
            sink(std::mem::replace(&mut chunk, Vec::with_capacity(cap)))?;
            in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        chunk.sort_by_key(first_ts);
        sink(chunk)?;
    }
    Ok(g.stats)
}

fn first_ts(b: &Batch) -> i64 {
    b.events.first().map_or(i64::MAX, |e| e.ts_ms)
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// SplitMix64: tiny, fast, and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    #[inline]
    fn int(&mut self, lo: i32, hi: i32) -> i32 {
        self.range(i64::from(lo), i64::from(hi)) as i32
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    #[inline]
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Picks from `(value, weight)` pairs.
    fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for &(v, w) in table {
            if r < w {
                return v;
            }
            r -= w;
        }
        table[table.len() - 1].0
    }

    /// Skewed towards 0: a few popular products and posts, a long tail.
    #[inline]
    fn popular(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * n as f64) as usize).min(n - 1)
    }
}

#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of `key + n` on 63 bits: event ids are unique within a run, fit a signed
/// BIGINT like stored ids do, and differ between seeds.
#[inline]
fn event_id(key: u64, n: u64) -> u64 {
    const M: u64 = (1 << 63) - 1;
    let mut x = key.wrapping_add(n) & M;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) & M;
    x ^= x >> 32;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB) & M;
    x ^ (x >> 29)
}

// ---------------------------------------------------------------------------------------------
// Static tables

/// A real user agent and what footfall's parser (uap-core families, major version) makes of it.
/// The user agent text itself is not stored anywhere; it documents the row and lets a test in
/// the enrichment layer check that the table agrees with the parser.
#[derive(Debug, Clone, Copy)]
pub struct Agent {
    pub ua: &'static str,
    pub browser: &'static str,
    pub version: &'static str,
    pub os: &'static str,
    pub device: DeviceClass,
    /// Relative share among human (or among bot) visitors.
    pub weight: u32,
}

const fn agent(
    ua: &'static str,
    browser: &'static str,
    version: &'static str,
    os: &'static str,
    device: DeviceClass,
    weight: u32,
) -> Agent {
    Agent {
        ua,
        browser,
        version,
        os,
        device,
        weight,
    }
}

/// Browsers of human visitors.
pub const AGENTS: &[Agent] = &[
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "131",
        "Windows",
        DeviceClass::Desktop,
        19,
    ),
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Chrome",
        "130",
        "Windows",
        DeviceClass::Desktop,
        6,
    ),
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Edge",
        "131",
        "Windows",
        DeviceClass::Desktop,
        6,
    ),
    agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox",
        "133",
        "Windows",
        DeviceClass::Desktop,
        4,
    ),
    agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "131",
        "Mac OS X",
        DeviceClass::Desktop,
        6,
    ),
    agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Safari",
        "18",
        "Mac OS X",
        DeviceClass::Desktop,
        5,
    ),
    agent(
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox",
        "133",
        "Linux",
        DeviceClass::Desktop,
        1,
    ),
    agent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "131",
        "Linux",
        DeviceClass::Desktop,
        1,
    ),
    agent(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Chrome Mobile",
        "131",
        "Android",
        DeviceClass::Mobile,
        20,
    ),
    agent(
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        "26",
        "Android",
        DeviceClass::Mobile,
        5,
    ),
    agent(
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Firefox Mobile",
        "133",
        "Android",
        DeviceClass::Mobile,
        1,
    ),
    agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "18",
        "iOS",
        DeviceClass::Mobile,
        17,
    ),
    agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Chrome Mobile iOS",
        "131",
        "iOS",
        DeviceClass::Mobile,
        3,
    ),
    agent(
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mobile Safari",
        "18",
        "iOS",
        DeviceClass::Tablet,
        4,
    ),
    agent(
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "131",
        "Android",
        DeviceClass::Tablet,
        2,
    ),
];

/// Crawlers that run JavaScript (so they reach a tracker at all).
pub const BOT_AGENTS: &[Agent] = &[
    agent(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        "2",
        "Other",
        DeviceClass::Bot,
        6,
    ),
    agent(
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "bingbot",
        "2",
        "Other",
        DeviceClass::Bot,
        3,
    ),
    agent(
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "AhrefsBot",
        "7",
        "Other",
        DeviceClass::Bot,
        1,
    ),
];

/// Share of visitors that are bots.
const BOT_SHARE: f64 = 0.02;
/// Share of visitors with an account.
const USER_SHARE: f64 = 0.30;

/// ISO country, typical browser language, weight.
const COUNTRIES: &[(&str, &str, u32)] = &[
    ("US", "en-US", 18),
    ("DE", "de-DE", 14),
    ("GB", "en-GB", 9),
    ("FR", "fr-FR", 8),
    ("NL", "nl-NL", 5),
    ("ES", "es-ES", 5),
    ("IT", "it-IT", 5),
    ("CA", "en-CA", 4),
    ("IN", "en-IN", 4),
    ("PL", "pl-PL", 3),
    ("SE", "sv-SE", 3),
    ("AT", "de-AT", 3),
    ("CH", "de-CH", 3),
    ("BR", "pt-BR", 3),
    ("AU", "en-AU", 3),
    ("BE", "nl-BE", 2),
    ("JP", "ja-JP", 2),
    ("DK", "da-DK", 2),
    ("IE", "en-IE", 2),
    ("PT", "pt-PT", 2),
];

/// First octets of public IPv4 ranges, for addresses that look real once truncated.
const FIRST_OCTETS: &[u8] = &[
    2, 5, 23, 24, 31, 37, 46, 50, 62, 66, 73, 77, 78, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90, 91,
    92, 93, 94, 95, 98, 104, 107, 108, 109, 151, 173, 176, 178, 185, 188, 193, 194, 195, 212, 213,
    217,
];

const DESKTOP_SCREENS: &[(i32, i32)] = &[
    (1920, 1080),
    (1536, 864),
    (1440, 900),
    (2560, 1440),
    (1366, 768),
    (1680, 1050),
];
const MOBILE_SCREENS: &[(i32, i32)] = &[
    (390, 844),
    (393, 873),
    (412, 915),
    (360, 800),
    (430, 932),
    (375, 667),
];
const TABLET_SCREENS: &[(i32, i32)] = &[(820, 1180), (768, 1024), (810, 1080), (800, 1280)];

const CATEGORIES: [&str; 5] = ["Apparel", "Shoes", "Bags", "Home", "Electronics"];
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

const POSTS: &[(&str, &str)] = &[
    ("how-to-choose-running-shoes", "How to choose running shoes"),
    ("spring-collection", "Our spring collection is here"),
    ("leather-care-guide", "A care guide for leather"),
    ("sustainability-report", "Our sustainability report"),
    ("weekend-packing-list", "The weekend packing list"),
    ("gift-ideas-under-50", "Gift ideas under 50"),
    ("behind-the-scenes", "Behind the scenes at the studio"),
    ("size-guide", "Size guide"),
    ("home-office-setup", "A calm home office setup"),
    ("coffee-brewing-basics", "Coffee brewing basics"),
    ("headphones-compared", "Headphones compared"),
    ("minimal-wardrobe", "Building a minimal wardrobe"),
];

const CAMPAIGNS: &[&str] = &[
    "spring-sale",
    "weekly-digest",
    "new-arrivals",
    "black-friday",
];

const CUSTOM_EVENTS: &[(&str, Option<&str>)] = &[
    ("cta_click", Some(r#"{"cta":"hero"}"#)),
    ("plan_selected", Some(r#"{"plan":"pro"}"#)),
    ("plan_selected", Some(r#"{"plan":"free"}"#)),
    ("share", Some(r#"{"network":"twitter"}"#)),
    ("share", Some(r#"{"network":"facebook"}"#)),
    ("chat_opened", None),
    ("size_guide_opened", Some(r#"{"from":"product"}"#)),
];

const MISC_CLICKS: &[(&str, Option<&str>)] = &[
    ("div.hero", None),
    ("a.logo", Some("Home")),
    ("button.menu-toggle", Some("Menu")),
    ("img.banner", None),
    ("a.footer-link", Some("Shipping")),
    ("a.footer-link", Some("Returns")),
    ("p", None),
    ("button.cookie-accept", Some("Accept")),
];

/// How a session arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Src {
    Direct,
    Google,
    Bing,
    DuckDuckGo,
    Facebook,
    Twitter,
    HackerNews,
    Newsletter,
    Internal,
}

const SOURCES: &[(Src, u32)] = &[
    (Src::Direct, 28),
    (Src::Google, 27),
    (Src::Bing, 5),
    (Src::DuckDuckGo, 3),
    (Src::Facebook, 8),
    (Src::Twitter, 4),
    (Src::HackerNews, 3),
    (Src::Newsletter, 9),
    (Src::Internal, 13),
];

impl Src {
    /// Referrer URL, referrer host (as enrichment stores it: no `www.`), source, medium.
    fn referrer(self) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
        match self {
            Src::Google => Some(("https://www.google.com/", "google.com", "Google", "search")),
            Src::Bing => Some(("https://www.bing.com/", "bing.com", "Bing", "search")),
            Src::DuckDuckGo => Some((
                "https://duckduckgo.com/",
                "duckduckgo.com",
                "DuckDuckGo",
                "search",
            )),
            Src::Facebook => Some((
                "https://l.facebook.com/",
                "l.facebook.com",
                "Facebook",
                "social",
            )),
            Src::Twitter => Some(("https://t.co/", "t.co", "Twitter", "social")),
            Src::HackerNews => Some((
                "https://news.ycombinator.com/",
                "news.ycombinator.com",
                "Hacker News",
                "social",
            )),
            Src::Direct | Src::Newsletter | Src::Internal => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The site: pages and products

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
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

const FIXED_PAGES: usize = 7;
const PRODUCTS: usize = 50;

impl Page {
    fn index(self) -> usize {
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
    fn nav_label(self) -> &'static str {
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

struct Product {
    id: String,
    name: String,
    category: usize,
    eur: i64,
    usd: i64,
}

struct Catalog {
    urls: Vec<String>,
    titles: Vec<String>,
    products: Vec<Product>,
    media: String,
    eur: Currency,
    usd: Currency,
    brand: String,
}

impl Catalog {
    fn new(site: &Site) -> Catalog {
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
            eur: Currency::parse("EUR").expect("valid currency"),
            usd: Currency::parse("USD").expect("valid currency"),
            brand: shop.to_owned(),
        }
    }

    fn price(&self, p: u8, usd: bool) -> i64 {
        let p = &self.products[p as usize];
        if usd { p.usd } else { p.eur }
    }

    fn item(&self, p: u8, quantity: i64, usd: bool, variant: Option<&'static str>) -> Item {
        let prod = &self.products[p as usize];
        Item {
            item_id: prod.id.clone(),
            item_name: Some(prod.name.clone()),
            item_category: Some(CATEGORIES[prod.category].to_owned()),
            item_brand: Some(self.brand.clone()),
            item_variant: variant.map(str::to_owned),
            price_minor: Some(self.price(p, usd)),
            quantity,
        }
    }

    fn commerce(
        &self,
        action: CommerceAction,
        usd: bool,
        value: i64,
        transaction_id: Option<String>,
        items: Vec<Item>,
    ) -> EventData {
        EventData::Commerce(Commerce {
            action,
            currency: Some(if usd {
                self.usd.clone()
            } else {
                self.eur.clone()
            }),
            value_minor: Some(value),
            transaction_id,
            items,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Visitors and sessions

/// A visitor's stable traits, derived from its number alone (no table of visitors is kept).
struct Visitor {
    n: u64,
    agent: &'static Agent,
    country: usize,
    english: bool,
    ip: u32,
    screen: (i32, i32),
    user: bool,
}

impl Visitor {
    fn bot(&self) -> bool {
        self.agent.device == DeviceClass::Bot
    }

    fn touch(&self) -> bool {
        matches!(self.agent.device, DeviceClass::Mobile | DeviceClass::Tablet)
    }

    /// Visitors in the US and Canada shop in dollars.
    fn usd(&self) -> bool {
        matches!(COUNTRIES[self.country].0, "US" | "CA")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignIn {
    Anonymous,
    Already,
    MidSession,
}

/// One planned page of a session: the page, and whether its product goes into the cart.
#[derive(Debug, Clone, Copy)]
struct Step {
    page: Page,
    add_to_cart: bool,
}

#[derive(Clone, Copy)]
struct Order {
    transaction: u64,
    value: i64,
    usd: bool,
}

/// Per-session state while its pages are generated.
struct Sess {
    usd: bool,
    touch: bool,
    screen: (i32, i32),
    funnel: u8,
    identify_step: Option<usize>,
    user_id: String,
    cart: Vec<(u8, i64, Option<&'static str>)>,
    last_order: Option<Order>,
    new_order: Option<Order>,
}

struct Gen<'a> {
    opts: &'a SeedOptions,
    cat: Catalog,
    rng: Rng,
    key: u64,
    start_ms: i64,
    /// Latest event time: a little before `now` so that `received_ms` is not in the future.
    last_ms: i64,
    /// Cumulative traffic weight at the end of each hour since `start_ms`.
    cum: Vec<f64>,
    bin: usize,
    n_visitors: u64,
    seen: Vec<u64>,
    orders: HashMap<u64, Order>,
    next_order: u64,
    session_no: u64,
    emitted: u64,
    stats: SeedStats,
    plan: Vec<Step>,
    evs: Vec<Event>,
    url: String,
    t: i64,
    /// Whether the current session's device has a touch screen (and an on-screen keyboard).
    touch: bool,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The tracker sends what it has every 15 s, and on navigation.
const FLUSH_MS: i64 = 15_000;
/// Relative traffic per UTC hour of the day.
const HOURLY: [f64; 24] = [
    0.25, 0.18, 0.14, 0.12, 0.14, 0.22, 0.40, 0.65, 0.90, 1.05, 1.15, 1.20, 1.25, 1.20, 1.20, 1.20,
    1.15, 1.10, 1.10, 1.15, 1.10, 0.90, 0.65, 0.40,
];

impl<'a> Gen<'a> {
    fn new(opts: &'a SeedOptions) -> Gen<'a> {
        let days = i64::from(opts.days.clamp(1, 3650));
        let start_ms = opts.now_ms - days * DAY_MS;
        let hours = (days * 24) as usize;
        let mut cum = Vec::with_capacity(hours);
        let mut total = 0.0;
        for h in 0..hours {
            let mid = start_ms + h as i64 * HOUR_MS + HOUR_MS / 2;
            let day = mid.div_euclid(DAY_MS);
            let hour = (mid.rem_euclid(DAY_MS) / HOUR_MS) as usize;
            // 1970-01-01 was a Thursday; 0 = Monday.
            let weekday = (day + 3).rem_euclid(7);
            let week = if weekday >= 5 { 0.8 } else { 1.05 };
            // A gentle upward trend over the period.
            let trend = 0.85 + 0.3 * h as f64 / hours as f64;
            total += HOURLY[hour] * week * trend;
            cum.push(total);
        }
        let key = mix64(opts.rng_seed ^ 0x5EED_F00D_CAFE_BABE);
        let n_visitors = (opts.events / 60).max(1);
        Gen {
            opts,
            cat: Catalog::new(&opts.site),
            rng: Rng(key),
            key,
            start_ms,
            last_ms: opts.now_ms - 1_000,
            cum,
            bin: 0,
            n_visitors,
            seen: vec![0; n_visitors.div_ceil(64) as usize],
            orders: HashMap::new(),
            next_order: 1,
            session_no: 0,
            emitted: 0,
            stats: SeedStats::default(),
            plan: Vec::with_capacity(16),
            evs: Vec::with_capacity(512),
            url: String::new(),
            t: 0,
            touch: false,
        }
    }

    /// The time at which a fraction `p` of the traffic has happened (inverse of the weighted
    /// time distribution). `p` never decreases between calls, so the bin search resumes.
    fn time_at(&mut self, p: f64) -> i64 {
        let total = *self.cum.last().expect("at least one hour");
        let target = p.clamp(0.0, 1.0) * total;
        while self.bin + 1 < self.cum.len() && self.cum[self.bin] < target {
            self.bin += 1;
        }
        let lo = if self.bin == 0 {
            0.0
        } else {
            self.cum[self.bin - 1]
        };
        let frac = ((target - lo) / (self.cum[self.bin] - lo)).clamp(0.0, 1.0);
        self.start_ms + self.bin as i64 * HOUR_MS + (frac * HOUR_MS as f64) as i64
    }

    fn visitor(&self, n: u64) -> Visitor {
        let mut r = Rng(mix64(self.key ^ n.wrapping_mul(0xD134_2543_DE82_EF95)));
        let agent = if r.chance(BOT_SHARE) {
            pick_agent(&mut r, BOT_AGENTS)
        } else {
            pick_agent(&mut r, AGENTS)
        };
        let total: u32 = COUNTRIES.iter().map(|c| c.2).sum();
        let mut x = r.below(u64::from(total)) as u32;
        let mut country = 0;
        for (i, c) in COUNTRIES.iter().enumerate() {
            if x < c.2 {
                country = i;
                break;
            }
            x -= c.2;
        }
        let ip = u32::from(r.pick(FIRST_OCTETS)) << 24 | (r.below(1 << 16) as u32) << 8;
        let screen = match agent.device {
            DeviceClass::Mobile => r.pick(MOBILE_SCREENS),
            DeviceClass::Tablet => r.pick(TABLET_SCREENS),
            DeviceClass::Bot => (1024, 1024),
            _ => r.pick(DESKTOP_SCREENS),
        };
        Visitor {
            n,
            agent,
            country,
            english: r.chance(0.15),
            ip,
            screen,
            user: agent.device != DeviceClass::Bot && r.chance(USER_SHARE),
        }
    }

    fn client(&self, v: &Visitor, day: i64) -> ClientInfo {
        let a = v.agent;
        let (country, lang) = (COUNTRIES[v.country].0, COUNTRIES[v.country].1);
        let ip = match self.opts.site.settings.ip_mode {
            IpMode::Truncate => {
                let [a, b, c, _] = v.ip.to_be_bytes();
                Some(format!("{a}.{b}.{c}.0"))
            }
            IpMode::Hash => Some(format!(
                "{:016x}",
                mix64(u64::from(v.ip) ^ self.key ^ (day as u64) << 32)
            )),
            IpMode::Drop => None,
        };
        let bot = a.device == DeviceClass::Bot;
        ClientInfo {
            browser: a.browser.to_owned(),
            browser_version: a.version.to_owned(),
            os: a.os.to_owned(),
            device: a.device,
            bot,
            country: Some(country.to_owned()),
            ip,
            screen_width: Some(v.screen.0),
            screen_height: Some(v.screen.1),
            language: Some(if v.english && !bot { "en-US" } else { lang }.to_owned()),
        }
    }

    /// Generates one session, appends its batches to `out` and returns its event count.
    fn session(&mut self, out: &mut Vec<Batch>) -> u64 {
        // A tenth of the visitors (the regulars) bring a third of the sessions.
        let n = if self.rng.chance(0.35) {
            self.rng.below((self.n_visitors / 10).max(1))
        } else {
            self.rng.below(self.n_visitors)
        };
        let v = self.visitor(n);
        let bot = v.bot();
        self.touch = v.touch();
        let p = (self.emitted as f64 + self.rng.unit() * 40.0) / self.opts.events as f64;
        self.t = self.time_at(p);
        let session_start = self.t;

        let src = if bot {
            Src::Direct
        } else {
            self.rng.weighted(SOURCES)
        };
        let r = self.rng.unit();
        let funnel = match () {
            _ if bot => 0,
            _ if r < 0.025 => 4, // purchase
            _ if r < 0.05 => 3,  // begin_checkout
            _ if r < 0.12 => 2,  // add_to_cart
            _ if r < 0.35 => 1,  // view_item
            _ => 0,
        };
        let sign_in = if !v.user {
            SignIn::Anonymous
        } else {
            self.rng.weighted(&[
                (SignIn::Already, 45),
                (SignIn::MidSession, 20),
                (SignIn::Anonymous, 35),
            ])
        };
        let last_order = if v.user {
            self.orders.get(&n).copied()
        } else {
            None
        };
        self.plan_pages(src, funnel, last_order.is_some());
        let identify_step = (sign_in == SignIn::MidSession)
            .then(|| self.rng.below(self.plan.len() as u64) as usize);
        let mut s = Sess {
            usd: v.usd(),
            touch: v.touch(),
            screen: v.screen,
            funnel,
            identify_step,
            user_id: format!("user-{}", n + 1),
            cart: Vec::new(),
            last_order,
            new_order: None,
        };

        self.evs.clear();
        let plan = std::mem::take(&mut self.plan);
        let mut prev_url: Option<String> = None;
        for (i, step) in plan.iter().enumerate() {
            let mut url = self.cat.urls[step.page.index()].clone();
            let referrer = match prev_url.take() {
                Some(prev) => Some(prev),
                None => self.first_referrer(src, &mut url),
            };
            self.url = url;
            let next = plan.get(i + 1).map(|s| s.page);
            if bot {
                self.bot_page(step.page, referrer);
            } else {
                self.page(&mut s, *step, i, next, referrer);
            }
            // Referrers carry no query (utm tags stay on the landing page).
            let mut prev = std::mem::take(&mut self.url);
            if let Some(q) = prev.find('?') {
                prev.truncate(q);
            }
            prev_url = Some(prev);
            self.t += self.rng.range(300, 2_500);
        }
        self.plan = plan;

        if let Some(order) = s.new_order {
            self.orders.insert(n, order);
        }
        let source = self.traffic_source(src);
        let sign_in_from_start = sign_in == SignIn::Already;
        let day = session_start.div_euclid(DAY_MS);
        self.emit(out, &v, day, source, sign_in_from_start, s.user_id)
    }

    /// Fills `self.plan` with the session's pages.
    fn plan_pages(&mut self, src: Src, funnel: u8, has_order: bool) {
        let rng = &mut self.rng;
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
        self.plan.clear();
        let mut prev = Page::Home;
        for k in 0..pages - funnel_pages {
            let page = if k == 0 {
                landing(rng, src)
            } else {
                filler(rng, prev, funnel >= 1)
            };
            let add_to_cart = funnel >= 2 && matches!(page, Page::Product(_)) && rng.chance(0.3);
            self.plan.push(Step { page, add_to_cart });
            prev = page;
        }
        if funnel >= 1 {
            let p = Page::Product(rng.popular(PRODUCTS) as u8);
            self.plan.push(Step {
                page: p,
                add_to_cart: funnel >= 2,
            });
        }
        if cart_only {
            self.plan.push(Step {
                page: Page::Cart,
                add_to_cart: false,
            });
        }
        if funnel >= 3 {
            self.plan.push(Step {
                page: Page::Cart,
                add_to_cart: false,
            });
            self.plan.push(Step {
                page: Page::Checkout,
                add_to_cart: false,
            });
        }
        if funnel >= 4 {
            self.plan.push(Step {
                page: Page::ThankYou,
                add_to_cart: false,
            });
        }
        if has_order && self.plan.len() < 12 && rng.chance(0.04) {
            self.plan.push(Step {
                page: Page::Orders,
                add_to_cart: false,
            });
        }
    }

    /// The landing page's referrer; adds the UTM tags to `url` for newsletter visits.
    fn first_referrer(&mut self, src: Src, url: &mut String) -> Option<String> {
        match src {
            Src::Newsletter => {
                let campaign = self.rng.pick(CAMPAIGNS);
                url.push_str("?utm_source=newsletter&utm_medium=email&utm_campaign=");
                url.push_str(campaign);
                None
            }
            Src::Internal => {
                // A tab left open: the "previous page" is on the site itself.
                let from = if self.rng.chance(0.5) {
                    Page::Home
                } else {
                    Page::Blog(self.rng.popular(POSTS.len()) as u8)
                };
                Some(self.cat.urls[from.index()].clone())
            }
            _ => src.referrer().map(|r| r.0.to_owned()),
        }
    }

    fn traffic_source(&self, src: Src) -> TrafficSource {
        let mut out = TrafficSource::default();
        if let Some((_, host, source, medium)) = src.referrer() {
            out.referrer_host = Some(host.to_owned());
            out.source = Some(source.to_owned());
            out.medium = Some(medium.to_owned());
        }
        match src {
            Src::Internal => out.medium = Some("internal".to_owned()),
            Src::Newsletter => {
                // The campaign is on the landing page's URL.
                let first = self.evs.first().map_or("", |e| e.url.as_str());
                let campaign = first.split("utm_campaign=").nth(1).unwrap_or("");
                out.source = Some("newsletter".to_owned());
                out.medium = Some("email".to_owned());
                out.utm_source = Some("newsletter".to_owned());
                out.utm_medium = Some("email".to_owned());
                out.utm_campaign = (!campaign.is_empty()).then(|| campaign.to_owned());
            }
            _ => {}
        }
        out
    }

    /// Pushes an event `lo..=hi` ms after the previous one.
    #[inline]
    fn push_in(&mut self, lo: i64, hi: i64, data: EventData) {
        let dt = self.rng.range(lo, hi);
        self.push(dt, data);
    }

    #[inline]
    fn push(&mut self, dt: i64, data: EventData) {
        self.t += dt.max(1);
        self.evs.push(Event {
            eid: 0,
            ts_ms: self.t,
            url: self.url.clone(),
            data,
        });
    }

    fn bot_page(&mut self, page: Page, referrer: Option<String>) {
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
        if self.rng.chance(0.3) {
            let y = self.rng.int(500, 4000);
            self.push_in(
                200,
                1500,
                EventData::Scroll {
                    x: 0,
                    y,
                    depth_pct: Some(100),
                },
            );
        }
        self.t += self.rng.range(500, 4_000);
    }

    /// A human's page: the view, browsing, what the page is for, navigation, engagement.
    fn page(
        &mut self,
        s: &mut Sess,
        step: Step,
        i: usize,
        next: Option<Page>,
        referrer: Option<String>,
    ) {
        let page = step.page;
        let page_start = self.t;
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
        let mut sc = Scroll {
            depth: 0,
            doc: self.rng.int(s.screen.1 * 2, s.screen.1 * 7),
            view: s.screen.1,
        };

        match page {
            Page::Product(p) => {
                let items = vec![self.cat.item(p, 1, s.usd, None)];
                let value = self.cat.price(p, s.usd);
                let ev = self
                    .cat
                    .commerce(CommerceAction::ViewItem, s.usd, value, None, items);
                self.push_in(50, 400, ev);
                self.browse(s, &mut sc, 2, 8);
                if self.rng.chance(0.25) {
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "img.product-image", None);
                }
                if step.add_to_cart {
                    let variant = match self.cat.products[p as usize].category {
                        0 => Some(self.rng.pick(&SIZES)),
                        1 => Some(self.rng.pick(&SHOE_SIZES)),
                        _ => None,
                    };
                    if let Some(v) = variant {
                        let (x, y) = self.point(s);
                        self.click(x, y, &sc, "button.size-option", Some(v));
                    }
                    let qty = if self.rng.chance(0.85) {
                        1
                    } else {
                        self.rng.range(2, 3)
                    };
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "#add-to-cart", Some("Add to cart"));
                    let items = vec![self.cat.item(p, qty, s.usd, variant)];
                    let value = self.cat.price(p, s.usd) * qty;
                    let ev =
                        self.cat
                            .commerce(CommerceAction::AddToCart, s.usd, value, None, items);
                    self.push_in(30, 300, ev);
                    s.cart.push((p, qty, variant));
                }
                self.browse(s, &mut sc, 0, 5);
            }
            Page::Products => {
                self.browse(s, &mut sc, 2, 8);
                if self.rng.chance(0.25) {
                    self.search();
                }
                self.browse(s, &mut sc, 0, 6);
            }
            Page::Cart => {
                self.browse(s, &mut sc, 1, 4);
                let can_remove = s.cart.len() > 1 || (s.funnel < 3 && !s.cart.is_empty());
                if can_remove && self.rng.chance(0.15) {
                    let (p, qty, variant) = s.cart.pop().expect("cart is not empty");
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "button.remove", Some("Remove"));
                    let items = vec![self.cat.item(p, qty, s.usd, variant)];
                    let value = self.cat.price(p, s.usd) * qty;
                    let ev = self.cat.commerce(
                        CommerceAction::RemoveFromCart,
                        s.usd,
                        value,
                        None,
                        items,
                    );
                    self.push_in(30, 300, ev);
                }
                if next == Some(Page::Checkout) {
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "button.checkout", Some("Checkout"));
                }
            }
            Page::Checkout => {
                let (value, items) = self.cart_items(s);
                let ev =
                    self.cat
                        .commerce(CommerceAction::BeginCheckout, s.usd, value, None, items);
                self.push_in(50, 400, ev);
                self.browse(s, &mut sc, 1, 4);
                let fields: &[(&str, bool)] = &[
                    ("name", false),
                    ("email", false),
                    ("address", false),
                    ("postcode", true),
                    ("card", true),
                ];
                let filled = if s.funnel >= 4 {
                    fields.len()
                } else {
                    self.rng.range(0, 3) as usize
                };
                for &(field, digits) in &fields[..filled] {
                    self.form(FormAction::Focus, "checkout", Some(field), 500, 3_000);
                    let n = self.rng.range(4, 16) as usize;
                    self.keys(n, digits);
                    self.form(FormAction::Change, "checkout", Some(field), 100, 600);
                }
                if s.funnel >= 4 {
                    self.form(FormAction::Submit, "checkout", None, 500, 3_000);
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "button.buy", Some("Place order"));
                } else if filled > 0 {
                    self.form(FormAction::Abandon, "checkout", None, 2_000, 30_000);
                }
            }
            Page::ThankYou => {
                let (value, items) = self.cart_items(s);
                let transaction = self.next_order;
                self.next_order += 1;
                let txn = format!("T-{:04x}-{transaction:07}", self.key & 0xffff);
                let ev =
                    self.cat
                        .commerce(CommerceAction::Purchase, s.usd, value, Some(txn), items);
                self.push_in(50, 400, ev);
                s.new_order = Some(Order {
                    transaction,
                    value,
                    usd: s.usd,
                });
                self.browse(s, &mut sc, 1, 4);
            }
            Page::Orders => {
                self.browse(s, &mut sc, 1, 4);
                if let Some(order) = s.last_order.take() {
                    let (x, y) = self.point(s);
                    self.click(x, y, &sc, "button.refund", Some("Request refund"));
                    let txn = format!("T-{:04x}-{:07}", self.key & 0xffff, order.transaction);
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
            Page::Blog(_) => {
                self.browse(s, &mut sc, 4, 14);
                if self.rng.chance(0.15) {
                    self.media();
                }
                self.browse(s, &mut sc, 0, 6);
            }
            Page::Home | Page::About => {
                self.browse(s, &mut sc, 2, 9);
                if page == Page::Home && self.rng.chance(0.05) {
                    self.newsletter();
                }
            }
        }

        if s.identify_step == Some(i) {
            self.form(FormAction::Focus, "login", Some("email"), 500, 2_000);
            let n = self.rng.range(8, 20) as usize;
            self.keys(n, false);
            self.form(FormAction::Submit, "login", None, 300, 2_000);
            let traits = if self.rng.chance(0.3) {
                r#"{"plan":"pro"}"#
            } else {
                r#"{"plan":"free"}"#
            };
            let ev = EventData::Identify {
                user_id: s.user_id.clone(),
                traits: Some(traits.to_owned()),
            };
            self.push_in(200, 1_500, ev);
        }
        if self.rng.chance(0.04) {
            let (name, props) = self.rng.pick(CUSTOM_EVENTS);
            let ev = EventData::Custom {
                name: name.to_owned(),
                props: props.map(str::to_owned),
            };
            self.push_in(300, 5_000, ev);
        }
        if !s.touch && self.rng.chance(0.01) {
            let (w, h) = s.screen;
            let ev = EventData::Resize {
                width: w - self.rng.int(100, 600),
                height: h - 140,
            };
            self.push_in(500, 10_000, ev);
        }
        if self.rng.chance(0.05) {
            // Switched tabs for a while.
            self.push_in(1_000, 20_000, EventData::Visibility { visible: false });
            self.push_in(2_000, 90_000, EventData::Visibility { visible: true });
        }

        // Navigation to the next page is a click on a link to it.
        match next {
            Some(Page::Checkout | Page::ThankYou) | None => {}
            Some(Page::Product(p)) => {
                let text = self.cat.products[p as usize].name.clone();
                let (x, y) = self.point(s);
                self.click_owned(x, y, &sc, "a.product-card", Some(text));
            }
            Some(Page::Blog(b)) => {
                let (x, y) = self.point(s);
                self.click(x, y, &sc, "a.post-link", Some(POSTS[b as usize].1));
            }
            Some(n) => {
                let (x, y) = (self.rng.int(20, s.screen.0 - 20), self.rng.int(10, 70));
                let selector = if n == Page::Cart {
                    "a.cart-link"
                } else {
                    "a.nav-link"
                };
                self.click(x, y, &sc, selector, Some(n.nav_label()));
            }
        }

        let last = next.is_none();
        if last {
            self.push_in(500, 20_000, EventData::Visibility { visible: false });
        }
        let dwell = (self.t - page_start).max(1);
        let engaged_ms = (dwell as f64 * (0.55 + 0.45 * self.rng.unit())) as i64;
        self.push_in(5, 80, EventData::Engagement { engaged_ms });
    }

    fn cart_items(&mut self, s: &Sess) -> (i64, Vec<Item>) {
        let mut value = 0;
        let mut items = Vec::with_capacity(s.cart.len());
        for &(p, qty, variant) in &s.cart {
            value += self.cat.price(p, s.usd) * qty;
            items.push(self.cat.item(p, qty, s.usd, variant));
        }
        (value, items)
    }

    /// Reading the page: pointer moves (or touches), scrolls going deeper, stray clicks, keys.
    fn browse(&mut self, s: &Sess, sc: &mut Scroll, min: i64, max: i64) {
        let n = self.rng.range(min, max);
        for _ in 0..n {
            let r = self.rng.below(100);
            if r < 50 {
                if s.touch {
                    let (x, y) = self.point(s);
                    self.push_in(
                        400,
                        4_000,
                        EventData::Touch {
                            action: TouchAction::Start,
                            x,
                            y,
                        },
                    );
                    let action = if self.rng.chance(0.7) {
                        TouchAction::Swipe
                    } else {
                        TouchAction::Tap
                    };
                    let ev = EventData::Touch {
                        action,
                        x,
                        y: (y - self.rng.int(0, 300)).max(0),
                    };
                    self.push_in(60, 400, ev);
                } else {
                    let moves = self.rng.range(2, 6);
                    for _ in 0..moves {
                        let (x, y) = self.point(s);
                        self.push_in(80, 900, EventData::Move { x, y });
                    }
                }
            } else if r < 85 {
                if sc.depth < 100 {
                    sc.depth = (sc.depth + self.rng.range(8, 30) as u8).min(100);
                    let y = (sc.doc - sc.view).max(0) * i32::from(sc.depth) / 100;
                    let ev = EventData::Scroll {
                        x: 0,
                        y,
                        depth_pct: Some(sc.depth),
                    };
                    self.push_in(500, 4_000, ev);
                }
            } else if r < 97 {
                let (selector, text) = self.rng.pick(MISC_CLICKS);
                let (x, y) = self.point(s);
                self.t += self.rng.range(300, 3_000);
                self.click(x, y, sc, selector, text);
            } else if !s.touch {
                // Keyboard scrolling or a shortcut.
                let class = if self.rng.chance(0.7) {
                    KeyClass::Navigation
                } else {
                    KeyClass::Modifier
                };
                self.push_in(300, 3_000, EventData::Key { class, raw: None });
            }
        }
    }

    fn point(&mut self, s: &Sess) -> (i32, i32) {
        (
            self.rng.int(0, s.screen.0 - 1),
            self.rng.int(0, s.screen.1 - 1),
        )
    }

    fn click(&mut self, x: i32, y: i32, sc: &Scroll, selector: &str, text: Option<&str>) {
        self.click_owned(x, y, sc, selector, text.map(str::to_owned));
    }

    fn click_owned(&mut self, x: i32, y: i32, sc: &Scroll, selector: &str, text: Option<String>) {
        let page_y = Some(y + (sc.doc - sc.view).max(0) * i32::from(sc.depth) / 100);
        let ev = EventData::Click {
            x,
            y,
            page_y,
            selector: selector.to_owned(),
            text,
        };
        self.push_in(200, 2_500, ev);
    }

    fn form(&mut self, action: FormAction, form: &str, field: Option<&str>, lo: i64, hi: i64) {
        let ev = EventData::Form {
            action,
            form: form.to_owned(),
            field: field.map(str::to_owned),
        };
        self.push_in(lo, hi, ev);
    }

    fn keys(&mut self, n: usize, digits: bool) {
        for _ in 0..n {
            let r = self.rng.below(100);
            let class = match r {
                0..=6 => KeyClass::Backspace,
                7..=11 if !digits => KeyClass::Punctuation,
                12..=17 if !digits => KeyClass::Whitespace,
                // Shift on a physical keyboard; touch keyboards do not report it.
                18..=20 if !self.touch => KeyClass::Modifier,
                _ if digits => KeyClass::Digit,
                _ => KeyClass::Letter,
            };
            self.push_in(60, 350, EventData::Key { class, raw: None });
        }
    }

    fn search(&mut self) {
        self.form(FormAction::Focus, "search", Some("q"), 300, 2_000);
        let n = self.rng.range(3, 9) as usize;
        self.keys(n, false);
        self.form(FormAction::Change, "search", Some("q"), 50, 300);
        if self.rng.chance(0.8) {
            self.push_in(
                100,
                800,
                EventData::Key {
                    class: KeyClass::Enter,
                    raw: None,
                },
            );
            self.form(FormAction::Submit, "search", None, 5, 50);
        } else {
            self.form(FormAction::Abandon, "search", None, 1_000, 10_000);
        }
    }

    fn newsletter(&mut self) {
        self.form(FormAction::Focus, "newsletter", Some("email"), 500, 3_000);
        let n = self.rng.range(10, 24) as usize;
        self.keys(n, false);
        self.form(FormAction::Change, "newsletter", Some("email"), 50, 300);
        if self.rng.chance(0.6) {
            self.form(FormAction::Submit, "newsletter", None, 300, 1_500);
            let ev = EventData::Custom {
                name: "newsletter_signup".to_owned(),
                props: Some(r#"{"list":"weekly"}"#.to_owned()),
            };
            self.push_in(100, 600, ev);
        } else {
            self.form(FormAction::Abandon, "newsletter", None, 2_000, 20_000);
        }
    }

    fn media(&mut self) {
        let src = self.cat.media.clone();
        let ev = EventData::Media {
            action: MediaAction::Play,
            src,
            position_ms: Some(0),
        };
        self.push_in(500, 5_000, ev);
        let watched = self.rng.range(3_000, 90_000);
        let (action, position) = if watched > 75_000 {
            (MediaAction::Ended, 75_000)
        } else {
            (MediaAction::Pause, watched)
        };
        let src = self.cat.media.clone();
        let ev = EventData::Media {
            action,
            src,
            position_ms: Some(position),
        };
        self.push(watched.min(75_000), ev);
    }

    /// Cuts the session to the events still wanted, keeps it inside the time window, numbers
    /// its events and splits it into batches the way the tracker sends them: a new batch on
    /// every page load, every 15 s, and right after an identify.
    fn emit(
        &mut self,
        out: &mut Vec<Batch>,
        v: &Visitor,
        day: i64,
        source: TrafficSource,
        signed_in: bool,
        user_id: String,
    ) -> u64 {
        let remaining = self.opts.events - self.emitted;
        if self.evs.len() as u64 > remaining {
            self.evs.truncate(remaining as usize);
        }
        let n = self.evs.len() as u64;
        if n == 0 {
            return 0;
        }
        if let Some(last) = self.evs.last()
            && last.ts_ms > self.last_ms
        {
            let shift = last.ts_ms - self.last_ms;
            for e in &mut self.evs {
                e.ts_ms = (e.ts_ms - shift).max(self.start_ms);
            }
        }

        let site = &self.opts.site;
        let visitor = VisitorId::from_client(&site.id, &format!("seed-v{}", v.n));
        let session = SessionId::from_client(
            &site.id,
            &format!("seed-{:x}-s{}", self.opts.rng_seed, self.session_no),
        );
        self.session_no += 1;
        let client = self.client(v, day);

        let mut identified = signed_in;
        let mut cur: Vec<Event> = Vec::new();
        let mut cur_start = 0;
        let mut close_next = false;
        let mut evs = std::mem::take(&mut self.evs);
        for (k, mut e) in evs.drain(..).enumerate() {
            let boundary = close_next
                || matches!(e.data, EventData::Pageview { .. })
                || e.ts_ms >= cur_start + FLUSH_MS;
            if boundary && !cur.is_empty() {
                // A batch carries the user known when it was started: the identify batch not yet.
                let user = identified.then(|| user_id.clone());
                let batch = std::mem::take(&mut cur);
                out.push(self.batch(batch, visitor, session, &client, &source, user));
                if close_next {
                    identified = true;
                }
                close_next = false;
            }
            if cur.is_empty() {
                cur_start = e.ts_ms;
            }
            e.eid = event_id(self.key, self.emitted + k as u64);
            match &e.data {
                EventData::Identify { .. } => close_next = true,
                EventData::Commerce(c) if c.action == CommerceAction::Purchase => {
                    self.stats.purchases += 1;
                }
                _ => {}
            }
            cur.push(e);
        }
        if !cur.is_empty() {
            let user = identified.then_some(user_id);
            out.push(self.batch(cur, visitor, session, &client, &source, user));
        }
        self.evs = evs;

        self.emitted += n;
        self.stats.events += n;
        self.stats.sessions += 1;
        let (word, bit) = ((v.n / 64) as usize, 1u64 << (v.n % 64));
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            self.stats.visitors += 1;
        }
        n
    }

    fn batch(
        &mut self,
        events: Vec<Event>,
        visitor: VisitorId,
        session: SessionId,
        client: &ClientInfo,
        source: &TrafficSource,
        user_id: Option<String>,
    ) -> Batch {
        let last = events.last().map_or(self.last_ms, |e| e.ts_ms);
        Batch {
            site: self.opts.site.id.clone(),
            visitor,
            session,
            user_id,
            received_ms: last + self.rng.range(40, 700),
            client: client.clone(),
            source: source.clone(),
            events,
        }
    }
}

/// Scroll position of the current page.
struct Scroll {
    depth: u8,
    doc: i32,
    view: i32,
}

fn pick_agent(r: &mut Rng, table: &'static [Agent]) -> &'static Agent {
    let total: u32 = table.iter().map(|a| a.weight).sum();
    let mut x = r.below(u64::from(total)) as u32;
    for a in table {
        if x < a.weight {
            return a;
        }
        x -= a.weight;
    }
    &table[table.len() - 1]
}

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

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::convert::Infallible;
    use std::sync::OnceLock;

    use super::*;
    use crate::model::{EventKind, SiteId, SiteSettings, batch::path_of};

    const NOW: i64 = 1_750_000_000_000;

    fn opts(events: u64, days: u32, rng_seed: u64) -> SeedOptions {
        SeedOptions {
            site: Site {
                id: SiteId::parse("demo").unwrap(),
                domains: vec!["shop.example".into()],
                settings: SiteSettings::default(),
            },
            events,
            days,
            now_ms: NOW,
            rng_seed,
        }
    }

    fn collect(opts: &SeedOptions, chunk: usize) -> (Vec<Vec<Batch>>, SeedStats) {
        let mut chunks = Vec::new();
        let stats = generate(opts, chunk, |c| {
            chunks.push(c);
            Ok::<_, Infallible>(())
        })
        .unwrap();
        (chunks, stats)
    }

    /// 200k events over 30 days, shared by the statistical tests.
    fn big() -> &'static (Vec<Batch>, SeedStats) {
        static BIG: OnceLock<(Vec<Batch>, SeedStats)> = OnceLock::new();
        BIG.get_or_init(|| {
            let (chunks, stats) = collect(&opts(200_000, 30, 42), 10_000);
            (chunks.into_iter().flatten().collect(), stats)
        })
    }

    /// Sessions with their batches in time order.
    fn sessions(batches: &[Batch]) -> HashMap<SessionId, Vec<&Batch>> {
        let mut out: HashMap<SessionId, Vec<&Batch>> = HashMap::new();
        for b in batches {
            out.entry(b.session).or_default().push(b);
        }
        for bs in out.values_mut() {
            bs.sort_by_key(|b| b.events[0].ts_ms);
        }
        out
    }

    fn commerce(e: &Event) -> Option<&Commerce> {
        match &e.data {
            EventData::Commerce(c) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn generates_exactly_the_requested_number_of_events() {
        for n in [0u64, 1, 2, 7, 59, 1000, 12_345] {
            for chunk in [1, 100, 5_000] {
                let (chunks, stats) = collect(&opts(n, 7, n ^ 3), chunk);
                let total: usize = chunks.iter().flatten().map(|b| b.events.len()).sum();
                assert_eq!(total as u64, n, "n={n} chunk={chunk}");
                assert_eq!(stats.events, n);
                assert!(chunks.iter().all(|c| !c.is_empty()));
                assert!(chunks.iter().flatten().all(|b| !b.events.is_empty()));
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_traffic() {
        let a = collect(&opts(20_000, 14, 9), 3_000);
        let b = collect(&opts(20_000, 14, 9), 3_000);
        assert_eq!(a, b);
        let c = collect(&opts(20_000, 14, 10), 3_000);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn chunks_hold_whole_sessions_sorted_by_start() {
        let (chunks, _) = collect(&opts(50_000, 7, 1), 1_000);
        let mut chunk_of: HashMap<SessionId, usize> = HashMap::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let in_chunk: usize = chunk.iter().map(|b| b.events.len()).sum();
            // A chunk closes after the session that reaches the target.
            assert!(in_chunk < 1_000 + 1_000, "chunk of {in_chunk} events");
            assert!(
                chunk
                    .windows(2)
                    .all(|w| w[0].events[0].ts_ms <= w[1].events[0].ts_ms)
            );
            for b in chunk {
                assert_eq!(*chunk_of.entry(b.session).or_insert(i), i);
            }
        }
    }

    #[test]
    fn stats_match_the_batches() {
        let (batches, stats) = big();
        let sessions: HashSet<_> = batches.iter().map(|b| b.session).collect();
        let visitors: HashSet<_> = batches.iter().map(|b| b.visitor).collect();
        let purchases = batches
            .iter()
            .flat_map(|b| &b.events)
            .filter_map(commerce)
            .filter(|c| c.action == CommerceAction::Purchase)
            .count();
        assert_eq!(stats.events, 200_000);
        assert_eq!(stats.sessions, sessions.len() as u64);
        assert_eq!(stats.visitors, visitors.len() as u64);
        assert_eq!(stats.purchases, purchases as u64);
        assert!(stats.purchases > 0);
        // Some visitors come back.
        assert!(stats.sessions > stats.visitors * 11 / 10, "{stats:?}");
    }

    #[test]
    fn event_ids_are_unique() {
        let (batches, _) = big();
        let mut seen = HashSet::new();
        for e in batches.iter().flat_map(|b| &b.events) {
            assert!(seen.insert(e.eid), "duplicate eid {}", e.eid);
            assert!(e.eid <= i64::MAX as u64);
        }
    }

    #[test]
    fn times_stay_in_the_window_and_batches_are_ordered() {
        let (batches, _) = big();
        let start = NOW - 30 * DAY_MS;
        for b in batches {
            assert!(b.events.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms));
            for e in &b.events {
                assert!(
                    (start..=NOW).contains(&e.ts_ms),
                    "ts {} outside window",
                    e.ts_ms
                );
            }
            let last = b.events.last().unwrap().ts_ms;
            assert!(b.received_ms > last && b.received_ms <= NOW);
        }
        // Batches of a session do not overlap in time.
        for bs in sessions(batches).values() {
            for w in bs.windows(2) {
                assert!(w[0].events.last().unwrap().ts_ms <= w[1].events[0].ts_ms);
            }
        }
    }

    #[test]
    fn daytime_and_weekdays_are_busier() {
        let (batches, _) = big();
        let mut hours = [0u64; 24];
        let mut weekday = [0u64; 7];
        for e in batches.iter().flat_map(|b| &b.events) {
            hours[(e.ts_ms.rem_euclid(DAY_MS) / HOUR_MS) as usize] += 1;
            weekday[((e.ts_ms.div_euclid(DAY_MS) + 3).rem_euclid(7)) as usize] += 1;
        }
        let night: u64 = hours[1..5].iter().sum();
        let day: u64 = hours[11..15].iter().sum();
        assert!(day > night * 4, "day {day} night {night}");
        let per_weekday = weekday[..5].iter().sum::<u64>() / 5;
        let per_weekend_day = weekday[5..].iter().sum::<u64>() / 2;
        assert!(per_weekday > per_weekend_day, "{weekday:?}");
    }

    #[test]
    fn the_funnel_narrows() {
        let (batches, _) = big();
        let mut by_action: HashMap<CommerceAction, HashSet<SessionId>> = HashMap::new();
        for b in batches {
            for c in b.events.iter().filter_map(commerce) {
                by_action.entry(c.action).or_default().insert(b.session);
            }
        }
        let n = |a| by_action.get(&a).map_or(0, HashSet::len);
        let sessions = sessions(batches).len();
        let (view, add) = (n(CommerceAction::ViewItem), n(CommerceAction::AddToCart));
        let (checkout, purchase) = (
            n(CommerceAction::BeginCheckout),
            n(CommerceAction::Purchase),
        );
        assert!(view > add && add > checkout && checkout >= purchase && purchase > 0);
        let share = |x: usize| x as f64 / sessions as f64;
        assert!(
            (0.28..0.42).contains(&share(view)),
            "view_item {}",
            share(view)
        );
        assert!(
            (0.09..0.15).contains(&share(add)),
            "add_to_cart {}",
            share(add)
        );
        assert!(
            (0.035..0.065).contains(&share(checkout)),
            "checkout {}",
            share(checkout)
        );
        assert!(
            (0.015..0.035).contains(&share(purchase)),
            "purchase {}",
            share(purchase)
        );
        assert!(n(CommerceAction::RemoveFromCart) > 0);
    }

    #[test]
    fn purchases_add_up_and_have_unique_transactions() {
        let (batches, _) = big();
        let mut txns = HashSet::new();
        let mut currencies = HashSet::new();
        for c in batches.iter().flat_map(|b| &b.events).filter_map(commerce) {
            let sum: i64 = c
                .items
                .iter()
                .map(|i| i.price_minor.unwrap() * i.quantity)
                .sum();
            match c.action {
                CommerceAction::Purchase => {
                    assert!(!c.items.is_empty());
                    assert_eq!(c.value_minor, Some(sum));
                    assert!(txns.insert(c.transaction_id.clone().unwrap()));
                    currencies.insert(c.currency.clone().unwrap());
                }
                CommerceAction::Refund => assert!(c.transaction_id.is_some()),
                _ => assert_eq!(c.value_minor, Some(sum)),
            }
        }
        let names: HashSet<_> = currencies.iter().map(Currency::as_str).collect();
        assert_eq!(names, HashSet::from(["EUR", "USD"]));
    }

    #[test]
    fn visitors_sign_in_mid_session() {
        let (batches, _) = big();
        let mut identified_sessions = 0;
        for bs in sessions(batches).values() {
            let at = bs.iter().position(|b| {
                b.events
                    .iter()
                    .any(|e| matches!(e.data, EventData::Identify { .. }))
            });
            let Some(at) = at else { continue };
            identified_sessions += 1;
            let EventData::Identify { user_id, .. } = &bs[at].events.last().unwrap().data else {
                panic!("identify closes its batch");
            };
            assert!(user_id.starts_with("user-"));
            assert!(bs[..=at].iter().all(|b| b.user_id.is_none()));
            assert!(
                bs[at + 1..]
                    .iter()
                    .all(|b| b.user_id.as_ref() == Some(user_id))
            );
        }
        assert!(identified_sessions > 50, "{identified_sessions}");
        let with_user = batches.iter().filter(|b| b.user_id.is_some()).count();
        assert!(
            with_user > batches.len() / 10,
            "{with_user} of {}",
            batches.len()
        );
    }

    #[test]
    fn about_two_percent_of_visitors_are_bots() {
        let (batches, _) = big();
        let mut visitors: HashMap<VisitorId, &ClientInfo> = HashMap::new();
        for b in batches {
            visitors.insert(b.visitor, &b.client);
        }
        let bots = visitors.values().filter(|c| c.bot).count();
        let share = bots as f64 / visitors.len() as f64;
        assert!((0.01..0.035).contains(&share), "bots {share}");
        for c in visitors.values() {
            assert_eq!(c.bot, c.device == DeviceClass::Bot);
            assert!(c.country.is_some() && c.ip.as_deref().unwrap().ends_with(".0"));
        }
        let browsers: HashSet<_> = visitors.values().map(|c| c.browser.as_str()).collect();
        for b in [
            "Chrome",
            "Firefox",
            "Safari",
            "Edge",
            "Samsung Internet",
            "Googlebot",
        ] {
            assert!(browsers.contains(b), "no {b}");
        }
        // A visitor keeps its browser.
        for b in batches {
            assert_eq!(visitors[&b.visitor], &b.client);
        }
    }

    #[test]
    fn sources_are_consistent_with_landing_referrers() {
        let (batches, _) = big();
        let mut media: HashMap<String, usize> = HashMap::new();
        let mut single_page = 0;
        let all = sessions(batches);
        for bs in all.values() {
            let src = &bs[0].source;
            assert!(bs.iter().all(|b| b.source == *src));
            *media
                .entry(src.medium.clone().unwrap_or_default())
                .or_default() += 1;
            let first = &bs[0].events[0];
            let EventData::Pageview { url, referrer, .. } = &first.data else {
                panic!("sessions start with a pageview");
            };
            assert_eq!(url, &first.url);
            assert!(url.starts_with("https://shop.example/"));
            match (src.medium.as_deref(), &src.referrer_host) {
                (Some("search" | "social"), Some(host)) => {
                    assert!(referrer.as_deref().unwrap().contains(host.as_str()));
                }
                (Some("email"), None) => {
                    assert!(url.contains("utm_source=newsletter"));
                    assert!(src.utm_campaign.is_some());
                }
                (Some("internal"), None) => {
                    assert!(
                        referrer
                            .as_deref()
                            .unwrap()
                            .starts_with("https://shop.example/")
                    );
                }
                (None, None) => assert!(referrer.is_none()),
                other => panic!("unexpected source {other:?}"),
            }
            let pageviews = bs
                .iter()
                .flat_map(|b| &b.events)
                .filter(|e| e.data.kind() == EventKind::Pageview)
                .count();
            assert!((1..=12).contains(&pageviews));
            single_page += usize::from(pageviews == 1);
        }
        for m in ["", "search", "social", "email", "internal"] {
            assert!(media.get(m).copied().unwrap_or(0) > 100, "{m}: {media:?}");
        }
        let bounce = single_page as f64 / all.len() as f64;
        assert!((0.3..0.5).contains(&bounce), "bounce rate {bounce}");
    }

    #[test]
    fn events_happen_on_their_page() {
        let (batches, _) = big();
        let mut kinds: HashMap<EventKind, usize> = HashMap::new();
        let mut paths = HashSet::new();
        for b in batches {
            let mut page: Option<&str> = None;
            for e in &b.events {
                *kinds.entry(e.data.kind()).or_default() += 1;
                match &e.data {
                    EventData::Pageview { url, title, .. } => {
                        page = Some(url);
                        assert!(title.is_some());
                        paths.insert(path_of(url).to_owned());
                    }
                    EventData::Key { raw, .. } => assert!(raw.is_none()),
                    EventData::Scroll { depth_pct, .. } => assert!(depth_pct.unwrap() <= 100),
                    EventData::Touch { .. } => assert!(b.client.device != DeviceClass::Desktop),
                    _ => {}
                }
                if let Some(p) = page {
                    assert_eq!(e.url, p);
                }
            }
        }
        for k in EventKind::ALL {
            assert!(kinds.get(&k).copied().unwrap_or(0) > 0, "no {k:?} events");
        }
        for p in [
            "/",
            "/products",
            "/cart",
            "/checkout",
            "/about",
            "/product/sku-001",
        ] {
            assert!(paths.contains(p), "no pageview of {p}");
        }
        assert!(paths.iter().any(|p| p.starts_with("/blog/")));
    }

    #[test]
    fn scroll_depth_rises_within_a_page() {
        let (batches, _) = big();
        for b in batches {
            let mut depth = 0;
            for e in &b.events {
                match e.data {
                    EventData::Pageview { .. } => depth = 0,
                    EventData::Scroll {
                        depth_pct: Some(d), ..
                    } if b.client.device != DeviceClass::Bot => {
                        assert!(d > depth);
                        depth = d;
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn sink_errors_stop_generation() {
        let mut calls = 0;
        let err = generate(&opts(100_000, 7, 5), 1_000, |_| {
            calls += 1;
            if calls == 3 { Err("disk full") } else { Ok(()) }
        });
        assert_eq!(err, Err("disk full"));
        assert_eq!(calls, 3);
    }

    /// blake3 over the `Debug` text of every chunk's batches and of the stats.
    fn golden_hash(opts: &SeedOptions, chunk: usize) -> String {
        use std::io::Write;
        let mut h = blake3::Hasher::new();
        let stats = generate(opts, chunk, |c| {
            for b in &c {
                write!(h, "{b:?}\n").unwrap();
            }
            h.write_all(b"--chunk--\n").unwrap();
            Ok::<_, Infallible>(())
        })
        .unwrap();
        write!(h, "{stats:?}").unwrap();
        h.finalize().to_hex().to_string()
    }

    #[test]
    fn golden_tmp_print() {
        let mut sets = vec![
            ("20k/3d/s1", opts(20_000, 3, 1), CHUNK_EVENTS),
            ("200k/30d/s7", opts(200_000, 30, 7), 10_000),
            ("1/1d/s0", opts(1, 1, 0), CHUNK_EVENTS),
            ("3k/7d/s5/c100", opts(3_000, 7, 5), 100),
        ];
        let mut o = opts(5_000, 0, 3);
        o.site.id = SiteId::parse("other").unwrap();
        o.site.domains.clear();
        o.site.settings.ip_mode = IpMode::Hash;
        sets.push(("5k/0d/s3/hash/nodomain", o, CHUNK_EVENTS));
        let mut o = opts(5_000, 7, 99);
        o.site.settings.ip_mode = IpMode::Drop;
        sets.push(("5k/7d/s99/drop", o, 1_000));
        for (name, o, chunk) in &sets {
            println!("GOLDEN {name} {}", golden_hash(o, *chunk));
        }
    }

    #[test]
    fn ip_modes_are_respected() {
        let mut o = opts(2_000, 3, 1);
        o.site.settings.ip_mode = IpMode::Drop;
        let (chunks, _) = collect(&o, 10_000);
        assert!(chunks.iter().flatten().all(|b| b.client.ip.is_none()));
        o.site.settings.ip_mode = IpMode::Hash;
        let (chunks, _) = collect(&o, 10_000);
        for b in chunks.iter().flatten() {
            let ip = b.client.ip.as_deref().unwrap();
            assert!(ip.len() == 16 && ip.bytes().all(|c| c.is_ascii_hexdigit()));
        }
    }
}
