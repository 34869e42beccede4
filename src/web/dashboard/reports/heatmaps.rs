//! `/tracking/heatmaps/`: one page's click or move density (SVG drawn here), its element table
//! and its scroll map, with a picker of the top pages (with their clicks), device, kind and
//! range, and a button that opens the live page with the overlay drawn over it.
//!
//! Three reports: the pages list (for the picker; without `device`, which on this page means
//! the viewport class of `query::heatmap`, not a filter), then the chosen page's density map and
//! its scroll map. Without `path` the top page is shown. The live link carries a viewing token
//! (`web::heatmap_token`) in its fragment, made for this account's session, site and page.

use askama::Template;
use axum::response::Response;

use super::super::chart::{self, Svg};
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::{PageRequest, run};
use crate::query::TimeRange;
use crate::query::heatmap::{Heatmap, HeatmapKind, HeatmapPlan, ViewportClass};
use crate::query::pages::{PageSort, Pages, PagesPlan};
use crate::web::heatmap_token::{HeatmapToken, MAX_LIFETIME_MS};

/// Pages listed in the picker.
const PICKER_PAGES: u32 = 20;
/// Parameters of this page that the pages list does not take.
const OWN_KEYS: [&str; 5] = ["path", "type", "device", "min_width", "max_width"];

#[derive(Template)]
#[template(path = "heatmaps.html")]
pub struct HeatmapsView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    /// (path, views, clicks, link, current)
    pub pages: Vec<(String, u64, u64, String, bool)>,
    pub path: String,
    /// (label, link, current) for click and move.
    pub kinds: Vec<(&'static str, String, bool)>,
    /// (label, link, current) for all devices and each class.
    pub devices: Vec<(&'static str, String, bool)>,
    pub kind: &'static str,
    pub total: u64,
    pub density: Svg,
    pub scroll: Svg,
    pub scroll_views: u64,
    pub fold: String,
    pub elements: Vec<ElementView>,
    /// The live page with the overlay's fragment, and the fragment alone.
    pub live: Option<(String, String)>,
    pub csv_base: String,
}

pub struct ElementView {
    pub selector: String,
    pub text: String,
    pub clicks: u64,
    pub visitors: u64,
    pub rage: u64,
    pub dead: u64,
    pub error: u64,
}

pub async fn heatmaps(request: PageRequest) -> Result<Response, PageError> {
    let host = request.host.clone();
    let (mut ctx, state, account) = request.context("heatmaps", "Heatmaps")?;
    let mut list_params = ctx.params.clone();
    list_params.retain(|k, _| !OWN_KEYS.contains(&k.as_str()));
    let mut list: PagesPlan = crate::web::api::plan(
        &state,
        &PageContext::principal(&account),
        ctx.site.as_str(),
        &list_params,
    )?;
    list.sort = PageSort::Views;
    list.limit = PICKER_PAGES;
    list.offset = 0;
    let (list, pages) = run(&state, list).await?;
    let range = list.range;
    if !ctx.params.contains_key("path")
        && let Some(top) = pages.pages.first()
    {
        ctx.params.insert("path".into(), top.path.clone());
    }
    let Some(path) = ctx.params.get("path").cloned() else {
        return Ok(html(&view(ctx, pages, None, None, range)));
    };
    let mut plan: HeatmapPlan = ctx.plan(&state, &account)?;
    if plan.kind == HeatmapKind::Scroll {
        plan.kind = HeatmapKind::Click;
    }
    let mut scroll_plan = plan.clone();
    scroll_plan.kind = HeatmapKind::Scroll;
    let (_, density) = run(&state, plan).await?;
    let (_, scroll) = run(&state, scroll_plan).await?;
    let token = HeatmapToken::new(
        &account.user,
        account.issued_ms,
        ctx.site.clone(),
        path.clone(),
        crate::clock::now_ms(),
        MAX_LIFETIME_MS,
    )
    .encode(state.keys.heatmap_key());
    let domains = state
        .sites
        .get(&ctx.site)
        .map(|s| s.domains)
        .unwrap_or_default();
    let live = live_link(&path, &token, &domains, host.as_deref());
    Ok(html(&view(
        ctx,
        pages,
        Some((density, scroll)),
        Some(live),
        range,
    )))
}

/// The live page with the overlay's fragment: on footfall's own host when the site is served
/// from it (the demo shop), else on the site's first domain over HTTPS.
fn live_link(path: &str, token: &str, domains: &[String], host: Option<&str>) -> (String, String) {
    let fragment = format!("#footfall-heatmap={token}");
    let host_name = host.map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name));
    let page = match domains.first() {
        Some(first) if !domains.iter().any(|d| Some(d.as_str()) == host_name) => {
            format!("https://{first}{path}{fragment}")
        }
        _ => format!("{path}{fragment}"),
    };
    (page, fragment)
}

/// The typical viewport width of what is shown, for the drawing's proportions.
fn reference_width(h: &Heatmap) -> u32 {
    match (h.device, h.min_width, h.max_width) {
        (Some("mobile"), ..) => 390,
        (Some("tablet"), ..) => 820,
        (_, Some(min), Some(max)) => ((min + max) / 2).max(1) as u32,
        (_, Some(min), None) => min.max(1) as u32,
        (_, None, Some(max)) => max.max(1) as u32,
        _ => 1280,
    }
}

