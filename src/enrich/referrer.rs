//! Traffic source and medium of a visit, from its referrer and the UTM tags of its first page.
//!
//! Referrer hosts are classified with the embedded `assets/referers.json` (search engines,
//! social networks, webmail, paid media, news aggregators). It is built from footfall's own
//! list, `assets/referers-footfall.json` (MIT like the code): the lists on npm and PyPI copy
//! Piwik's GPL-derived data or lack a clear licence, so none is shipped (`assets/README.md`).
//! The test `the_referrers_that_matter_keep_their_class` pins the hosts an edit must not lose.
//! Rules, in order:
//! 1. `utm_*` parameters of the page URL are always recorded. `utm_source` sets the source and
//!    `utm_medium` the medium, overriding whatever the referrer says; a `utm_source` without
//!    `utm_medium` gives medium "unknown" (the referrer's medium would describe a different
//!    source), and a `utm_medium` alone keeps the referrer's source.
//! 2. A referrer from one of the site's own domains, or from the page's own host, is medium
//!    "internal" with no source and no referrer host (navigation, not acquisition).
//! 3. A referrer host in the data gives its source name and medium ("search", "social",
//!    "email", "paid", "unknown", "referral"), matching parent domains and path prefixes
//!    (`www.google.co.uk` → `google.co.uk`, `orange.fr/webmail/inbox` → `orange.fr/webmail`).
//! 4. Any other host is medium "referral" with the host (without `www.`) as its source.
//! 5. No (usable) referrer and no UTM tags: everything `None`, i.e. direct traffic.
//!
//! Every stored string is cut to 256 characters.

use std::collections::HashMap;

use url::Url;

use super::EnrichError;
use super::truncate;
use crate::model::{Site, TrafficSource};

static REFERERS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/referers.json"));

/// Longest stored source, medium, host or UTM value, in characters.
pub const MAX_CHARS: usize = 256;

/// The referrer data: `host[/path prefix]` → (source name, medium).
pub struct Referers {
    by_key: HashMap<String, (String, String)>,
}

impl Referers {
    /// Loads the embedded data.
    pub fn new() -> Result<Referers, EnrichError> {
        let by_key: HashMap<String, (String, String)> =
            serde_json::from_str(REFERERS).map_err(EnrichError::RefererData)?;
        if by_key.is_empty() {
            return Err(EnrichError::RefererShape);
        }
        Ok(Referers { by_key })
    }

    /// Source and medium of a known referrer host (lower case) and path.
    ///
    /// For the host and then each parent domain (down to two labels), the longest matching
    /// `domain/path prefix` key wins, then the bare domain.
    pub fn lookup(&self, host: &str, path: &str) -> Option<(&str, &str)> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut domain = host;
        loop {
            for n in (1..=segments.len()).rev() {
                let key = format!("{domain}/{}", segments[..n].join("/"));
                if let Some(hit) = self.get(&key).or_else(|| self.get(&format!("{key}/"))) {
                    return Some(hit);
                }
            }
            if let Some(hit) = self.get(domain) {
                return Some(hit);
            }
            match domain.split_once('.') {
                Some((_, parent)) if parent.contains('.') => domain = parent,
                _ => return None,
            }
        }
    }

    fn get(&self, key: &str) -> Option<(&str, &str)> {
        self.by_key.get(key).map(|(s, m)| (s.as_str(), m.as_str()))
    }

    /// The traffic source of a visit whose page is `page_url` and whose referrer is `referrer`.
    pub fn source(&self, page_url: &str, referrer: Option<&str>, site: &Site) -> TrafficSource {
        let page = parse_page_url(page_url);
        let mut out = TrafficSource::default();
        if let Some((page, _)) = &page {
            for (key, value) in page.query_pairs() {
                let slot = match key.as_ref() {
                    "utm_source" => &mut out.utm_source,
                    "utm_medium" => &mut out.utm_medium,
                    "utm_campaign" => &mut out.utm_campaign,
                    "utm_term" => &mut out.utm_term,
                    "utm_content" => &mut out.utm_content,
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = clean(&value);
                }
            }
        }

        if let Some((host, path)) = referrer.and_then(referrer_host_and_path) {
            let page_host = page.as_ref().and_then(|(_, h)| h.as_deref());
            if site.serves_host(&host) || page_host == Some(host.as_str()) {
                out.medium = Some("internal".into());
            } else {
                let short = host.strip_prefix("www.").unwrap_or(&host);
                out.referrer_host = Some(truncate(short, MAX_CHARS));
                match self.lookup(&host, &path) {
                    Some((source, medium)) => {
                        out.source = Some(truncate(source, MAX_CHARS));
                        out.medium = Some(truncate(medium, MAX_CHARS));
                    }
                    None => {
                        out.source = Some(truncate(short, MAX_CHARS));
                        out.medium = Some("referral".into());
                    }
                }
            }
        }

        if let Some(utm_source) = &out.utm_source {
            out.source = Some(utm_source.clone());
            out.medium = Some(out.utm_medium.clone().unwrap_or_else(|| "unknown".into()));
        } else if let Some(utm_medium) = &out.utm_medium {
            out.medium = Some(utm_medium.clone());
        }
        out
    }
}

