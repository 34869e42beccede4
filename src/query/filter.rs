//! Report filters: which sessions a report looks at.
//!
//! Every filter selects sessions (a session matches when it has a pageview of the page, its
//! earliest batch came from the source, it contains the event, ...); a report is then computed
//! over the events of the matching sessions in the time range. Filters are parsed from request
//! parameters into these values once, and each store binds the values into fixed query shapes:
//! no request text ever becomes SQL.

use super::frustration::{Signal, Thresholds};
use crate::model::VisitorId;

/// A session attribute taken from the session's earliest batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionField {
    Source,
    Medium,
    ReferrerHost,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,
    Country,
    Browser,
    Os,
    Device,
}

impl SessionField {
    pub const ALL: [SessionField; 12] = [
        SessionField::Source,
        SessionField::Medium,
        SessionField::ReferrerHost,
        SessionField::UtmSource,
        SessionField::UtmMedium,
        SessionField::UtmCampaign,
        SessionField::UtmTerm,
        SessionField::UtmContent,
        SessionField::Country,
        SessionField::Browser,
        SessionField::Os,
        SessionField::Device,
    ];

    /// The request parameter (and stored column) name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionField::Source => "source",
            SessionField::Medium => "medium",
            SessionField::ReferrerHost => "referrer_host",
            SessionField::UtmSource => "utm_source",
            SessionField::UtmMedium => "utm_medium",
            SessionField::UtmCampaign => "utm_campaign",
            SessionField::UtmTerm => "utm_term",
            SessionField::UtmContent => "utm_content",
            SessionField::Country => "country",
            SessionField::Browser => "browser",
            SessionField::Os => "os",
            SessionField::Device => "device",
        }
    }
}

/// One condition a session must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// The session has a pageview of exactly this path.
    Page(String),
    /// The session has a pageview of a path starting with this prefix.
    PagePrefix(String),
    /// The session's attribute (from its earliest batch) equals the value.
    Session(SessionField, String),
    /// The session belongs to a signed-in user (`true`) or stayed anonymous (`false`).
    SignedIn(bool),
    /// The session belongs to this user (directly or through the visitor's identity link).
    User(String),
    Visitor(VisitorId),
    /// The session contains a custom event with this name.
    CustomEvent(String),
    /// The session contains a custom event whose property `key` equals `value`.
    CustomProp {
        key: String,
        value: String,
    },
    /// The session contains an event of this type (`pageview`, `click`, ...) or this name
    /// (a custom event name or an e-commerce action such as `purchase`).
    HasEvent(String),
    /// The session has a JavaScript error with exactly this (masked) message.
    ErrorMessage(String),
    /// The session shows this frustration signal in the range (`query::frustration`), derived
    /// with these thresholds (the site's, set by [`Filters::with_thresholds`]).
    Frustration(Signal, Thresholds),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("filter `{0}` needs a non-empty value of at most 512 characters")]
    BadValue(&'static str),
    #[error("filter `signed_in` must be true or false, got {0:?}")]
    BadBool(String),
    #[error("filter `visitor` must be a visitor id (16 hex digits), got {0:?}")]
    BadVisitor(String),
    #[error(
        "filter `prop` must be `key:value` with a key of letters, digits, '_', '-' or '.', got {0:?}"
    )]
    BadProp(String),
    #[error("filter `frustration` must be one of {names}, got {0:?}", names = Signal::NAMES)]
    BadSignal(String),
}

/// Filters common to every report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Bot traffic is stored flagged and left out unless asked for.
    pub include_bots: bool,
    /// Every one must hold (AND).
    pub conditions: Vec<Filter>,
}

impl Filters {
    /// The same filters with frustration signals derived by `thresholds` (a site's).
    pub fn with_thresholds(mut self, thresholds: Thresholds) -> Filters {
        for f in &mut self.conditions {
            if let Filter::Frustration(_, t) = f {
                *t = thresholds;
            }
        }
        self
    }
}

/// The request parameters that are filters (besides `include_bots`).
pub const FILTER_KEYS: &[&str] = &[
    "page",
    "page_prefix",
    "source",
    "medium",
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "country",
    "browser",
    "os",
    "device",
    "signed_in",
    "user",
    "visitor",
    "event",
    "prop",
    "has_event",
    "frustration",
    "error",
];

