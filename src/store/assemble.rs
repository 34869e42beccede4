//! The parts of report assembly that do not depend on SQL, shared by both stores.
//!
//! Each store reads its rows in its own dialect; what turns those rows into report results
//! (every bucket of a series present, revenue gathered per source or country and sorted) is
//! the same for both. Keeping it in one place keeps the two stores' figures identical, which
//! the conformance tests check.

use std::collections::BTreeMap;

use crate::query::ecommerce::{
    CountryRevenue, Ecommerce, EcommercePoint, SourceRevenue, average_order_value,
};
use crate::query::live::ActiveVisitor;
use crate::query::zone::Zone;
use crate::query::{Amount, Granularity, SeriesPoint, TimeRange, TopRow};

/// A count read from SQL as a signed integer; never negative in practice.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Adds one (action, currency) row of order totals: purchases count as orders, revenue and
/// average order value; anything else (refunds) to the refund figures.
pub(crate) fn add_order_totals(
    out: &mut Ecommerce,
    action: &str,
    currency: Option<String>,
    events: i64,
    valued: i64,
    minor: i64,
) {
    if action == "purchase" {
        out.orders += count(events);
        if let Some(currency) = currency {
            if let Some(aov) = average_order_value(minor, count(valued)) {
                out.average_order_value.push(Amount {
                    currency: currency.clone(),
                    minor: aov,
                });
            }
            out.revenue.push(Amount { currency, minor });
        }
    } else {
        out.refunds.count += count(events);
        if let Some(currency) = currency {
            out.refunds.amount.push(Amount { currency, minor });
        }
    }
}

/// The pages live visitors are on, most visitors first, then by path.
pub(crate) fn live_pages(visitors: &[ActiveVisitor]) -> Vec<TopRow> {
    let mut pages: Vec<TopRow> = Vec::new();
    for v in visitors {
        match pages
            .iter_mut()
            .find(|p| p.value.as_deref() == Some(v.current_page.as_str()))
        {
            Some(row) => {
                row.visitors += 1;
                row.count += 1;
            }
            None => pages.push(TopRow {
                value: Some(v.current_page.clone()),
                visitors: 1,
                count: 1,
            }),
        }
    }
    pages.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    pages
}

fn local_label(g: Granularity, wall_ms: i64) -> String {
    let Some(t) = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(wall_ms) else {
        return String::new();
    };
    match g {
        Granularity::Hour => t.format("%Y-%m-%dT%H:00").to_string(),
        Granularity::Day | Granularity::Week => t.format("%Y-%m-%d").to_string(),
    }
}

/// The buckets of a range: (wall-clock start, UTC start, local label), at most 10,000.
pub(crate) fn buckets(g: Granularity, zone: Zone, range: TimeRange) -> Vec<(i64, i64, String)> {
    let mut out = Vec::new();
    let mut wall = g.bucket_start(zone.wall_ms(range.from_ms));
    let end_wall = zone.wall_ms(range.to_ms);
    while wall < end_wall && out.len() < 10_000 {
        out.push((wall, zone.utc_of_wall(wall), local_label(g, wall)));
        wall += g.step_ms();
    }
    out
}

/// The overview series with every bucket of the range, empty ones as zeros, so charts need
/// no gap logic. `found` is keyed by the local wall-clock start of each bucket with data.
pub(crate) fn overview_series(
    mut found: BTreeMap<i64, SeriesPoint>,
    g: Granularity,
    zone: Zone,
    range: TimeRange,
) -> Vec<SeriesPoint> {
    buckets(g, zone, range)
        .into_iter()
        .map(|(wall, start_ms, local)| {
            let point = found.remove(&wall);
            SeriesPoint {
                start_ms,
                local,
                ..point.unwrap_or(SeriesPoint {
                    start_ms: 0,
                    local: String::new(),
                    visitors: 0,
                    sessions: 0,
                    pageviews: 0,
                    events: 0,
                })
            }
        })
        .collect()
}

