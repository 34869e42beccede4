//! The parameter rules of the report API, checked without a server.

use super::*;

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const NOW: i64 = 1_795_560_144_125;

fn plan<P: ReportParams>(pairs: &[(&str, &str)]) -> Result<P, ParamError> {
    parse::<P>("shop", &params(pairs))?.plan(true, NOW)
}

#[test]
fn times_parse_in_three_forms() {
    assert_eq!(
        parse_time("from", "1795560144125", false, Zone::default()).unwrap(),
        1795560144125
    );
    assert_eq!(
        parse_time("from", "2026-11-24", false, Zone::default()).unwrap(),
        1795478400000
    );
    assert_eq!(
        parse_time("to", "2026-11-24", true, Zone::default()).unwrap(),
        1795478400000 + 86_400_000
    );
    assert_eq!(
        parse_time("from", "2026-11-24T00:00:00Z", false, Zone::default()).unwrap(),
        1795478400000
    );
    let err = parse_time("from", "yesterday", false, Zone::default()).unwrap_err();
    assert!(err.to_string().contains("`from`"));
}

#[test]
fn defaults_are_the_last_30_days_in_utc_without_bots() {
    let p: OverviewPlan = plan(&[]).unwrap();
    assert_eq!(p.range.to_ms, NOW + 1);
    assert_eq!(p.range.from_ms, NOW + 1 - 30 * DAY_MS);
    assert_eq!(p.zone, Zone::default());
    assert!(!p.filters.include_bots);
    assert_eq!(p.granularity, Granularity::Day);
    assert_eq!(p.top, 10);
    assert!(
        !p.previous_series,
        "the API never asks for the previous series"
    );
}

#[test]
fn dates_are_read_in_the_requested_zone() {
    let p: SessionListPlan = plan(&[
        ("from", "2026-11-24"),
        ("to", "2026-11-24"),
        ("tz", "Europe/Berlin"),
    ])
    .unwrap();
    // Berlin is UTC+1 in November.
    assert_eq!(p.range.from_ms, 1795478400000 - 3_600_000);
    assert_eq!(p.range.to_ms - p.range.from_ms, DAY_MS);
}

#[test]
fn problems_are_reported_in_a_fixed_order() {
    // Unknown parameters come before bad filters, bad filters before a bad site id.
    let bad = params(&[("nope", "1"), ("country", "not a country")]);
    assert!(matches!(
        parse::<OverviewPlan>("Bad Site", &bad),
        Err(ParamError::Unknown(k)) if k == "nope"
    ));
    let bad = params(&[("country", "")]);
    assert!(matches!(
        parse::<OverviewPlan>("Bad Site", &bad),
        Err(ParamError::Filter(_))
    ));
    assert!(matches!(
        parse::<OverviewPlan>("Bad Site", &params(&[])),
        Err(ParamError::Site(_))
    ));
    // A missing site comes before a bad zone, the zone before the times, the times before
    // include_bots.
    let bad = params(&[
        ("tz", "Mars/Olympus"),
        ("from", "x"),
        ("include_bots", "maybe"),
    ]);
    let parsed = parse::<OverviewPlan>("shop", &bad).unwrap();
    assert_eq!(parsed.site().as_str(), "shop");
    assert!(matches!(
        parse::<OverviewPlan>("shop", &bad)
            .unwrap()
            .plan(false, NOW),
        Err(ParamError::UnknownSite(_))
    ));
    let err = parsed.plan(true, NOW).unwrap_err();
    assert!(err.to_string().starts_with("`tz`"), "{err}");
    let err = plan::<OverviewPlan>(&[("from", "x"), ("include_bots", "maybe")]).unwrap_err();
    assert!(err.to_string().starts_with("`from`"), "{err}");
    let err = plan::<OverviewPlan>(&[("include_bots", "maybe")]).unwrap_err();
    assert!(err.to_string().starts_with("`include_bots`"), "{err}");
    let err = plan::<OverviewPlan>(&[("from", "2026-11-25"), ("to", "2026-11-24")]).unwrap_err();
    assert_eq!(err, ParamError::Plan(PlanError::EmptyRange));
}

#[test]
fn each_report_knows_only_its_own_parameters() {
    assert!(plan::<PagesPlan>(&[("sort", "-views"), ("offset", "5")]).is_ok());
    assert!(matches!(
        plan::<PagesPlan>(&[("interval", "day")]),
        Err(ParamError::Unknown(k)) if k == "interval"
    ));
    assert!(plan::<EcommercePlan>(&[("interval", "week"), ("limit", "3")]).is_ok());
    assert!(matches!(
        plan::<EcommercePlan>(&[("offset", "1")]),
        Err(ParamError::Unknown(_))
    ));
}