/// The page URL and its lower-case host, also when the tracker sent only a path
/// (`/cart?utm_source=x`: parsed against a placeholder base, and no host).
fn parse_page_url(page_url: &str) -> Option<(Url, Option<String>)> {
    match Url::parse(page_url) {
        Ok(url) => {
            let host = url.host_str().map(str::to_ascii_lowercase);
            Some((url, host))
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            let base = Url::parse("http://page.invalid/").ok()?;
            Some((base.join(page_url).ok()?, None))
        }
        Err(_) => None,
    }
}

/// Lower-case host (no trailing dot) and path of a referrer that names a host: web pages, and
/// Android apps (`android-app://com.google.android.gm/`), whose package name is in the data.
fn referrer_host_and_path(referrer: &str) -> Option<(String, String)> {
    let url = Url::parse(referrer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "android-app") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some((host, url.path().to_owned()))
}

/// A UTM value as stored: trimmed, control characters removed, cut, `None` when empty.
fn clean(value: &str) -> Option<String> {
    let kept: String = value.chars().filter(|c| !c.is_control()).collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| truncate(kept, MAX_CHARS))
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::model::{SiteId, SiteSettings};

    static REFS: LazyLock<Referers> =
        LazyLock::new(|| Referers::new().expect("embedded referer data loads"));

    fn site() -> Site {
        Site {
            id: SiteId::parse("shop").expect("site id"),
            domains: vec!["shop.example".into()],
            settings: SiteSettings::default(),
        }
    }

    fn source(page: &str, referrer: Option<&str>) -> TrafficSource {
        REFS.source(page, referrer, &site())
    }

    fn pair(t: &TrafficSource) -> (Option<&str>, Option<&str>) {
        (t.source.as_deref(), t.medium.as_deref())
    }

    #[test]
    fn search_engines_are_search() {
        let t = source(
            "https://shop.example/",
            Some("https://www.google.com/search?q=x"),
        );
        assert_eq!(pair(&t), (Some("Google"), Some("search")));
        assert_eq!(t.referrer_host.as_deref(), Some("google.com"));
        let uk = source("https://shop.example/", Some("https://www.google.co.uk/"));
        assert_eq!(pair(&uk), (Some("Google"), Some("search")));
        let bing = source(
            "https://shop.example/",
            Some("https://www.bing.com/search?q=shoes"),
        );
        assert_eq!(pair(&bing), (Some("Bing"), Some("search")));
    }

    #[test]
    fn social_networks_are_social() {
        let t = source("https://shop.example/", Some("https://t.co/abc"));
        assert_eq!(pair(&t), (Some("Twitter"), Some("social")));
        let fb = source(
            "https://shop.example/",
            Some("https://l.facebook.com/l.php?u=x"),
        );
        assert_eq!(pair(&fb), (Some("Facebook"), Some("social")));
        let x = source(
            "https://shop.example/",
            Some("https://x.com/someone/status/1"),
        );
        assert_eq!(pair(&x), (Some("Twitter"), Some("social")));
    }

    #[test]
    fn parent_domains_and_paths_match_like_referer_parser() {
        // Not in the data itself; its parent is.
        assert_eq!(
            REFS.lookup("deep.sub.facebook.com", "/"),
            Some(("Facebook", "social"))
        );
        // Webmail behind a path prefix.
        assert_eq!(
            REFS.lookup("orange.fr", "/webmail/inbox").map(|(_, m)| m),
            Some("email")
        );
        assert_eq!(
            REFS.lookup("mail.google.com", "/mail/u/0/"),
            Some(("Gmail", "email"))
        );
        assert_eq!(REFS.lookup("com", "/"), None);
    }

    #[test]
    fn unknown_hosts_are_referrals_named_by_host() {
        let t = source(
            "https://shop.example/",
            Some("https://www.someblog.example/post/1"),
        );
        assert_eq!(pair(&t), (Some("someblog.example"), Some("referral")));
        assert_eq!(t.referrer_host.as_deref(), Some("someblog.example"));
    }

    #[test]
    fn utm_tags_take_precedence_over_the_referrer() {
        let t = source(
            "https://shop.example/p?utm_source=news&utm_medium=email&utm_campaign=spring%20sale&utm_term=t&utm_content=c",
            Some("https://www.google.com/"),
        );
        assert_eq!(pair(&t), (Some("news"), Some("email")));
        assert_eq!(t.utm_campaign.as_deref(), Some("spring sale"));
        assert_eq!(t.utm_term.as_deref(), Some("t"));
        assert_eq!(t.utm_content.as_deref(), Some("c"));
        assert_eq!(t.referrer_host.as_deref(), Some("google.com"));

        let no_medium = source("https://shop.example/?utm_source=partner", None);
        assert_eq!(pair(&no_medium), (Some("partner"), Some("unknown")));
        let medium_only = source(
            "https://shop.example/?utm_medium=cpc",
            Some("https://www.bing.com/"),
        );
        assert_eq!(pair(&medium_only), (Some("Bing"), Some("cpc")));
        let path_only = source("/landing?utm_source=flyer&utm_medium=print", None);
        assert_eq!(pair(&path_only), (Some("flyer"), Some("print")));
        let empty = source("https://shop.example/?utm_source=&utm_medium=%20", None);
        assert_eq!(empty, TrafficSource::default());
    }

    #[test]
    fn same_site_referrers_are_internal() {
        let t = source(
            "https://shop.example/cart",
            Some("https://shop.example/product/1"),
        );
        assert_eq!(pair(&t), (None, Some("internal")));
        assert_eq!(t.referrer_host, None);
        let sub = source("https://shop.example/", Some("https://WWW.Shop.Example./x"));
        assert_eq!(pair(&sub), (None, Some("internal")));
        // A host the site does not list, but the page's own: still navigation.
        let own = source(
            "https://preview.other.example/",
            Some("https://preview.other.example/a"),
        );
        assert_eq!(pair(&own), (None, Some("internal")));
    }

    #[test]
    fn no_referrer_and_no_utm_is_direct() {
        assert_eq!(
            source("https://shop.example/", None),
            TrafficSource::default()
        );
        assert_eq!(
            source("https://shop.example/", Some("")),
            TrafficSource::default()
        );
        assert_eq!(
            source("https://shop.example/", Some("about:blank")),
            TrafficSource::default()
        );
        assert_eq!(
            source("not a url", Some("garbage")),
            TrafficSource::default()
        );
    }

    #[test]
    fn stored_strings_are_cut_to_256_characters() {
        let long = "a".repeat(1000);
        let t = source(
            &format!("https://shop.example/?utm_source={long}&utm_campaign={long}"),
            None,
        );
        assert_eq!(t.source.as_deref().map(str::len), Some(256));
        assert_eq!(t.utm_campaign.as_deref().map(str::len), Some(256));
        let host = format!("{}.example", "b".repeat(60));
        let r = source("https://shop.example/", Some(&format!("https://{host}/")));
        assert_eq!(r.referrer_host.as_deref(), Some(host.as_str()));
    }

    /// The referrers most sites see, with the class a data refresh must keep: the major search
    /// engines, social networks, webmail clients and news aggregators.
    #[test]
    fn the_referrers_that_matter_keep_their_class() {
        let expected: &[(&str, &str, &str)] = &[
            // Search engines.
            ("https://www.google.com/search?q=x", "Google", "search"),
            ("https://www.google.de/", "Google", "search"),
            ("https://www.google.co.jp/", "Google", "search"),
            ("https://www.google.com.br/", "Google", "search"),
            (
                "android-app://com.google.android.googlequicksearchbox/",
                "Google",
                "search",
            ),
            ("https://www.bing.com/search?q=x", "Bing", "search"),
            ("https://duckduckgo.com/", "DuckDuckGo", "search"),
            ("https://html.duckduckgo.com/html/", "DuckDuckGo", "search"),
            ("https://search.yahoo.com/search?p=x", "Yahoo!", "search"),
            ("https://uk.search.yahoo.com/", "Yahoo!", "search"),
            ("https://yandex.ru/search/?text=x", "Yandex", "search"),
            ("https://ya.ru/", "Yandex", "search"),
            ("https://www.baidu.com/s?wd=x", "Baidu", "search"),
            ("https://www.ecosia.org/search?q=x", "Ecosia", "search"),
            (
                "https://search.brave.com/search?q=x",
                "Brave Search",
                "search",
            ),
            ("https://www.startpage.com/", "Startpage", "search"),
            ("https://www.qwant.com/?q=x", "Qwant", "search"),
            (
                "https://search.naver.com/search.naver?query=x",
                "Naver",
                "search",
            ),
            ("https://search.seznam.cz/?q=x", "Seznam", "search"),
            ("https://search.aol.com/", "AOL", "search"),
            // Social networks.
            ("https://www.facebook.com/", "Facebook", "social"),
            ("https://l.facebook.com/l.php?u=x", "Facebook", "social"),
            ("https://m.facebook.com/", "Facebook", "social"),
            ("https://l.instagram.com/?u=x", "Instagram", "social"),
            ("https://t.co/abc", "Twitter", "social"),
            ("https://x.com/someone", "Twitter", "social"),
            ("https://twitter.com/someone", "Twitter", "social"),
            ("https://www.linkedin.com/feed/", "LinkedIn", "social"),
            ("https://lnkd.in/abc", "LinkedIn", "social"),
            ("https://www.reddit.com/r/rust/", "Reddit", "social"),
            ("https://old.reddit.com/", "Reddit", "social"),
            ("https://out.reddit.com/t3_x", "Reddit", "social"),
            ("https://www.pinterest.com/pin/1/", "Pinterest", "social"),
            ("https://www.pinterest.co.uk/", "Pinterest", "social"),
            ("https://www.youtube.com/watch?v=x", "Youtube", "social"),
            ("https://m.youtube.com/", "Youtube", "social"),
            ("https://youtu.be/x", "Youtube", "social"),
            ("https://www.tiktok.com/@someone", "TikTok", "social"),
            ("https://www.threads.net/@someone", "Threads", "social"),
            ("https://l.threads.com/?u=x", "Threads", "social"),
            ("https://bsky.app/profile/someone", "Bluesky", "social"),
            ("https://mastodon.social/@someone", "Mastodon", "social"),
            (
                "https://news.ycombinator.com/item?id=1",
                "Hacker News",
                "social",
            ),
            ("https://vk.com/", "Vkontakte", "social"),
            ("https://web.whatsapp.com/", "WhatsApp", "social"),
            ("https://t.me/channel", "Telegram", "social"),
            ("https://github.com/someone/repo", "GitHub", "social"),
            (
                "https://stackoverflow.com/questions/1",
                "StackOverflow",
                "social",
            ),
            // Webmail and mail apps.
            ("https://mail.google.com/mail/u/0/", "Gmail", "email"),
            ("android-app://com.google.android.gm/", "Gmail", "email"),
            ("https://outlook.live.com/mail/0/", "Outlook.com", "email"),
            ("https://outlook.office.com/mail/", "Outlook.com", "email"),
            ("https://mail.yahoo.com/d/folders/1", "Yahoo! Mail", "email"),
            ("https://uk.mail.yahoo.com/", "Yahoo! Mail", "email"),
            ("https://mail.aol.com/", "AOL Mail", "email"),
            ("https://mail.proton.me/u/0/inbox", "Proton Mail", "email"),
            ("https://www.icloud.com/mail/", "iCloud Mail", "email"),
            ("https://mail.yandex.ru/", "Yandex", "email"),
            ("https://e.mail.ru/inbox/", "Mail.ru", "email"),
            ("https://deref-gmx.net/mail/client/x", "GMX", "email"),
            ("https://www.orange.fr/webmail/", "Orange Webmail", "email"),
            // News aggregators.
            ("https://news.google.com/", "Google News", "search"),
            ("https://flipboard.com/@someone", "Flipboard", "social"),
            ("https://feedly.com/i/latest", "Feedly", "referral"),
            ("https://apple.news/x", "Apple News", "referral"),
            ("https://www.smartnews.com/", "SmartNews", "referral"),
            ("https://www.msn.com/en-us/news", "MSN", "referral"),
            ("https://www.inoreader.com/", "Inoreader", "referral"),
            // Paid.
            (
                "https://www.googleadservices.com/pagead/aclk",
                "Google",
                "paid",
            ),
            ("https://ad.doubleclick.net/", "Google", "paid"),
        ];
        let wrong: Vec<String> = expected
            .iter()
            .filter_map(|&(referrer, want_source, want_medium)| {
                let t = source("https://shop.example/", Some(referrer));
                let got = pair(&t);
                (got != (Some(want_source), Some(want_medium))).then(|| {
                    format!("{referrer}: {got:?}, expected ({want_source}, {want_medium})")
                })
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    /// `assets/referers.json` is exactly footfall's list flattened (by
    /// `scripts/refresh-assets.sh`), so an edit to one without the other is caught here.
    #[test]
    fn the_embedded_data_is_footfalls_list_flattened() {
        type Listed = HashMap<String, HashMap<String, Vec<String>>>;
        let listed: Listed = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/referers-footfall.json"
        )))
        .expect("referers-footfall.json parses");
        let mut flat = HashMap::new();
        for (medium, sources) in &listed {
            for (source, hosts) in sources {
                for host in hosts {
                    let old = flat.insert(host.clone(), (source.clone(), medium.clone()));
                    assert_eq!(old, None, "{host} is listed twice");
                }
            }
        }
        assert_eq!(flat, REFS.by_key);
    }

    #[test]
    fn android_app_referrers_use_the_package_name() {
        let t = source(
            "https://shop.example/",
            Some("android-app://com.google.android.gm/"),
        );
        assert_eq!(pair(&t), (Some("Gmail"), Some("email")));
    }
}
