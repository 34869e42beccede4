//! The generator's tests: the shape of the traffic (funnel, bots, sources, time of day) on
//! 200k events, its bookkeeping (exact counts, unique ids, chunks of whole sessions), and a
//! golden hash that pins the exact output.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::OnceLock;

use super::timeline::{DAY_MS, HOUR_MS};
use super::{CHUNK_EVENTS, SeedOptions, SeedStats, generate};
use crate::model::{
    Batch, ClientInfo, Commerce, CommerceAction, Currency, DeviceClass, Event, EventData,
    EventKind, IpMode, SessionId, Site, SiteId, SiteSettings, VisitorId, batch::path_of,
};

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
        // At most 12 planned pages; a quick back adds two views (away and back).
        assert!((1..=18).contains(&pageviews), "{pageviews}");
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

/// blake3 over the `Debug` text of every chunk's batches (chunk boundaries included) and of
/// the stats.
fn golden_hash(opts: &SeedOptions, chunk: usize) -> String {
    use std::io::Write;
    let mut h = blake3::Hasher::new();
    let stats = generate(opts, chunk, |c| {
        for b in &c {
            writeln!(h, "{b:?}").unwrap();
        }
        h.write_all(b"--chunk--\n").unwrap();
        Ok::<_, Infallible>(())
    })
    .unwrap();
    write!(h, "{stats:?}").unwrap();
    h.finalize().to_hex().to_string()
}

/// Pins the generator's exact output: benchmarks, BENCHMARKS.md's figures and the stores'
/// conformance tests all run on seeded traffic, so the same options must keep giving the same
/// bytes (recorded on the generator before it was split into this folder). Changing a draw, a
/// table row or their order fails this test; if that is meant, say so in the commit and paste
/// the new hashes printed here. (A change to the `Debug` output of the model types fails it too,
/// without changing the data: re-record then as well.)
#[test]
fn the_output_stays_byte_for_byte_the_same() {
    let mut hash_site = opts(5_000, 0, 3);
    hash_site.site.id = SiteId::parse("other").unwrap();
    hash_site.site.domains.clear();
    hash_site.site.settings.ip_mode = IpMode::Hash;
    let mut drop_site = opts(5_000, 7, 99);
    drop_site.site.settings.ip_mode = IpMode::Drop;
    let cases = [
        (
            opts(20_000, 3, 1),
            CHUNK_EVENTS,
            "6d3d6ef978a47fa023b3b859560ac74033c7ddb91db27f8f0ef7d346c826cdda",
        ),
        (
            opts(200_000, 30, 7),
            10_000,
            "4647442d4dff5f5a7c29b6acb9ad814531136d3f5fc5c189779b7da4d4673a0b",
        ),
        (
            opts(1, 1, 0),
            CHUNK_EVENTS,
            "2f1a7d3f206bd1352f517c7a16fb706bacece72069f6a9aedc8c3cc0980ca524",
        ),
        (
            opts(3_000, 7, 5),
            100,
            "a454ec3c0df8fac5f8be41257c597297921b87e339def5d72852d55c0b687d34",
        ),
        (
            hash_site,
            CHUNK_EVENTS,
            "7472aff40b7b4b347318d8b9f6fcf31973802c9ec0234055b5ec7584cf078d8d",
        ),
        (
            drop_site,
            1_000,
            "4106ba12e975dc37adeb154e9cefdb0a364fcbbfbd64628727e782784edebc16",
        ),
    ];
    let got: Vec<String> = cases.iter().map(|(o, c, _)| golden_hash(o, *c)).collect();
    let want: Vec<&str> = cases.iter().map(|c| c.2).collect();
    assert_eq!(got, want);
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
