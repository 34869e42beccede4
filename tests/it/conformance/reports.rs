//! Every report gives the same figures on the store under test as on the reference (DuckDB)
//! for the same seeded traffic, under every filter of [`filter_sets`], and with each report's
//! sorts, paging, granularities and time zones.

use footfall::model::SessionId;
use footfall::query::engagement::{EngagementBy, EngagementPlan, EngagementSort};
use footfall::query::frustration::{FrustrationPlan, Thresholds};
use footfall::query::heatmap::{HeatmapKind, HeatmapPlan, ViewportClass};
use footfall::query::live::LivePlan;
use footfall::query::pages::{PageSort, PagesPlan};
use footfall::query::zone::Zone;
use footfall::query::*;
use footfall::store::StoreError;
use footfall::store::duckdb::DuckDbStore;
use footfall::store::prelude::*;

use super::data::{NOW, filter_sets, first_sessions, seed, site};
use super::{DuckDb, Fresh, StoreUnderTest, compare};

/// The reference and a store of `S` with the same seeded traffic.
struct Seeded<S: StoreUnderTest> {
    reference: Fresh<DuckDbStore>,
    candidate: Fresh<S::Store>,
}

impl<S: StoreUnderTest> Seeded<S> {
    fn new(events: u64, days: u32) -> Seeded<S> {
        let (reference, candidate) = (DuckDb::fresh(), S::fresh());
        seed(&[&*reference, &*candidate], events, days);
        assert_eq!(
            reference.count_events(&site("demo")).unwrap(),
            candidate.count_events(&site("demo")).unwrap()
        );
        Seeded {
            reference,
            candidate,
        }
    }

    /// The filters to run every report under, for `range`.
    fn filter_sets(&self, range: TimeRange) -> Vec<Filters> {
        filter_sets(&*self.reference, range)
    }

    /// [`compare`]s `report` on both stores, naming the store under test in `what`.
    fn compare<T: serde::Serialize>(
        &self,
        what: &str,
        report: impl Fn(&dyn Store) -> Result<T, StoreError>,
    ) -> T {
        let what = format!("{}: {what}", S::NAME);
        compare(&what, &*self.reference, &*self.candidate, report)
    }
}

/// The last `days` days before [`NOW`].
fn last_days(days: i64) -> TimeRange {
    TimeRange::new(NOW - days * 86_400_000, NOW).unwrap()
}

pub fn overview<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(6_000, 4);
    let range = last_days(3);
    for filters in p.filter_sets(range) {
        for (granularity, zone) in [
            (Granularity::Day, Zone::default()),
            (Granularity::Hour, Zone::parse("Europe/Berlin").unwrap()),
            (Granularity::Week, Zone::parse("America/New_York").unwrap()),
        ] {
            let plan = OverviewPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                granularity,
                zone,
                top: 5,
                // The dashboard's comparison line, on two of the three granularities.
                previous_series: granularity != Granularity::Week,
            };
            p.compare(&format!("overview {filters:?} {granularity:?}"), |s| {
                s.overview(&plan)
            });
        }
    }
}

/// Session lists under every sort and page, then the details of forty sessions.
pub fn sessions<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(4_000, 3);
    let range = last_days(2);
    for filters in p.filter_sets(range) {
        for sort in [
            SessionSort::NewestFirst,
            SessionSort::OldestFirst,
            SessionSort::LongestFirst,
            SessionSort::MostEventsFirst,
        ] {
            for offset in [0, 15, 100_000] {
                let plan = SessionListPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    sort,
                    limit: 15,
                    offset,
                };
                p.compare(&format!("sessions {filters:?} {sort:?} {offset}"), |s| {
                    s.sessions(&plan)
                });
            }
        }
    }
    let bots_too = Filters {
        include_bots: true,
        conditions: Vec::new(),
    };
    let all = first_sessions(
        &*p.reference,
        range,
        bots_too,
        SessionSort::MostEventsFirst,
        40,
    );
    assert!(all.sessions.len() >= 20, "{}", all.sessions.len());
    for s in &all.sessions {
        let plan = SessionDetailPlan {
            site: site("demo"),
            session: SessionId::parse_hex(&s.session_id).unwrap(),
        };
        let d = p.compare(&format!("session {}", s.session_id), |s| {
            s.session_detail(&plan)
        });
        assert!(d.is_some());
    }
    let missing = SessionDetailPlan {
        site: site("demo"),
        session: SessionId(12345),
    };
    assert_eq!(p.candidate.session_detail(&missing).unwrap(), None);
}

pub fn live<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(3_000, 1);
    let range = last_days(1);
    for filters in p.filter_sets(range) {
        for now_ms in [NOW, NOW - 3_600_000, NOW - 7_200_000] {
            let plan = LivePlan {
                site: site("demo"),
                now_ms,
                filters: filters.clone(),
                events: 30,
            };
            p.compare(&format!("live {filters:?} {now_ms}"), |s| s.live(&plan));
        }
    }
}

