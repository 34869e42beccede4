//! The data the checks run on: hand-made batches, seeded traffic appended alike to every store,
//! and the filters that select something in it.

use footfall::model::*;
use footfall::query::frustration::{Signal, Thresholds};
use footfall::query::zone::Zone;
use footfall::query::*;
use footfall::seed::{SeedOptions, generate};
use footfall::store::StoreError;
use footfall::store::prelude::*;

/// The seeded traffic's now.
pub const NOW: i64 = 1_795_560_120_000; // 2026-11-24T22:42:00Z

pub fn site(id: &str) -> SiteId {
    SiteId::parse(id).unwrap()
}

/// A batch of `n` events of session `session` on `demo` from `ts` on, with ids from
/// `first_eid`: pageviews and clicks, with quotes, backslashes and a NUL in their strings.
pub fn small_batch(session: &str, first_eid: u64, ts: i64, n: usize) -> Batch {
    let s = site("demo");
    Batch {
        visitor: VisitorId::from_client(&s, &format!("v-{session}")),
        session: SessionId::from_client(&s, session),
        site: s,
        user_id: None,
        received_ms: ts,
        client: ClientInfo {
            browser: "Firefox".into(),
            browser_version: "130".into(),
            os: "Linux".into(),
            device: DeviceClass::Desktop,
            country: Some("DE".into()),
            ..ClientInfo::default()
        },
        source: TrafficSource::default(),
        events: (0..n)
            .map(|i| Event {
                eid: first_eid + i as u64,
                ts_ms: ts + i as i64,
                url: format!("https://shop.example/p/{}", i % 3),
                data: if i % 2 == 0 {
                    EventData::Pageview {
                        url: format!("https://shop.example/p/{}", i % 3),
                        title: Some("it's a \"title\"\\".into()),
                        referrer: None,
                    }
                } else {
                    EventData::Click {
                        x: 1,
                        y: 2,
                        page_y: None,
                        selector: "#buy".into(),
                        text: Some("Buy\0now".into()),
                        offset: None,
                        viewport: None,
                        fixed: false,
                        dead: false,
                    }
                },
            })
            .collect(),
    }
}

/// `events` seeded events over `days` days up to [`NOW`] on `demo`.
pub fn seed_options(events: u64, days: u32) -> SeedOptions {
    SeedOptions {
        site: Site {
            id: site("demo"),
            domains: vec!["localhost".into()],
            settings: SiteSettings::default(),
        },
        events,
        days,
        now_ms: NOW,
        rng_seed: 42,
    }
}

/// Appends the same seeded chunks (with spool positions) to every store.
pub fn seed(stores: &[&dyn Store], events: u64, days: u32) {
    let mut seq = 0;
    generate(&seed_options(events, days), 700, |batches| {
        seq += 1;
        for s in stores {
            s.append(&batches, Some(seq))?;
        }
        Ok::<_, StoreError>(())
    })
    .expect("seeding");
}

/// The first `limit` sessions of `demo` in `range` under `filters`, in `sort` order.
pub fn first_sessions(
    store: &dyn Store,
    range: TimeRange,
    filters: Filters,
    sort: SessionSort,
    limit: u32,
) -> SessionPage {
    store
        .sessions(&SessionListPlan {
            site: site("demo"),
            range,
            filters,
            sort,
            limit,
            offset: 0,
        })
        .unwrap()
}

/// Filters that select something in the seeded data, taken from the reference's own top lists.
pub fn filter_sets(reference: &dyn Store, range: TimeRange) -> Vec<Filters> {
    let plan = OverviewPlan {
        site: site("demo"),
        range,
        filters: Filters::default(),
        granularity: Granularity::Day,
        zone: Zone::default(),
        top: 3,
        previous_series: false,
    };
    let o = reference.overview(&plan).unwrap();
    let first = |list: &str| {
        o.top[list]
            .iter()
            .find_map(|r| r.value.clone())
            .unwrap_or_else(|| panic!("no {list} in the seeded data"))
    };
    let sessions = first_sessions(
        reference,
        range,
        Filters::default(),
        SessionSort::MostEventsFirst,
        5,
    );
    let visitor = VisitorId::parse_hex(&sessions.sessions[0].visitor_id).unwrap();
    let user = sessions
        .sessions
        .iter()
        .find_map(|s| s.user_id.clone())
        .unwrap_or_else(|| "nobody".into());
    let page = first("pages");
    let prefix: String = page.chars().take(3).collect();
    let one = |f: Filter| Filters {
        include_bots: false,
        conditions: vec![f],
    };
    let mut out = vec![
        Filters::default(),
        Filters {
            include_bots: true,
            conditions: Vec::new(),
        },
        one(Filter::Page(page)),
        one(Filter::PagePrefix(prefix)),
        one(Filter::Session(SessionField::Country, first("countries"))),
        one(Filter::Session(SessionField::Device, first("devices"))),
        one(Filter::Session(SessionField::Browser, first("browsers"))),
        one(Filter::Session(SessionField::Source, first("sources"))),
        one(Filter::Session(
            SessionField::UtmCampaign,
            first("utm_campaigns"),
        )),
        one(Filter::SignedIn(true)),
        one(Filter::SignedIn(false)),
        one(Filter::User(user)),
        one(Filter::Visitor(visitor)),
        one(Filter::HasEvent("purchase".into())),
        one(Filter::HasEvent("click".into())),
        one(Filter::CustomEvent("plan_selected".into())),
        one(Filter::CustomProp {
            key: "plan".into(),
            value: "pro".into(),
        }),
        one(Filter::CustomProp {
            key: "network".into(),
            value: "it's \\ not there".into(),
        }),
        one(Filter::Frustration(Signal::Rage, Thresholds::default())),
        one(Filter::Frustration(Signal::Error, Thresholds::default())),
        one(Filter::Frustration(
            Signal::QuickBack,
            Thresholds::default(),
        )),
        one(Filter::ErrorMessage("TypeError: cart.items is null".into())),
        // Hostile values select nothing in either store (and break no SQL).
        one(Filter::Page("/' OR '1'='1".into())),
        one(Filter::User("x\\' OR 1=1 --\0".into())),
    ];
    // Every other session attribute, with a value it has in the data.
    let d = |list: &str| {
        o.top
            .get(list)
            .and_then(|rows| rows.iter().find_map(|r| r.value.clone()))
    };
    let values = first_sessions(
        reference,
        range,
        Filters::default(),
        SessionSort::NewestFirst,
        1,
    );
    let os = values.sessions.first().map(|s| s.os.clone());
    for (field, value) in [
        (SessionField::Medium, Some("search".to_owned())),
        (SessionField::ReferrerHost, d("referrers")),
        (SessionField::UtmSource, Some("newsletter".to_owned())),
        (SessionField::UtmMedium, Some("email".to_owned())),
        (SessionField::UtmTerm, Some("shoes".to_owned())),
        (SessionField::UtmContent, Some("banner".to_owned())),
        (SessionField::Os, os),
    ] {
        out.push(one(Filter::Session(
            field,
            value.unwrap_or_else(|| "none".into()),
        )));
    }
    out.push(Filters {
        include_bots: true,
        conditions: vec![
            Filter::HasEvent("pageview".into()),
            Filter::Session(SessionField::Device, "desktop".into()),
        ],
    });
    out
}