#[test]
fn the_live_view_refuses_a_time_range_before_anything_else() {
    let err = plan::<LivePlan>(&[("from", "1"), ("nope", "1")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`from` does not apply: the live view covers the last 5 minutes"
    );
    let live: LivePlan = plan(&[("events", "20")]).unwrap();
    assert_eq!((live.now_ms, live.events), (NOW, 20));
    assert!(plan::<LivePlan>(&[("events", "501")]).is_err());
}

#[test]
fn report_parameters_are_range_checked_with_messages_that_name_them() {
    let message = |r: Result<OverviewPlan, ParamError>| r.unwrap_err().to_string();
    assert_eq!(
        message(plan(&[("top", "0")])),
        "`top` must be between 1 and 100"
    );
    assert_eq!(
        message(plan(&[("interval", "minute")])),
        "`interval` must be hour, day or week; got \"minute\""
    );
    assert!(
        message(plan(&[("interval", "hour"), ("from", "2026-01-01")])).contains("at most 5000"),
        "a series of more than 5000 points is refused"
    );
    let err = plan::<SessionListPlan>(&[("offset", "-1")]).unwrap_err();
    assert_eq!(err.to_string(), "`offset` must be a non-negative integer");
    let err = plan::<EngagementPlan>(&[("by", "team")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`by` must be user or visitor; got \"team\""
    );
    let long = "x".repeat(EngagementPlan::MAX_SEARCH_CHARS + 1);
    assert!(plan::<EngagementPlan>(&[("q", &long)]).is_err());
    let e: EngagementPlan = plan(&[("q", "")]).unwrap();
    assert_eq!(e.search, None);
}

#[test]
fn session_ids_are_16_hex_digits() {
    assert!(session_id("00000000000000ff").is_ok());
    assert!(matches!(session_id("xyz"), Err(ParamError::Session(_))));
}

#[test]
fn heatmaps_need_a_path_and_take_a_device_or_widths() {
    let err = |pairs: &[(&str, &str)]| plan::<HeatmapPlan>(pairs).unwrap_err().to_string();
    assert_eq!(
        err(&[]),
        "`path` is required: the page's path, such as /pricing"
    );
    assert!(err(&[("path", "pricing")]).starts_with("`path` must be a page path"));
    assert_eq!(
        err(&[("path", "/"), ("type", "hover")]),
        "`type` must be one of click, move, scroll; got \"hover\""
    );
    assert_eq!(
        err(&[("path", "/"), ("device", "phone")]),
        "`device` must be one of mobile, tablet, desktop; got \"phone\""
    );
    assert_eq!(
        err(&[("path", "/"), ("device", "mobile"), ("max_width", "500")]),
        "`device` and `min_width`/`max_width` exclude each other"
    );
    assert_eq!(
        err(&[("path", "/"), ("min_width", "900"), ("max_width", "500")]),
        "`min_width` must not be above `max_width`"
    );
    assert!(err(&[("path", "/"), ("min_width", "-1")]).starts_with("`min_width` must be"));

    let p =
        plan::<HeatmapPlan>(&[("path", "/p"), ("device", "tablet"), ("type", "scroll")]).unwrap();
    assert_eq!(p.kind, HeatmapKind::Scroll);
    assert_eq!((p.widths.min, p.widths.max), (Some(768), Some(1023)));
    let p = plan::<HeatmapPlan>(&[("path", "/p"), ("min_width", "1200")]).unwrap();
    assert_eq!(
        (p.kind, p.device, p.widths.min, p.widths.max),
        (HeatmapKind::Click, None, Some(1200), None)
    );
}

#[test]
fn the_sites_thresholds_reach_the_plan_and_the_frustration_filter() {
    let t = Thresholds {
        rage_clicks: 4,
        ..Thresholds::default()
    };
    let p: FrustrationPlan = parse::<FrustrationPlan>("shop", &params(&[("frustration", "rage")]))
        .unwrap()
        .thresholds(t)
        .plan(true, NOW)
        .unwrap();
    assert_eq!(p.thresholds, t);
    assert_eq!(
        p.filters.conditions,
        vec![Filter::Frustration(
            crate::query::frustration::Signal::Rage,
            t
        )]
    );
    assert_eq!(p.limit, FrustrationPlan::DEFAULT_LIMIT);
    assert!(plan::<FrustrationPlan>(&[("limit", "0")]).is_err());
}

#[test]
fn a_reports_own_parameter_is_not_read_as_a_filter() {
    let p =
        plan::<HeatmapPlan>(&[("path", "/p"), ("device", "mobile"), ("country", "DE")]).unwrap();
    assert_eq!(p.device, Some(ViewportClass::Mobile));
    assert_eq!(
        p.filters.conditions.len(),
        1,
        "only the country: {:?}",
        p.filters
    );
}
