//! Browser, operating system, device class and bot flag from a `User-Agent` header.
//!
//! Parsing uses the maintained uap-core regexes (embedded as JSON, see `assets/README.md`)
//! through the `ua-parser` crate, and bot detection adds the `isbot` crate's patterns to
//! uap's own "Spider" device family, rather than hand-made lists (brief, decision 9). Parsing
//! runs ~1,200 regexes, while real traffic repeats a few hundred user agents, so results are
//! kept in a bounded cache.

use quick_cache::sync::Cache;

use super::EnrichError;
use super::truncate;
use crate::model::DeviceClass;

static UAP_REGEXES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/uap-regexes.json"
));

/// How many distinct user agents the cache keeps.
const CACHE_ENTRIES: usize = 10_000;
/// Longer user agents are cut before parsing and caching (real ones stay far below; this
/// bounds the regex work and the cache's memory for hostile input).
const MAX_UA_BYTES: usize = 1024;
/// Stored strings (browser, OS names) are cut to this many characters.
const MAX_FIELD_CHARS: usize = 64;

/// What a user agent says about the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaInfo {
    /// uap family, e.g. "Chrome", "Mobile Safari", "Firefox"; "Other" when no regex matches;
    /// "Unknown" for an empty user agent.
    pub browser: String,
    /// Major version only ("130"), or empty.
    pub browser_version: String,
    /// uap OS family, e.g. "Windows", "Mac OS X", "Linux", "iOS", "Android"; as for `browser`.
    pub os: String,
    pub device: DeviceClass,
    pub bot: bool,
}

impl UaInfo {
    fn unknown() -> UaInfo {
        UaInfo {
            browser: "Unknown".into(),
            browser_version: String::new(),
            os: "Unknown".into(),
            device: DeviceClass::Unknown,
            bot: false,
        }
    }
}

/// The compiled uap regexes, the bot patterns and the result cache.
pub struct UaParser {
    extractor: ua_parser::Extractor<'static>,
    bots: isbot::Bots,
    cache: Cache<String, UaInfo>,
}

impl UaParser {
    /// Compiles the embedded uap-core regexes (a fraction of a second in release builds).
    pub fn new() -> Result<UaParser, EnrichError> {
        let regexes: ua_parser::Regexes<'static> =
            serde_json::from_str(UAP_REGEXES).map_err(EnrichError::UaData)?;
        let extractor = ua_parser::Extractor::try_from(regexes).map_err(EnrichError::UaCompile)?;
        Ok(UaParser {
            extractor,
            bots: isbot::Bots::default(),
            cache: Cache::new(CACHE_ENTRIES),
        })
    }

    /// Parses `user_agent` (cached).
    pub fn parse(&self, user_agent: &str) -> UaInfo {
        let ua = cut_bytes(user_agent.trim(), MAX_UA_BYTES);
        if ua.is_empty() {
            return UaInfo::unknown();
        }
        if let Some(hit) = self.cache.get(ua) {
            return hit;
        }
        let info = self.parse_uncached(ua);
        self.cache.insert(ua.to_owned(), info.clone());
        info
    }

    fn parse_uncached(&self, ua: &str) -> UaInfo {
        let (browser, os, device) = self.extractor.extract(ua);
        let browser_family = browser.as_ref().map_or("Other", |b| b.family.as_ref());
        let browser_version = browser.as_ref().and_then(|b| b.major).unwrap_or("");
        let os_family = os.as_ref().map_or("Other", |o| o.os.as_ref());
        let device_family = device.as_ref().map_or("Other", |d| d.device.as_ref());

        let bot = device_family == "Spider" || self.bots.is_bot(ua);
        let device = if bot {
            DeviceClass::Bot
        } else {
            device_class(ua, os_family, device_family)
        };
        UaInfo {
            browser: truncate(browser_family, MAX_FIELD_CHARS),
            browser_version: truncate(browser_version, MAX_FIELD_CHARS),
            os: truncate(os_family, MAX_FIELD_CHARS),
            device,
            bot,
        }
    }
}

