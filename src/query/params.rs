//! A report request's query string, validated into the report's plan.
//!
//! The JSON API and the dashboard read the same parameters with the same meaning, so the
//! reading lives here beside the plans and needs only the request's own values: the site id,
//! the parameters, whether the site exists and the current time (no web state, no store).
//!
//! The order of the checks is part of the API, so that a request with several problems always
//! gets the same answer: parameters the report refuses, unknown parameters, filters, the site
//! id; then the caller checks that the principal may read the site (between [`parse`] and
//! [`Parsed::plan`], so a caller without access learns nothing about which sites exist); then
//! the site's existence, `tz`, `to`, `from`, `include_bots` and the report's own parameters.

use std::collections::HashMap;
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate};

use super::ecommerce::EcommercePlan;
use super::engagement::{EngagementBy, EngagementPlan, EngagementSort};
use super::filter::FILTER_KEYS;
use super::frustration::{FrustrationPlan, Thresholds};
use super::heatmap::{HeatmapKind, HeatmapPlan, ViewportClass, WidthRange};
use super::live::LivePlan;
use super::pages::{PageSort, PagesPlan};
use super::zone::Zone;
use super::{
    Filter, FilterError, Filters, Granularity, OverviewPlan, PlanError, SessionListPlan,
    SessionSort, TimeRange,
};
use crate::model::{IdError, SessionId, SiteId};

/// A request's query parameters, as the web layer decodes them.
pub type Params = HashMap<String, String>;

const DAY_MS: i64 = 86_400_000;
/// The common parameters every report takes (besides the filters).
const COMMON_KEYS: &[&str] = &["from", "to", "include_bots", "tz"];
/// A series may have at most this many buckets.
const MAX_POINTS: i64 = 5000;

/// Why a report request's parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown query parameter `{0}`")]
    Unknown(String),
    /// A common parameter this report has no use for (`from`/`to` of the live view).
    #[error("`{0}` does not apply: {1}")]
    NotApplicable(&'static str, &'static str),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    Site(IdError),
    #[error(transparent)]
    Session(IdError),
    #[error("site {0:?}")]
    UnknownSite(SiteId),
    /// A parameter's value is out of its domain; the message names the parameter.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

fn invalid(message: impl Into<String>) -> ParamError {
    ParamError::Invalid(message.into())
}

/// A report whose plan is read from a query string.
pub trait ReportParams: Sized {
    /// The report's own parameters, besides the common ones and the filters (a key here is
    /// not read as a filter).
    const KEYS: &'static [&'static str];
    /// Common parameters the report refuses, and why.
    const REFUSED: &'static [(&'static str, &'static str)] = &[];

    fn from_request(request: &Request<'_>) -> Result<Self, ParamError>;
}

/// The first checks of a request for report `P`, done; the caller checks access next.
pub struct Parsed<'a, P> {
    site: SiteId,
    params: &'a Params,
    conditions: Vec<Filter>,
    thresholds: Thresholds,
    report: PhantomData<P>,
}

/// Refused and unknown parameters, the filters and the site id.
pub fn parse<'a, P: ReportParams>(
    site: &str,
    params: &'a Params,
) -> Result<Parsed<'a, P>, ParamError> {
    if let Some(&(key, why)) = P::REFUSED.iter().find(|(k, _)| params.contains_key(*k)) {
        return Err(ParamError::NotApplicable(key, why));
    }
    let known =
        |k: &str| COMMON_KEYS.contains(&k) || FILTER_KEYS.contains(&k) || P::KEYS.contains(&k);
    if let Some(unknown) = params.keys().find(|k| !known(k)) {
        return Err(ParamError::Unknown(unknown.clone()));
    }
    let mut conditions = Vec::new();
    // A report's own parameter wins over a filter of the same name (the heatmap's `device` is
    // the viewport's class, not the session's device).
    for (key, value) in params
        .iter()
        .filter(|(k, _)| !P::KEYS.contains(&k.as_str()))
    {
        if let Some(parsed) = Filter::parse(key, value) {
            conditions.push(parsed?);
        }
    }
    // A stable order keeps the generated SQL the same for the same set of filters.
    conditions.sort_by_key(|f| format!("{f:?}"));
    Ok(Parsed {
        site: site_id(site)?,
        params,
        conditions,
        thresholds: Thresholds::default(),
        report: PhantomData,
    })
}