fn view(
    ctx: PageContext,
    pages: Pages,
    maps: Option<(Heatmap, Heatmap)>,
    live: Option<(String, String)>,
    range: TimeRange,
) -> HeatmapsView {
    let current = ctx.params.get("path").cloned().unwrap_or_default();
    let picker = pages
        .pages
        .iter()
        .map(|p| {
            (
                p.path.clone(),
                p.views,
                p.total_clicks,
                ctx.link(&ctx.chrome.path, &[("path", Some(&p.path))]),
                p.path == current,
            )
        })
        .collect();
    let kind = maps.as_ref().map_or("click", |(d, _)| d.kind);
    let device = ctx.params.get("device").cloned().unwrap_or_default();
    let kinds = ["click", "move"]
        .into_iter()
        .map(|k| {
            (
                k,
                ctx.link(&ctx.chrome.path, &[("type", Some(k))]),
                k == kind,
            )
        })
        .collect();
    let devices = std::iter::once(("all", None))
        .chain(ViewportClass::ALL.map(|c| (c.as_str(), Some(c.as_str()))))
        .map(|(label, value)| {
            let link = ctx.link(
                &ctx.chrome.path,
                &[("device", value), ("min_width", None), ("max_width", None)],
            );
            (label, link, value.unwrap_or("") == device)
        })
        .collect();
    let (density, scroll, total, scroll_views, fold, elements) = match &maps {
        Some((d, s)) => {
            let width = reference_width(d);
            let title = format!("{} density of {}", d.kind, d.path);
            let scroll_map = s.scroll.as_ref();
            (
                chart::density_map("density", &title, &d.points, width),
                match scroll_map {
                    Some(m) => {
                        chart::scroll_map("scroll", &format!("Scroll map of {}", s.path), m, width)
                    }
                    None => chart::density_map("scroll", "Scroll map", &[], width),
                },
                d.total,
                scroll_map.map_or(0, |m| m.views),
                scroll_map
                    .and_then(|m| m.fold)
                    .map(|f| format!("{f} px"))
                    .unwrap_or_else(|| "unknown".into()),
                d.elements
                    .iter()
                    .map(|e| ElementView {
                        selector: e.selector.clone(),
                        text: e.text.clone().unwrap_or_default(),
                        clicks: e.clicks,
                        visitors: e.visitors,
                        rage: e.rage,
                        dead: e.dead,
                        error: e.error,
                    })
                    .collect(),
            )
        }
        None => (
            chart::density_map("density", "No page", &[], 1280),
            chart::density_map("scroll", "No page", &[], 1280),
            0,
            0,
            "unknown".into(),
            Vec::new(),
        ),
    };
    HeatmapsView {
        filters: FilterBar::new(&ctx, range, &OWN_KEYS),
        pages: picker,
        kinds,
        devices,
        kind,
        total,
        density,
        scroll,
        scroll_views,
        fold,
        elements,
        live,
        csv_base: ctx.link(
            &format!("/api/v1/sites/{}/heatmap", ctx.site),
            &[("type", Some(kind))],
        ),
        path: current,
        chrome: ctx.chrome,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{context, range};
    use super::*;
    use crate::query::heatmap::{HeatElement, Point};
    use crate::query::pages::PageRow;

    fn heatmap(kind: &'static str) -> Heatmap {
        Heatmap {
            path: "/cart".into(),
            kind,
            device: Some("mobile"),
            min_width: None,
            max_width: Some(767),
            total: 3,
            points: vec![Point {
                x: 10,
                y: 32,
                fixed: false,
                n: 3,
            }],
            elements: vec![HeatElement {
                selector: "button.pay".into(),
                text: Some("Pay".into()),
                clicks: 3,
                visitors: 2,
                rage: 1,
                dead: 0,
                error: 0,
                grid: vec![],
                points: vec![],
            }],
            scroll: None,
            thresholds: Default::default(),
        }
    }

    #[test]
    fn the_page_shows_the_chosen_page_with_its_picker_and_live_link() {
        let ctx = context(
            "/tracking/heatmaps/",
            &[("path", "/cart"), ("device", "mobile")],
        );
        let pages = Pages {
            pages: vec![PageRow {
                path: "/cart".into(),
                views: 9,
                total_clicks: 4,
                ..PageRow::default()
            }],
            ..Pages::default()
        };
        let live = live_link(
            "/cart",
            "fh1.x",
            &["shop.example".into()],
            Some("stats.example"),
        );
        let v = view(
            ctx,
            pages,
            Some((heatmap("click"), heatmap("scroll"))),
            Some(live),
            range(7),
        );
        assert_eq!(v.pages[0].2, 4, "the picker lists each page's clicks");
        assert!(v.pages[0].4, "the chosen page is marked");
        assert_eq!(v.elements[0].rage, 1);
        assert!(v.density.0.contains("heat h10"));
        assert!(v.devices.iter().any(|(l, _, cur)| *l == "mobile" && *cur));
        assert!(v.kinds.iter().any(|(l, _, cur)| *l == "click" && *cur));
        let (page, fragment) = v.live.unwrap_or_default();
        assert_eq!(page, "https://shop.example/cart#footfall-heatmap=fh1.x");
        assert_eq!(fragment, "#footfall-heatmap=fh1.x");
        assert!(v.csv_base.starts_with("/api/v1/sites/shop/heatmap?"));
    }

    #[test]
    fn a_site_served_by_footfall_itself_gets_a_link_on_the_same_host() {
        let domains = ["127.0.0.1".to_owned()];
        let (page, _) = live_link("/demo/", "t", &domains, Some("127.0.0.1:8080"));
        assert_eq!(page, "/demo/#footfall-heatmap=t");
        let (page, _) = live_link("/demo/", "t", &[], Some("127.0.0.1:8080"));
        assert_eq!(page, "/demo/#footfall-heatmap=t");
    }
}