/// By user and by visitor, under the first six filters (twenty days of traffic make it slow).
pub fn engagement<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(10_000, 20);
    let range = last_days(19);
    let mut filter_sets = p.filter_sets(range);
    filter_sets.truncate(6);
    for filters in filter_sets {
        for by in [EngagementBy::User, EngagementBy::Visitor] {
            for (sort, search, offset) in [
                (EngagementSort::Score, None, 0),
                (EngagementSort::Engaged, None, 5),
                (EngagementSort::Purchases, None, 0),
                (EngagementSort::LastSeenAsc, None, 0),
                (EngagementSort::FirstSeen, Some("USER-1".to_owned()), 0),
                (EngagementSort::Sessions, None, 100_000),
            ] {
                let plan = EngagementPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    by,
                    sort,
                    search: search.clone(),
                    limit: 10,
                    offset,
                    zone: Zone::parse("Europe/Berlin").unwrap(),
                };
                let d = p.compare(
                    &format!("engagement {filters:?} {by:?} {sort:?} {search:?} {offset}"),
                    |s| s.engagement(&plan),
                );
                if filters.conditions.is_empty() && offset == 0 && search.is_none() {
                    assert!(!d.rows.is_empty() && !d.cohorts.is_empty(), "{d:?}");
                }
            }
        }
    }
}

pub fn pages<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(8_000, 4);
    let range = last_days(3);
    for filters in p.filter_sets(range) {
        for sort in [
            PageSort::Views,
            PageSort::Visitors,
            PageSort::Time,
            PageSort::Path,
        ] {
            for offset in [0, 7, 100_000] {
                let plan = PagesPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    sort,
                    limit: 7,
                    offset,
                };
                let d = p.compare(&format!("pages {filters:?} {sort:?} {offset}"), |s| {
                    s.pages(&plan)
                });
                if filters.conditions.is_empty() && offset == 0 {
                    assert!(
                        d.pages
                            .iter()
                            .any(|p| p.scroll.reached_50 > 0 && !p.clicks.is_empty()),
                        "{d:?}"
                    );
                }
            }
        }
    }
}

pub fn ecommerce<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(8_000, 4);
    let range = last_days(3);
    for filters in p.filter_sets(range) {
        for (granularity, zone) in [
            (Granularity::Day, Zone::default()),
            (Granularity::Hour, Zone::parse("Asia/Kolkata").unwrap()),
        ] {
            let plan = footfall::query::ecommerce::EcommercePlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                product_limit: 8,
                granularity,
                zone,
            };
            let d = p.compare(&format!("ecommerce {filters:?} {granularity:?}"), |s| {
                s.ecommerce(&plan)
            });
            if filters.conditions.is_empty() {
                assert!(d.orders > 0 && !d.top_products.is_empty(), "{d:?}");
            }
        }
    }
}

/// The click, move and scroll maps of the busiest pages, for every device, under every filter.
pub fn heatmaps<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(6_000, 3);
    let range = last_days(2);
    let busiest = p
        .reference
        .pages(&PagesPlan {
            site: site("demo"),
            range,
            filters: Filters::default(),
            sort: PageSort::Views,
            limit: 2,
            offset: 0,
        })
        .unwrap();
    for filters in p.filter_sets(range) {
        for page in &busiest.pages {
            for kind in [HeatmapKind::Click, HeatmapKind::Move, HeatmapKind::Scroll] {
                for device in [
                    None,
                    Some(ViewportClass::Mobile),
                    Some(ViewportClass::Desktop),
                ] {
                    let plan = HeatmapPlan {
                        site: site("demo"),
                        range,
                        filters: filters.clone(),
                        path: page.path.clone(),
                        kind,
                        device,
                        widths: device.map(ViewportClass::widths).unwrap_or_default(),
                        thresholds: Thresholds::default(),
                    };
                    let what = format!("heatmap {} {kind:?} {device:?} {filters:?}", page.path);
                    let h = p.compare(&what, |s| s.heatmap(&plan));
                    if filters.conditions.is_empty() && device.is_none() {
                        match kind {
                            HeatmapKind::Scroll => {
                                assert!(h.scroll.is_some_and(|m| m.views > 0), "{what}")
                            }
                            _ => assert!(h.total > 0, "{what}"),
                        }
                    }
                }
            }
        }
    }
}

/// The frustration report under every filter, with the default thresholds and looser ones.
pub fn frustration<S: StoreUnderTest>() {
    let p = Seeded::<S>::new(8_000, 4);
    let range = last_days(2);
    let loose = Thresholds {
        rage_clicks: 2,
        rage_window_ms: 2_000,
        rage_radius_px: 300,
        error_window_ms: 3_000,
        quick_back_ms: 10_000,
    };
    for filters in p.filter_sets(range) {
        for thresholds in [Thresholds::default(), loose] {
            let plan = FrustrationPlan {
                site: site("demo"),
                range,
                filters: filters.clone().with_thresholds(thresholds),
                thresholds,
                limit: 500,
            };
            let f = p.compare(&format!("frustration {thresholds:?} {filters:?}"), |s| {
                s.frustration(&plan)
            });
            if filters.conditions.is_empty() {
                let sum = |k: fn(&footfall::query::frustration::FrustratedElement) -> u64| {
                    f.elements.iter().map(k).sum::<u64>()
                };
                assert!(sum(|e| e.current.rage_clicks) > 0, "{f:?}");
                assert!(sum(|e| e.current.dead_clicks) > 0, "{f:?}");
                assert!(sum(|e| e.current.error_clicks) > 0, "{f:?}");
                assert!(!f.quick_backs.is_empty() && !f.errors.is_empty(), "{f:?}");
            }
        }
    }
}
