//! `/tracking/ecommerce/`: revenue, order value and refunds, the in-order purchase funnel, top
//! products, revenue by source and by country, and orders over time.

use askama::Template;
use axum::response::Response;

use super::super::chart::{self, LineSeries, Svg};
use super::super::format as fmt;
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::{PageRequest, label_of};
use crate::query::TimeRange;
use crate::query::ecommerce::{Ecommerce, EcommercePlan};

pub struct ProductView {
    pub id: String,
    pub name: String,
    pub views: u64,
    pub carts: u64,
    pub purchases: u64,
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "ecommerce.html")]
pub struct EcommerceView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    pub r: Ecommerce,
    pub revenue: String,
    pub aov: String,
    pub refunds: String,
    pub funnel: Svg,
    pub products_chart: Svg,
    pub products: Vec<ProductView>,
    /// (source, orders, revenue)
    pub by_source: Vec<(String, u64, String)>,
    pub by_country: Vec<(String, u64, String)>,
    pub over_time: Svg,
    /// (period, orders, revenue)
    pub series: Vec<(String, u64, String)>,
    pub csv_base: String,
}

pub async fn ecommerce(request: PageRequest) -> Result<Response, PageError> {
    let (ctx, plan, r) = request
        .report::<EcommercePlan>("ecommerce", "E-commerce", |_| {})
        .await?;
    Ok(html(&view(ctx, r, plan.range)))
}

fn view(ctx: PageContext, r: Ecommerce, range: TimeRange) -> EcommerceView {
    let steps: Vec<(String, u64)> = r
        .funnel
        .in_order
        .iter()
        .map(|s| (s.step.replace('_', " "), s.sessions))
        .collect();
    let funnel = chart::funnel("funnel", "Sessions reaching each step in order", &steps);
    let products_chart = chart::bar_chart(
        "products-chart",
        "Top products by purchases",
        &r.top_products
            .iter()
            .map(|p| {
                (
                    p.item_name.clone().unwrap_or_else(|| p.item_id.clone()),
                    p.purchases as f64,
                )
            })
            .collect::<Vec<_>>(),
    );
    let products = r
        .top_products
        .iter()
        .map(|p| ProductView {
            id: p.item_id.clone(),
            name: p.item_name.clone().unwrap_or_default(),
            views: p.views,
            carts: p.add_to_carts,
            purchases: p.purchases,
            revenue: fmt::amounts(&p.revenue),
        })
        .collect();
    let by_source = r
        .revenue_by_source
        .iter()
        .map(|s| (label_of(&s.source), s.orders, fmt::amounts(&s.revenue)))
        .collect();
    let by_country = r
        .revenue_by_country
        .iter()
        .map(|s| (label_of(&s.country), s.orders, fmt::amounts(&s.revenue)))
        .collect();
    let labels: Vec<String> = r.series.iter().map(|p| p.local.clone()).collect();
    let orders: Vec<f64> = r.series.iter().map(|p| p.orders as f64).collect();
    let over_time = chart::line_chart(
        "orders-over-time",
        "Orders per period",
        &labels,
        &[LineSeries {
            name: "Orders",
            values: &orders,
        }],
    );
    let series = r
        .series
        .iter()
        .map(|p| (p.local.clone(), p.orders, fmt::amounts(&p.revenue)))
        .collect();
    EcommerceView {
        filters: FilterBar::new(&ctx, range, &["limit"]),
        revenue: fmt::amounts(&r.revenue),
        aov: fmt::amounts(&r.average_order_value),
        refunds: format!(
            "{} ({})",
            fmt::num(r.refunds.count),
            fmt::amounts(&r.refunds.amount)
        ),
        funnel,
        products_chart,
        products,
        by_source,
        by_country,
        over_time,
        series,
        csv_base: ctx.link(&format!("/api/v1/sites/{}/ecommerce", ctx.site), &[]),
        chrome: ctx.chrome,
        r,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{context, eur, range};
    use super::*;
    use crate::query::ecommerce::{ProductRow, Refunds, SourceRevenue};

    #[test]
    fn products_sources_and_refunds_are_labelled_and_formatted() {
        let r = Ecommerce {
            orders: 2,
            revenue: vec![eur(5997)],
            average_order_value: vec![eur(2998)],
            refunds: Refunds {
                count: 1,
                amount: vec![eur(1999)],
            },
            top_products: vec![
                ProductRow {
                    item_id: "sku-1".into(),
                    item_name: Some("Shoe".into()),
                    views: 10,
                    add_to_carts: 4,
                    purchases: 3,
                    revenue: vec![eur(5997)],
                },
                ProductRow {
                    item_id: "sku-2".into(),
                    item_name: None,
                    views: 2,
                    add_to_carts: 0,
                    purchases: 0,
                    revenue: Vec::new(),
                },
            ],
            revenue_by_source: vec![SourceRevenue {
                source: None,
                orders: 2,
                revenue: vec![eur(5997)],
            }],
            ..Ecommerce::default()
        };
        let v = view(context("/tracking/ecommerce/", &[]), r, range(7));
        assert_eq!(v.revenue, fmt::amounts(&[eur(5997)]));
        assert_eq!(v.refunds, format!("1 ({})", fmt::amounts(&[eur(1999)])));
        assert_eq!(v.products[0].name, "Shoe");
        assert_eq!(
            v.products[1].name, "",
            "an unnamed product shows its id only"
        );
        assert!(
            v.products_chart.0.contains("sku-2"),
            "the chart labels it by id"
        );
        assert_eq!(v.by_source[0].0, "(none)");
        assert_eq!(v.csv_base, "/api/v1/sites/shop/ecommerce?site=shop");
    }
}