impl<P: ReportParams> Parsed<'_, P> {
    /// The site the request is for: the caller checks that it may be read.
    pub fn site(&self) -> &SiteId {
        &self.site
    }

    /// The site's thresholds of the frustration signals, for the plan and its
    /// `frustration=` filter (the defaults unless given).
    pub fn thresholds(mut self, thresholds: Thresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The remaining checks and the plan. `site_exists` says whether the site is configured.
    pub fn plan(self, site_exists: bool, now_ms: i64) -> Result<P, ParamError> {
        let site = known_site(self.site, site_exists)?;
        let params = self.params;
        let zone = match params.get("tz") {
            None => Zone::default(),
            Some(name) => Zone::parse(name).ok_or_else(|| {
                invalid(format!(
                    "`tz` must be an IANA time zone such as Europe/Berlin, got {name:?}"
                ))
            })?,
        };
        let to = match params.get("to") {
            Some(v) => parse_time("to", v, true, zone)?,
            None => now_ms + 1,
        };
        let from = match params.get("from") {
            Some(v) => parse_time("from", v, false, zone)?,
            None => to - 30 * DAY_MS,
        };
        let include_bots = match params.get("include_bots").map(String::as_str) {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "`include_bots` must be true or false, got {other:?}"
                )));
            }
        };
        P::from_request(&Request {
            site,
            zone,
            range: TimeRange::new(from, to)?,
            filters: Filters {
                include_bots,
                conditions: self.conditions,
            }
            .with_thresholds(self.thresholds),
            thresholds: self.thresholds,
            now_ms,
            params,
        })
    }
}

/// A request past the common checks: what every plan is built from.
pub struct Request<'a> {
    pub site: SiteId,
    /// `tz=`: how dates in `from`/`to` and series buckets are read (default UTC).
    pub zone: Zone,
    pub range: TimeRange,
    pub filters: Filters,
    /// The site's thresholds of the frustration signals.
    pub thresholds: Thresholds,
    pub now_ms: i64,
    params: &'a Params,
}

impl Request<'_> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// `offset` (absent: 0).
    pub fn offset(&self) -> Result<u64, ParamError> {
        match self.get("offset") {
            None => Ok(0),
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| invalid("`offset` must be a non-negative integer")),
        }
    }

    /// `interval=hour|day|week` (default: chosen from the range), at most 5000 points.
    pub fn granularity(&self) -> Result<Granularity, ParamError> {
        let granularity = match self.get("interval") {
            None => Granularity::for_range(self.range),
            Some(v) => Granularity::parse(v).ok_or_else(|| {
                invalid(format!("`interval` must be hour, day or week; got {v:?}"))
            })?,
        };
        let buckets = (self.range.to_ms - self.range.from_ms) / granularity.step_ms();
        if buckets > MAX_POINTS {
            return Err(invalid(format!(
                "`interval` {} gives {buckets} points over this range; at most {MAX_POINTS}",
                granularity.as_str()
            )));
        }
        Ok(granularity)
    }

    /// A whole number in `range` (absent: `default`), or `message`.
    fn bounded(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<u32>,
        default: u32,
        message: &str,
    ) -> Result<u32, ParamError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| invalid(message)),
        }
    }

    /// An enumerated value read by `parse` (absent: the type's default), or `expected`.
    fn choice<T: Default>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<T, ParamError> {
        match self.get(key) {
            None => Ok(T::default()),
            Some(v) => {
                parse(v).ok_or_else(|| invalid(format!("`{key}` must be {expected}; got {v:?}")))
            }
        }
    }
}

/// Parses `from`/`to`: epoch milliseconds, RFC 3339, or a date in the report's time zone (a
/// `to` date includes that day).
pub fn parse_time(key: &str, value: &str, end_of_day: bool, zone: Zone) -> Result<i64, ParamError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        return Ok(zone.midnight_ms(day));
    }
    Err(invalid(format!(
        "`{key}` must be epoch milliseconds, an RFC 3339 time or a YYYY-MM-DD date, got {value:?}"
    )))
}

/// A site id from a request path.
pub fn site_id(site: &str) -> Result<SiteId, ParamError> {
    SiteId::parse(site).map_err(ParamError::Site)
}

/// The site, if it is configured.
pub fn known_site(site: SiteId, exists: bool) -> Result<SiteId, ParamError> {
    if exists {
        Ok(site)
    } else {
        Err(ParamError::UnknownSite(site))
    }
}

/// A session id from a request path (16 hex digits).
pub fn session_id(session: &str) -> Result<SessionId, ParamError> {
    SessionId::parse_hex(session).map_err(ParamError::Session)
}

impl ReportParams for OverviewPlan {
    const KEYS: &'static [&'static str] = &["interval", "top"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        let granularity = r.granularity()?;
        Ok(OverviewPlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            granularity,
            zone: r.zone,
            top: r.bounded("top", 1..=100, 10, "`top` must be between 1 and 100")?,
            previous_series: false,
        })
    }
}

impl ReportParams for SessionListPlan {
    const KEYS: &'static [&'static str] = &["limit", "offset", "sort"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        let limit = super::parse_limit(r.get("limit"), 50, SessionListPlan::MAX_LIMIT)?;
        let offset = r.offset()?;
        let sort = r.choice(
            "sort",
            SessionSort::parse,
            "one of -start, start, -duration, -events",
        )?;
        Ok(SessionListPlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            sort,
            limit,
            offset,
        })
    }
}

