//! Building ClickHouse SQL from plans: the site, range, bot and filter predicate every report
//! shares, and the session relation reports read.
//!
//! ClickHouse 18.16 has no bound parameters: request text enters SQL only through
//! [`quote`] and numbers only as Rust integers; the shape of the SQL is chosen from fixed
//! fragments by the plan's enums, like the embedded store's `sql.rs` (whose semantics this
//! mirrors filter by filter).

use super::client::quote;
use super::signals::{marked_clicks, quick_backs};
use crate::model::SiteId;
use crate::query::frustration::Signal;
use crate::query::zone::Zone;
use crate::query::{Filter, Filters, TimeRange};

/// The predicate for a site, a range of `ts_ms`, bots and filters, over any relation with
/// `site`, `ts_ms`, `bot`, `visitor_id` and `session_id` (events, batches, merged sessions).
pub(super) fn events_where(site: &SiteId, range: TimeRange, filters: &Filters) -> String {
    let s = Scope { site, range };
    let mut sql = format!(
        "site = {} AND ts_ms >= {} AND ts_ms < {}",
        quote(site.as_str()),
        range.from_ms,
        range.to_ms
    );
    if !filters.include_bots {
        sql.push_str(" AND bot = 0");
    }
    for f in &filters.conditions {
        sql.push_str(" AND ");
        sql.push_str(&s.filter_sql(f));
    }
    sql
}

struct Scope<'a> {
    site: &'a SiteId,
    range: TimeRange,
}

impl Scope<'_> {
    fn in_range(&self) -> String {
        format!(
            "site = {} AND ts_ms >= {} AND ts_ms < {}",
            quote(self.site.as_str()),
            self.range.from_ms,
            self.range.to_ms
        )
    }

    /// Sessions with an event in the range that meets `cond`.
    fn sessions_with(&self, cond: &str) -> String {
        format!(
            "session_id IN (SELECT session_id FROM events WHERE {} AND {cond})",
            self.in_range()
        )
    }

    fn user_sessions(&self, user_cond: &str, link_cond: &str) -> String {
        format!(
            "({} OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = {}{link_cond}))",
            self.sessions_with(user_cond),
            quote(self.site.as_str())
        )
    }

    fn filter_sql(&self, f: &Filter) -> String {
        match f {
            Filter::Page(path) => {
                self.sessions_with(&format!("kind = 'pageview' AND path = {}", quote(path)))
            }
            Filter::PagePrefix(prefix) => self.sessions_with(&format!(
                "kind = 'pageview' AND startsWith(path, {})",
                quote(prefix)
            )),
            // The attribute of the merged session (its earliest part's, skipping NULLs), as
            // the embedded store's one row per session holds it.
            Filter::Session(field, value) => format!(
                "session_id IN (SELECT session_id FROM session_parts WHERE site = {} \
                 GROUP BY session_id HAVING argMin({}, ts_ms) = {})",
                quote(self.site.as_str()),
                field.as_str(),
                quote(value)
            ),
            Filter::SignedIn(true) => self.user_sessions("user_id IS NOT NULL", ""),
            Filter::SignedIn(false) => {
                format!("NOT {}", self.user_sessions("user_id IS NOT NULL", ""))
            }
            Filter::User(user) => {
                let v = quote(user);
                self.user_sessions(&format!("user_id = {v}"), &format!(" AND user_id = {v}"))
            }
            Filter::Visitor(v) => format!("visitor_id = {}", v.0 as i64),
            Filter::CustomEvent(name) => {
                self.sessions_with(&format!("kind = 'custom' AND name = {}", quote(name)))
            }
            Filter::CustomProp { key, value } => {
                // A top-level property: a string equal to the value, or a number or boolean
                // written as the value (visitParam* read flat JSON only; 18.16 has no
                // JSONExtract).
                let (k, v) = (quote(key), quote(value));
                self.sessions_with(&format!(
                    "kind = 'custom' AND (visitParamExtractString(props, {k}) = {v} \
                     OR visitParamExtractRaw(props, {k}) = {v})"
                ))
            }
            Filter::HasEvent(name) => {
                let v = quote(name);
                self.sessions_with(&format!("(kind = {v} OR name = {v})"))
            }
            Filter::ErrorMessage(message) => {
                self.sessions_with(&format!("kind = 'error' AND label = {}", quote(message)))
            }
            Filter::Frustration(signal, thresholds) => {
                let scope = self.in_range();
                match signal {
                    Signal::Dead => self.sessions_with("kind = 'click' AND dead = 1"),
                    Signal::Rage => format!(
                        "session_id IN (SELECT session_id FROM {} WHERE rage = 1)",
                        marked_clicks(&scope, "1", thresholds)
                    ),
                    Signal::Error => format!(
                        "session_id IN (SELECT session_id FROM {} WHERE error = 1)",
                        marked_clicks(&scope, "1", thresholds)
                    ),
                    Signal::QuickBack => format!(
                        "session_id IN (SELECT session_id FROM {})",
                        quick_backs(&scope, thresholds)
                    ),
                }
            }
        }
    }
}