/// Orders and revenue per bucket, keyed by the local wall-clock start, with every bucket of
/// the range present.
pub(crate) fn ecommerce_series(
    mut per_bucket: BTreeMap<i64, (u64, Vec<Amount>)>,
    g: Granularity,
    zone: Zone,
    range: TimeRange,
) -> Vec<EcommercePoint> {
    buckets(g, zone, range)
        .into_iter()
        .map(|(wall, start_ms, local)| {
            let (orders, revenue) = per_bucket.remove(&wall).unwrap_or_default();
            EcommercePoint {
                start_ms,
                local,
                orders,
                revenue,
            }
        })
        .collect()
}

/// Orders and revenue per currency, gathered per key (a source or a country).
#[derive(Default)]
pub(crate) struct Breakdown {
    keys: BTreeMap<Option<String>, (u64, BTreeMap<String, i64>)>,
}

impl Breakdown {
    pub(crate) fn add(
        &mut self,
        key: Option<String>,
        currency: Option<String>,
        orders: u64,
        minor: i64,
    ) {
        let (n, revenue) = self.keys.entry(key).or_default();
        *n += orders;
        if let Some(c) = currency {
            *revenue.entry(c).or_default() += minor;
        }
    }

    /// Rows with most orders first, then by key (`None` last).
    fn rows(self) -> Vec<(Option<String>, u64, Vec<Amount>)> {
        let mut rows: Vec<_> = self
            .keys
            .into_iter()
            .map(|(key, (orders, revenue))| {
                let amounts = revenue
                    .into_iter()
                    .map(|(currency, minor)| Amount { currency, minor })
                    .collect();
                (key, orders, amounts)
            })
            .collect();
        rows.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
                .then_with(|| a.0.cmp(&b.0))
        });
        rows
    }

    pub(crate) fn by_source(self) -> Vec<SourceRevenue> {
        self.rows()
            .into_iter()
            .map(|(source, orders, revenue)| SourceRevenue {
                source,
                orders,
                revenue,
            })
            .collect()
    }

    pub(crate) fn by_country(self) -> Vec<CountryRevenue> {
        self.rows()
            .into_iter()
            .map(|(country, orders, revenue)| CountryRevenue {
                country,
                orders,
                revenue,
            })
            .collect()
    }
}

/// The engagement cohort table over local wall-clock weeks, with each week's start given back
/// as the instant it begins in the plan's zone. `cells` are (cohort week, week, people), both
/// weeks as local wall-clock starts.
pub(crate) fn local_cohorts(
    plan: &crate::query::engagement::EngagementPlan,
    cells: &[(i64, i64, u64)],
) -> Vec<crate::query::engagement::Cohort> {
    let zone = plan.zone;
    let wall = TimeRange {
        from_ms: zone.wall_ms(plan.range.from_ms),
        to_ms: zone.wall_ms(plan.range.to_ms),
    };
    let mut cohorts = crate::query::engagement::cohort_table(wall, cells);
    for c in &mut cohorts {
        c.week_start_ms = zone.utc_of_wall(c.week_start_ms);
    }
    cohorts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_rows_put_most_orders_first_and_unknown_last() {
        let mut b = Breakdown::default();
        b.add(None, Some("EUR".into()), 2, 100);
        b.add(Some("Google".into()), Some("USD".into()), 1, 50);
        b.add(Some("Google".into()), Some("EUR".into()), 1, 70);
        b.add(Some("Bing".into()), None, 1, 0);
        let rows = b.rows();
        let keys: Vec<_> = rows.iter().map(|r| (r.0.as_deref(), r.1)).collect();
        assert_eq!(
            keys,
            vec![(Some("Google"), 2), (None, 2), (Some("Bing"), 1)]
        );
        assert_eq!(
            rows[0].2,
            vec![
                Amount {
                    currency: "EUR".into(),
                    minor: 70
                },
                Amount {
                    currency: "USD".into(),
                    minor: 50
                }
            ]
        );
        assert!(rows[2].2.is_empty());
    }
}
