//! The fixed tables that make seeded traffic look like a real shop's audience: which browsers
//! and bots visit, from which countries and screens, what they click, read and fire, and how
//! they arrive.
//!
//! Kept apart from the code that draws from them so that tuning the mix (a new browser, another
//! campaign) is an edit to data, not to logic. The weights are relative shares; any change to a
//! row or a weight changes every seeded data set.

use crate::model::DeviceClass;

/// A real user agent and what footfall's parser (uap-core families, major version) makes of it.
/// The user agent text itself is not stored anywhere; it documents where the parsed fields come
/// from, so that a row can be checked against the parser.
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
pub(super) const BOT_SHARE: f64 = 0.02;
/// Share of visitors with an account.
pub(super) const USER_SHARE: f64 = 0.30;

/// ISO country, typical browser language, weight.
pub(super) const COUNTRIES: &[(&str, &str, u32)] = &[
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
pub(super) const FIRST_OCTETS: &[u8] = &[
    2, 5, 23, 24, 31, 37, 46, 50, 62, 66, 73, 77, 78, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90, 91,
    92, 93, 94, 95, 98, 104, 107, 108, 109, 151, 173, 176, 178, 185, 188, 193, 194, 195, 212, 213,
    217,
];

/// Common screen sizes (CSS pixels) per device class.
pub(super) const DESKTOP_SCREENS: &[(i32, i32)] = &[
    (1920, 1080),
    (1536, 864),
    (1440, 900),
    (2560, 1440),
    (1366, 768),
    (1680, 1050),
];
pub(super) const MOBILE_SCREENS: &[(i32, i32)] = &[
    (390, 844),
    (393, 873),
    (412, 915),
    (360, 800),
    (430, 932),
    (375, 667),
];
pub(super) const TABLET_SCREENS: &[(i32, i32)] =
    &[(820, 1180), (768, 1024), (810, 1080), (800, 1280)];

/// The shop's journal: URL slug and title of each post.
pub(super) const POSTS: &[(&str, &str)] = &[
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

/// `utm_campaign` values of newsletter links.
pub(super) const CAMPAIGNS: &[&str] = &[
    "spring-sale",
    "weekly-digest",
    "new-arrivals",
    "black-friday",
];

/// Custom events the site fires now and then: name and JSON properties.
pub(super) const CUSTOM_EVENTS: &[(&str, Option<&str>)] = &[
    ("cta_click", Some(r#"{"cta":"hero"}"#)),
    ("plan_selected", Some(r#"{"plan":"pro"}"#)),
    ("plan_selected", Some(r#"{"plan":"free"}"#)),
    ("share", Some(r#"{"network":"twitter"}"#)),
    ("share", Some(r#"{"network":"facebook"}"#)),
    ("chat_opened", None),
    ("size_guide_opened", Some(r#"{"from":"product"}"#)),
];

/// Clicks that lead nowhere (while reading a page): selector and link text.
pub(super) const MISC_CLICKS: &[(&str, Option<&str>)] = &[
    ("div.hero", None),
    ("a.logo", Some("Home")),
    ("button.menu-toggle", Some("Menu")),
    ("img.banner", None),
    ("a.footer-link", Some("Shipping")),
    ("a.footer-link", Some("Returns")),
    ("p", None),
    ("button.cookie-accept", Some("Accept")),
];

/// Elements without a handler: clicks on them are mostly dead, and some visitors rage at them.
pub(super) const ANSWERLESS: &[&str] = &["div.hero", "img.banner", "p", "img.product-image"];

/// Elements of the fixed header bar.
pub(super) const FIXED_HEADER: &[&str] =
    &["a.nav-link", "a.cart-link", "a.logo", "button.menu-toggle"];

/// The shop script's errors: message, line, column.
pub(super) const SCRIPT_ERRORS: &[(&str, i32, i32)] = &[
    (
        "TypeError: Cannot read properties of undefined (reading 'variant')",
        212,
        17,
    ),
    ("TypeError: cart.items is null", 88, 5),
    ("ReferenceError: gtag is not defined", 1, 1),
];

/// How a session arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Src {
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

/// How often each source brings a human session.
pub(super) const SOURCES: &[(Src, u32)] = &[
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
    pub(super) fn referrer(
        self,
    ) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
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