/// SQL shifting `ts_ms` to wall-clock milliseconds in `zone` over `range`: one offset, or a
/// `multiIf` over the offsets between daylight-saving transitions.
pub(super) fn local_ts(zone: Zone, range: TimeRange) -> String {
    let segments = zone.segments(range);
    match segments.as_slice() {
        [(_, offset)] => format!("(ts_ms + {offset})"),
        _ => {
            let last = segments.len() - 1;
            let mut parts = Vec::new();
            for (i, (until, offset)) in segments.iter().enumerate() {
                if i == last {
                    parts.push(offset.to_string());
                } else {
                    parts.push(format!("ts_ms < {until}, {offset}"));
                }
            }
            format!("(ts_ms + multiIf({}))", parts.join(", "))
        }
    }
}

/// One row per session of a site, merged from its parts exactly as the embedded store merges
/// its staging rows (DuckDB's `MERGED_SESSIONS`): times and counts add up, the user is the greatest,
/// attributes are the earliest part's (aggregates skip NULL, so a missing country is taken
/// from a later part), entry and exit pages the first and last pageview's. `{cond}` restricts
/// the parts read (a whole session's parts must be read: a fixed predicate on site and
/// session). Columns: those the embedded `sessions` table has, with `ts_ms`/`last_ts_ms`.
pub(super) const SESSIONS: &str = "(
    SELECT site, session_id, m_visitor AS visitor_id, m_user AS user_id, m_bot AS bot,
           m_ts AS ts_ms, m_last AS last_ts_ms, m_events AS events, m_pageviews AS pageviews,
           m_clicks AS clicks, m_engaged AS engaged_ms, m_depth AS max_depth,
           m_entry_ts AS entry_ts_ms, m_entry AS entry_page, m_exit_ts AS exit_ts_ms,
           m_exit AS exit_page, m_browser AS browser, m_browser_version AS browser_version,
           m_os AS os, m_device AS device, m_country AS country, m_ip AS ip,
           m_screen_w AS screen_w, m_screen_h AS screen_h, m_language AS language,
           m_referrer_host AS referrer_host, m_source AS source, m_medium AS medium,
           m_utm_source AS utm_source, m_utm_medium AS utm_medium,
           m_utm_campaign AS utm_campaign, m_utm_term AS utm_term,
           m_utm_content AS utm_content, m_n_move AS n_move, m_n_scroll AS n_scroll,
           m_n_key AS n_key, m_n_form AS n_form, m_n_touch AS n_touch, m_n_media AS n_media,
           m_n_visibility AS n_visibility, m_n_resize AS n_resize,
           m_n_engagement AS n_engagement, m_n_custom AS n_custom,
           m_n_commerce AS n_commerce, m_n_identify AS n_identify,
           m_n_error AS n_error
    FROM (
        SELECT site, session_id, argMin(visitor_id, ts_ms) AS m_visitor, max(user_id) AS m_user,
               argMin(bot, ts_ms) AS m_bot, min(ts_ms) AS m_ts, max(last_ts_ms) AS m_last,
               sum(events) AS m_events, sum(pageviews) AS m_pageviews, sum(clicks) AS m_clicks,
               sum(engaged_ms) AS m_engaged, max(max_depth) AS m_depth,
               min(entry_ts_ms) AS m_entry_ts, argMin(entry_page, entry_ts_ms) AS m_entry,
               max(exit_ts_ms) AS m_exit_ts, argMax(exit_page, exit_ts_ms) AS m_exit,
               argMin(browser, ts_ms) AS m_browser,
               argMin(browser_version, ts_ms) AS m_browser_version, argMin(os, ts_ms) AS m_os,
               argMin(device, ts_ms) AS m_device, argMin(country, ts_ms) AS m_country,
               argMin(ip, ts_ms) AS m_ip, argMin(screen_w, ts_ms) AS m_screen_w,
               argMin(screen_h, ts_ms) AS m_screen_h, argMin(language, ts_ms) AS m_language,
               argMin(referrer_host, ts_ms) AS m_referrer_host,
               argMin(source, ts_ms) AS m_source, argMin(medium, ts_ms) AS m_medium,
               argMin(utm_source, ts_ms) AS m_utm_source,
               argMin(utm_medium, ts_ms) AS m_utm_medium,
               argMin(utm_campaign, ts_ms) AS m_utm_campaign,
               argMin(utm_term, ts_ms) AS m_utm_term,
               argMin(utm_content, ts_ms) AS m_utm_content,
               sum(n_move) AS m_n_move, sum(n_scroll) AS m_n_scroll, sum(n_key) AS m_n_key,
               sum(n_form) AS m_n_form, sum(n_touch) AS m_n_touch, sum(n_media) AS m_n_media,
               sum(n_visibility) AS m_n_visibility, sum(n_resize) AS m_n_resize,
               sum(n_engagement) AS m_n_engagement, sum(n_custom) AS m_n_custom,
               sum(n_commerce) AS m_n_commerce, sum(n_identify) AS m_n_identify,
               sum(n_error) AS m_n_error
        FROM session_parts
        WHERE {cond}
        GROUP BY site, session_id
    )
)";