impl ReportParams for LivePlan {
    const KEYS: &'static [&'static str] = &["events"];
    const REFUSED: &'static [(&'static str, &'static str)] = &[
        ("from", "the live view covers the last 5 minutes"),
        ("to", "the live view covers the last 5 minutes"),
    ];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        Ok(LivePlan {
            site: r.site.clone(),
            now_ms: r.now_ms,
            filters: r.filters.clone(),
            events: r.bounded("events", 1..=500, 50, "`events` must be between 1 and 500")?,
        })
    }
}

impl ReportParams for EcommercePlan {
    const KEYS: &'static [&'static str] = &["limit", "interval"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        Ok(EcommercePlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            product_limit: EcommercePlan::product_limit(r.get("limit"))?,
            granularity: r.granularity()?,
            zone: r.zone,
        })
    }
}

impl ReportParams for EngagementPlan {
    const KEYS: &'static [&'static str] = &["by", "sort", "limit", "offset", "q"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        let by = r.choice("by", EngagementBy::parse, "user or visitor")?;
        let sort = r.choice(
            "sort",
            EngagementSort::parse,
            &format!("one of {}", EngagementSort::VALUES),
        )?;
        let offset = r.offset()?;
        let search = match r.get("q") {
            None | Some("") => None,
            Some(q) if q.chars().count() > EngagementPlan::MAX_SEARCH_CHARS => {
                return Err(invalid(format!(
                    "`q` may have at most {} characters",
                    EngagementPlan::MAX_SEARCH_CHARS
                )));
            }
            Some(q) => Some(q.to_owned()),
        };
        Ok(EngagementPlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            by,
            sort,
            search,
            limit: EngagementPlan::limit(r.get("limit"))?,
            offset,
            zone: r.zone,
        })
    }
}

impl ReportParams for PagesPlan {
    const KEYS: &'static [&'static str] = &["limit", "offset", "sort"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        let limit = PagesPlan::limit(r.get("limit"))?;
        let offset = r.offset()?;
        let sort = r.choice(
            "sort",
            PageSort::parse,
            &format!("one of {}", PageSort::NAMES),
        )?;
        Ok(PagesPlan {
            sort,
            limit,
            offset,
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
        })
    }
}

impl ReportParams for HeatmapPlan {
    const KEYS: &'static [&'static str] = &["path", "type", "device", "min_width", "max_width"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        let path = match r.get("path") {
            Some(p) if p.starts_with('/') && p.chars().count() <= 2048 => p.to_owned(),
            Some(p) => {
                return Err(invalid(format!(
                    "`path` must be a page path starting with / (at most 2048 characters), got {:?}",
                    p.chars().take(40).collect::<String>()
                )));
            }
            None => {
                return Err(invalid(
                    "`path` is required: the page's path, such as /pricing",
                ));
            }
        };
        let kind = match r.get("type") {
            None => HeatmapKind::Click,
            Some(v) => HeatmapKind::parse(v).ok_or_else(|| {
                invalid(format!(
                    "`type` must be one of {}; got {v:?}",
                    HeatmapKind::NAMES
                ))
            })?,
        };
        let device = match r.get("device") {
            None => None,
            Some(v) => Some(ViewportClass::parse(v).ok_or_else(|| {
                invalid(format!(
                    "`device` must be one of {}; got {v:?}",
                    ViewportClass::NAMES
                ))
            })?),
        };
        let width = |key: &str| -> Result<Option<i32>, ParamError> {
            match r.get(key) {
                None => Ok(None),
                Some(v) => v
                    .parse::<i32>()
                    .ok()
                    .filter(|w| (0..=100_000).contains(w))
                    .map(Some)
                    .ok_or_else(|| {
                        invalid(format!("`{key}` must be a width in pixels, 0 to 100000"))
                    }),
            }
        };
        let asked = WidthRange {
            min: width("min_width")?,
            max: width("max_width")?,
        };
        if let (Some(min), Some(max)) = (asked.min, asked.max)
            && min > max
        {
            return Err(invalid("`min_width` must not be above `max_width`"));
        }
        let widths = match device {
            Some(_) if asked.is_bounded() => {
                return Err(invalid(
                    "`device` and `min_width`/`max_width` exclude each other",
                ));
            }
            Some(d) => d.widths(),
            None => asked,
        };
        Ok(HeatmapPlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            path,
            kind,
            device,
            widths,
            thresholds: r.thresholds,
        })
    }
}

impl ReportParams for FrustrationPlan {
    const KEYS: &'static [&'static str] = &["limit"];

    fn from_request(r: &Request<'_>) -> Result<Self, ParamError> {
        Ok(FrustrationPlan {
            site: r.site.clone(),
            range: r.range,
            filters: r.filters.clone(),
            thresholds: r.thresholds,
            limit: super::parse_limit(
                r.get("limit"),
                FrustrationPlan::DEFAULT_LIMIT,
                FrustrationPlan::MAX_LIMIT,
            )?,
        })
    }
}

#[cfg(test)]
mod tests;