fn text(key: &'static str, value: &str) -> Result<String, FilterError> {
    if value.is_empty() || value.chars().count() > 512 {
        Err(FilterError::BadValue(key))
    } else {
        Ok(value.to_owned())
    }
}

impl Filter {
    /// Parses one request parameter; `None` when `key` is not a filter parameter.
    pub fn parse(key: &str, value: &str) -> Option<Result<Filter, FilterError>> {
        let session = SessionField::ALL.into_iter().find(|f| f.as_str() == key);
        let parsed = match (key, session) {
            (_, Some(field)) => text(field.as_str(), value).map(|v| Filter::Session(field, v)),
            ("page", _) => text("page", value).map(Filter::Page),
            ("page_prefix", _) => text("page_prefix", value).map(Filter::PagePrefix),
            ("signed_in", _) => match value {
                "true" | "1" => Ok(Filter::SignedIn(true)),
                "false" | "0" => Ok(Filter::SignedIn(false)),
                other => Err(FilterError::BadBool(other.chars().take(20).collect())),
            },
            ("user", _) => text("user", value).map(Filter::User),
            ("visitor", _) => VisitorId::parse_hex(value)
                .map(Filter::Visitor)
                .map_err(|_| FilterError::BadVisitor(value.chars().take(20).collect())),
            ("event", _) => text("event", value).map(Filter::CustomEvent),
            ("prop", _) => match value.split_once(':') {
                Some((k, v))
                    if !k.is_empty()
                        && k.len() <= 64
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
                        && !v.is_empty() =>
                {
                    Ok(Filter::CustomProp {
                        key: k.to_owned(),
                        value: v.to_owned(),
                    })
                }
                _ => Err(FilterError::BadProp(value.chars().take(40).collect())),
            },
            ("has_event", _) => text("has_event", value).map(Filter::HasEvent),
            ("error", _) => text("error", value).map(Filter::ErrorMessage),
            ("frustration", _) => Signal::parse(value)
                .map(|s| Filter::Frustration(s, Thresholds::default()))
                .ok_or_else(|| FilterError::BadSignal(value.chars().take(20).collect())),
            _ => return None,
        };
        Some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_key_parses() {
        for key in FILTER_KEYS {
            let value = match *key {
                "signed_in" => "true",
                "visitor" => "00000000000000ff",
                "prop" => "plan:pro",
                "frustration" => "rage",
                _ => "x",
            };
            assert!(matches!(Filter::parse(key, value), Some(Ok(_))), "{key}");
        }
        assert_eq!(Filter::parse("colour", "red"), None);
    }

    #[test]
    fn bad_filter_values_are_named() {
        assert_eq!(
            Filter::parse("country", ""),
            Some(Err(FilterError::BadValue("country")))
        );
        assert!(matches!(
            Filter::parse("signed_in", "maybe"),
            Some(Err(FilterError::BadBool(_)))
        ));
        assert!(matches!(
            Filter::parse("visitor", "abc"),
            Some(Err(FilterError::BadVisitor(_)))
        ));
        assert!(matches!(
            Filter::parse("prop", "plan"),
            Some(Err(FilterError::BadProp(_)))
        ));
        assert!(matches!(
            Filter::parse("prop", "$.x:1"),
            Some(Err(FilterError::BadProp(_)))
        ));
        assert_eq!(
            Filter::parse("frustration", "angry")
                .unwrap()
                .unwrap_err()
                .to_string(),
            "filter `frustration` must be one of rage, dead, error, quick_back, got \"angry\""
        );
        let t = Thresholds {
            rage_clicks: 5,
            ..Thresholds::default()
        };
        let filters = Filters {
            include_bots: false,
            conditions: vec![Filter::parse("frustration", "quick_back").unwrap().unwrap()],
        }
        .with_thresholds(t);
        assert_eq!(
            filters.conditions,
            vec![Filter::Frustration(Signal::QuickBack, t)]
        );
        assert_eq!(
            Filter::parse("prop", "plan:pro:max"),
            Some(Ok(Filter::CustomProp {
                key: "plan".into(),
                value: "pro:max".into()
            }))
        );
    }
}