/// The merged sessions that start in `range` (and whatever else `filters` demand are checked
/// by the caller's predicate): reads every part of the sessions with a part in the range.
pub(super) fn sessions_starting_in(site: &SiteId, range: TimeRange) -> String {
    let site = quote(site.as_str());
    SESSIONS.replace(
        "{cond}",
        &format!(
            "site = {site} AND session_id IN (SELECT session_id FROM session_parts \
             WHERE site = {site} AND ts_ms >= {} AND ts_ms < {})",
            range.from_ms, range.to_ms
        ),
    )
}

/// The merged row of one session.
pub(super) fn one_session(site: &SiteId, session_id: i64) -> String {
    SESSIONS.replace(
        "{cond}",
        &format!(
            "site = {} AND session_id = {session_id}",
            quote(site.as_str())
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VisitorId;
    use crate::query::SessionField;

    /// The SQL of every filter shape, pinned (a change here is a change of query plans), with
    /// hostile values that must stay inside their string literals.
    #[test]
    fn filter_sql_snapshot() {
        let filters = Filters {
            include_bots: false,
            conditions: vec![
                Filter::Page("/cart' OR '1'='1".into()),
                Filter::PagePrefix("/blog\\".into()),
                Filter::Session(SessionField::Country, "DE".into()),
                Filter::SignedIn(false),
                Filter::User("u-1\0".into()),
                Filter::Visitor(VisitorId(u64::MAX)),
                Filter::CustomEvent("signup".into()),
                Filter::CustomProp {
                    key: "plan".into(),
                    value: "pro".into(),
                },
                Filter::HasEvent("purchase".into()),
            ],
        };
        let range = TimeRange::new(1_000, 2_000).unwrap();
        let sql = events_where(&SiteId::parse("demo").unwrap(), range, &filters);
        let r = "site = 'demo' AND ts_ms >= 1000 AND ts_ms < 2000";
        let expected = [
            format!("{r} AND bot = 0"),
            format!("session_id IN (SELECT session_id FROM events WHERE {r} AND kind = 'pageview' AND path = '/cart\\' OR \\'1\\'=\\'1')"),
            format!("session_id IN (SELECT session_id FROM events WHERE {r} AND kind = 'pageview' AND startsWith(path, '/blog\\\\'))"),
            "session_id IN (SELECT session_id FROM session_parts WHERE site = 'demo' GROUP BY session_id HAVING argMin(country, ts_ms) = 'DE')".to_owned(),
            format!("NOT (session_id IN (SELECT session_id FROM events WHERE {r} AND user_id IS NOT NULL) OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = 'demo'))"),
            format!("(session_id IN (SELECT session_id FROM events WHERE {r} AND user_id = 'u-1\\0') OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = 'demo' AND user_id = 'u-1\\0'))"),
            "visitor_id = -1".to_owned(),
            format!("session_id IN (SELECT session_id FROM events WHERE {r} AND kind = 'custom' AND name = 'signup')"),
            format!("session_id IN (SELECT session_id FROM events WHERE {r} AND kind = 'custom' AND (visitParamExtractString(props, 'plan') = 'pro' OR visitParamExtractRaw(props, 'plan') = 'pro'))"),
            format!("session_id IN (SELECT session_id FROM events WHERE {r} AND (kind = 'purchase' OR name = 'purchase'))"),
        ]
        .join(" AND ");
        assert_eq!(sql, expected);
        let with_bots = events_where(
            &SiteId::parse("demo").unwrap(),
            range,
            &Filters {
                include_bots: true,
                conditions: Vec::new(),
            },
        );
        assert_eq!(with_bots, r);
    }

    #[test]
    fn local_time_uses_one_offset_or_the_transitions() {
        let utc = Zone::default();
        let range = TimeRange::new(0, 86_400_000).unwrap();
        assert_eq!(local_ts(utc, range), "(ts_ms + 0)");
        // 2026-03-29 01:00 UTC: Berlin moves from +1 h to +2 h.
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let t = 1_774_746_000_000;
        let range = TimeRange::new(t - 3_600_000, t + 3_600_000).unwrap();
        assert_eq!(
            local_ts(berlin, range),
            format!("(ts_ms + multiIf(ts_ms < {t}, 3600000, 7200000))")
        );
    }
}