/// Desktop, mobile, tablet or unknown for a non-bot user agent.
///
/// Tablets first, because iPad and Kindle user agents also say "Mobile": the uap device family
/// (iPad, Kindle, ...), an Android user agent without "Mobile" (Google's documented
/// convention for tablets), or an explicit "Tablet" token outside Windows (where "Tablet PC"
/// appears on ordinary desktops). Then phones, by OS family, device family or the "Mobile"
/// token. Then desktops by OS family. Anything else (TVs, consoles, unknown OSes) is unknown.
/// iPadOS 13+ Safari sends a Mac user agent by default and is counted as desktop.
fn device_class(ua: &str, os: &str, device: &str) -> DeviceClass {
    let tablet_device = device == "iPad"
        || device.starts_with("Kindle")
        || device.contains("Tablet")
        || device.contains("PlayBook")
        || os == "BlackBerry Tablet OS";
    let android_tablet = os == "Android" && !ua.contains("Mobile");
    let tablet_token = ua.contains("Tablet") && !os.starts_with("Windows");
    if tablet_device || android_tablet || tablet_token {
        return DeviceClass::Tablet;
    }

    let phone_os = matches!(
        os,
        "iOS"
            | "Android"
            | "Windows Phone"
            | "Windows Mobile"
            | "BlackBerry OS"
            | "KaiOS"
            | "Firefox OS"
    ) || os.starts_with("Symbian")
        || os.starts_with("Nokia Series");
    let phone_device = matches!(
        device,
        "iPhone" | "iPod" | "Generic Smartphone" | "Generic Feature Phone"
    );
    if phone_os || phone_device || ua.contains("Mobile") || ua.contains("Opera Mini") {
        return DeviceClass::Mobile;
    }

    let desktop_os = os.starts_with("Windows")
        || matches!(
            os,
            "Mac OS X"
                | "Mac OS"
                | "Linux"
                | "Ubuntu"
                | "Debian"
                | "Fedora"
                | "Red Hat"
                | "Gentoo"
                | "Mint"
                | "Arch Linux"
                | "SUSE"
                | "Slackware"
                | "Mandriva"
                | "CentOS"
                | "Chrome OS"
                | "FreeBSD"
                | "OpenBSD"
                | "NetBSD"
                | "Solaris"
        );
    if desktop_os {
        DeviceClass::Desktop
    } else {
        DeviceClass::Unknown
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static UA: LazyLock<UaParser> =
        LazyLock::new(|| UaParser::new().expect("embedded uap regexes compile"));

    const CHROME_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const IPAD_SAFARI: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";

    #[test]
    fn chrome_on_linux_is_a_desktop_with_a_major_version() {
        let info = UA.parse(CHROME_LINUX);
        assert_eq!(info.browser, "Chrome");
        assert_eq!(info.browser_version, "130");
        assert_eq!(info.os, "Linux");
        assert_eq!(info.device, DeviceClass::Desktop);
        assert!(!info.bot);
    }

    #[test]
    fn desktop_windows_and_mac_browsers() {
        let firefox = UA.parse(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        );
        assert_eq!(
            (firefox.browser.as_str(), firefox.browser_version.as_str()),
            ("Firefox", "132")
        );
        assert_eq!(firefox.os, "Windows");
        assert_eq!(firefox.device, DeviceClass::Desktop);
        let safari = UA.parse(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/17.6 Safari/605.1.15",
        );
        assert_eq!(safari.browser, "Safari");
        assert_eq!(safari.os, "Mac OS X");
        assert_eq!(safari.device, DeviceClass::Desktop);
    }

    #[test]
    fn iphone_is_mobile_and_ipad_is_tablet() {
        let phone = UA.parse(IPHONE_SAFARI);
        assert_eq!(phone.browser, "Mobile Safari");
        assert_eq!(phone.os, "iOS");
        assert_eq!(phone.device, DeviceClass::Mobile);
        let ipad = UA.parse(IPAD_SAFARI);
        assert_eq!(ipad.os, "iOS");
        assert_eq!(ipad.device, DeviceClass::Tablet);
    }

    #[test]
    fn android_phones_say_mobile_and_android_tablets_do_not() {
        let phone = UA.parse(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/130.0.6723.58 Mobile Safari/537.36",
        );
        assert_eq!(phone.browser, "Chrome Mobile");
        assert_eq!(phone.os, "Android");
        assert_eq!(phone.device, DeviceClass::Mobile);
        let tablet = UA.parse(
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/130.0.6723.58 Safari/537.36",
        );
        assert_eq!(tablet.device, DeviceClass::Tablet);
    }

    #[test]
    fn crawlers_and_scripts_are_bots() {
        let googlebot =
            UA.parse("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert!(googlebot.bot);
        assert_eq!(googlebot.device, DeviceClass::Bot);
        let curl = UA.parse("curl/8.5.0");
        assert!(curl.bot);
        assert_eq!(curl.device, DeviceClass::Bot);
        assert!(UA.parse("python-requests/2.32.3").bot);
        assert!(!UA.parse(CHROME_LINUX).bot);
        assert!(!UA.parse(IPHONE_SAFARI).bot);
    }

    #[test]
    fn empty_user_agents_are_unknown() {
        for ua in ["", "   "] {
            let info = UA.parse(ua);
            assert_eq!(info.browser, "Unknown");
            assert_eq!(info.browser_version, "");
            assert_eq!(info.device, DeviceClass::Unknown);
            assert!(!info.bot);
        }
    }

    #[test]
    fn hostile_user_agents_are_cut_and_do_not_panic() {
        let long = format!("{CHROME_LINUX} {}", "é".repeat(5_000));
        let info = UA.parse(&long);
        assert_eq!(info.browser, "Chrome");
        assert_eq!(cut_bytes("aé", 2), "a");
        let junk = UA.parse("\u{0}\u{1}((((]]]]*+?");
        assert!(!junk.browser.is_empty());
    }

    #[test]
    fn repeated_user_agents_come_from_the_cache() {
        let parser = UaParser::new().expect("compile");
        let first = parser.parse(IPHONE_SAFARI);
        assert_eq!(parser.cache.len(), 1);
        assert_eq!(parser.parse(IPHONE_SAFARI), first);
        assert_eq!(parser.cache.len(), 1);
    }
}
