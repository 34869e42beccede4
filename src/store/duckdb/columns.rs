//! The Arrow column builders of the tables the DuckDB append writes: one struct per table,
//! its columns in the table's order, and how one row is pushed.
//!
//! [`table_columns!`] declares a table's builders once: the struct, an empty or pre-sized
//! constructor, and the named Arrow columns it finishes into come from the same list, so a
//! column cannot be added to one of them and forgotten in another.

use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Int16Builder, Int32Builder, Int64Builder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use duckdb::arrow::record_batch::RecordBatch;

use crate::model::batch::path_of;
use crate::model::{Batch, Commerce, Event, EventData, Item};
use crate::store::StoreError;
use crate::store::rows::{KIND_COLUMNS, SessionPart, batch_user, detail, first_ts, user_of};

/// One Arrow column builder, made with room for `rows` rows.
trait Column: ArrayBuilder + Default {
    fn with_rows(rows: usize) -> Self;
}

macro_rules! sized_by_rows {
    ($($builder:ty),*) => {
        $(impl Column for $builder {
            fn with_rows(rows: usize) -> Self {
                <$builder>::with_capacity(rows)
            }
        })*
    };
}
sized_by_rows!(
    BooleanBuilder,
    Int16Builder,
    Int32Builder,
    Int64Builder,
    TimestampMicrosecondBuilder
);

impl Column for StringBuilder {
    fn with_rows(rows: usize) -> Self {
        // Most strings here (sites, kinds, paths) are short.
        StringBuilder::with_capacity(rows, rows * 8)
    }
}

/// Declares the builders of one table, in its column order: the struct (with `len`, the
/// rows pushed), `with_capacity`, and `columns`, the finished arrays under their column
/// names. Fields after `extra` are not columns of their own; the table's `finish` adds them.
macro_rules! table_columns {
    (
        $(#[$doc:meta])*
        $name:ident { $($column:ident: $builder:ty),* $(,)? }
        $(extra { $($(#[$field_doc:meta])* $field:ident: $type:ty),* $(,)? })?
    ) => {
        $(#[$doc])*
        #[derive(Default)]
        pub(super) struct $name {
            pub(super) len: usize,
            $($column: $builder,)*
            $($($(#[$field_doc])* $field: $type,)*)?
        }

        impl $name {
            #[allow(dead_code)] // not every table is pre-sized
            pub(super) fn with_capacity(rows: usize) -> $name {
                $name {
                    len: 0,
                    $($column: Column::with_rows(rows),)*
                    $($($field: Default::default(),)*)?
                }
            }

            fn columns(&mut self) -> Vec<(&'static str, ArrayRef)> {
                vec![$((stringify!($column), ArrayBuilder::finish(&mut self.$column))),*]
            }
        }
    };
}

pub(super) fn finish_batch(
    columns: Vec<(&'static str, ArrayRef)>,
) -> Result<RecordBatch, StoreError> {
    RecordBatch::try_from_iter(columns)
        .map_err(|e| StoreError::internal_because(format!("building a record batch: {e}"), e))
}

/// Arrow's builders hold microseconds; footfall's times are epoch milliseconds.
fn ms_to_us(ms: i64) -> i64 {
    ms.saturating_mul(1000)
}

table_columns! {
    /// The `events` columns (and `eid`, which only `commerce` keeps; see migration 6), also
    /// used for `commerce` (the same columns) and `pageviews` (a projection).
    EventColumns {
        site: StringBuilder,
        ts: TimestampMicrosecondBuilder,
        eid: Int64Builder,
        visitor_id: Int64Builder,
        session_id: Int64Builder,
        user_id: StringBuilder,
        bot: BooleanBuilder,
        kind: StringBuilder,
        name: StringBuilder,
        path: StringBuilder,
        url: StringBuilder,
        title: StringBuilder,
        referrer: StringBuilder,
        x: Int32Builder,
        y: Int32Builder,
        page_y: Int32Builder,
        depth: Int16Builder,
        target: StringBuilder,
        label: StringBuilder,
        props: StringBuilder,
        value_minor: Int64Builder,
        currency: StringBuilder,
        transaction_id: StringBuilder,
        duration_ms: Int64Builder,
        vw: Int32Builder,
        vh: Int32Builder,
        ex: Int16Builder,
        ey: Int16Builder,
        fixed: BooleanBuilder,
        dead: BooleanBuilder,
    }
}

impl EventColumns {
    pub(super) fn push(&mut self, b: &Batch, e: &Event) {
        let d = detail(&e.data);
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.ts.append_value(ms_to_us(e.ts_ms));
        self.eid.append_value(e.eid as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.session_id.append_value(b.session.0 as i64);
        self.user_id.append_option(user_of(b, e));
        self.bot.append_value(b.client.bot);
        self.kind.append_value(e.data.kind().as_str());
        self.name.append_option(d.name);
        self.path.append_value(path_of(&e.url));
        self.url.append_option(d.url);
        self.title.append_option(d.title);
        self.referrer.append_option(d.referrer);
        self.x.append_option(d.x);
        self.y.append_option(d.y);
        self.page_y.append_option(d.page_y);
        self.depth.append_option(d.depth);
        self.target.append_option(d.target);
        self.label.append_option(d.label);
        self.props.append_option(d.props);
        self.value_minor.append_option(d.value_minor);
        self.currency.append_option(d.currency);
        self.transaction_id.append_option(d.transaction_id);
        self.duration_ms.append_option(d.duration_ms);
        self.vw.append_option(d.vw);
        self.vh.append_option(d.vh);
        self.ex.append_option(d.ex);
        self.ey.append_option(d.ey);
        self.fixed.append_option(d.fixed);
        self.dead.append_option(d.dead);
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(self.columns())
    }
}

table_columns! {
    /// The `sessions_staging` columns (those of `sessions`): one row per session part.
    SessionColumns {
        site: StringBuilder,
        session_id: Int64Builder,
        visitor_id: Int64Builder,
        user_id: StringBuilder,
        bot: BooleanBuilder,
        ts: TimestampMicrosecondBuilder,
        last_ts: TimestampMicrosecondBuilder,
        events: Int64Builder,
        pageviews: Int64Builder,
        clicks: Int64Builder,
        engaged_ms: Int64Builder,
        max_depth: Int16Builder,
        entry_ts: TimestampMicrosecondBuilder,
        entry_page: StringBuilder,
        exit_ts: TimestampMicrosecondBuilder,
        exit_page: StringBuilder,
        browser: StringBuilder,
        browser_version: StringBuilder,
        os: StringBuilder,
        device: StringBuilder,
        country: StringBuilder,
        ip: StringBuilder,
        screen_w: Int32Builder,
        screen_h: Int32Builder,
        language: StringBuilder,
        referrer_host: StringBuilder,
        source: StringBuilder,
        medium: StringBuilder,
        utm_source: StringBuilder,
        utm_medium: StringBuilder,
        utm_campaign: StringBuilder,
        utm_term: StringBuilder,
        utm_content: StringBuilder,
    }
    extra {
        /// The per-kind counts, named by `KIND_COLUMNS`, after the columns above.
        kind_counts: [Int64Builder; KIND_COLUMNS.len()],
    }
}

impl SessionColumns {
    pub(super) fn push(&mut self, part: &SessionPart<'_>) {
        let b = part.batch;
        let (c, s) = (&b.client, &b.source);
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.session_id.append_value(b.session.0 as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.user_id.append_option(part.user);
        self.bot.append_value(c.bot);
        self.ts.append_value(ms_to_us(part.ts));
        self.last_ts.append_value(ms_to_us(part.last_ts));
        self.events.append_value(part.events);
        self.pageviews.append_value(part.pageviews);
        self.clicks.append_value(part.clicks);
        self.engaged_ms.append_value(part.engaged_ms);
        self.max_depth.append_option(part.max_depth);
        self.entry_ts
            .append_option(part.entry.map(|p| ms_to_us(p.0)));
        self.entry_page.append_option(part.entry.map(|p| p.1));
        self.exit_ts.append_option(part.exit.map(|p| ms_to_us(p.0)));
        self.exit_page.append_option(part.exit.map(|p| p.1));
        self.browser.append_value(&c.browser);
        self.browser_version.append_value(&c.browser_version);
        self.os.append_value(&c.os);
        self.device.append_value(c.device.as_str());
        self.country.append_option(c.country.as_deref());
        self.ip.append_option(c.ip.as_deref());
        self.screen_w.append_option(c.screen_width);
        self.screen_h.append_option(c.screen_height);
        self.language.append_option(c.language.as_deref());
        self.referrer_host.append_option(s.referrer_host.as_deref());
        self.source.append_option(s.source.as_deref());
        self.medium.append_option(s.medium.as_deref());
        self.utm_source.append_option(s.utm_source.as_deref());
        self.utm_medium.append_option(s.utm_medium.as_deref());
        self.utm_campaign.append_option(s.utm_campaign.as_deref());
        self.utm_term.append_option(s.utm_term.as_deref());
        self.utm_content.append_option(s.utm_content.as_deref());
        for (builder, (_, kind)) in self.kind_counts.iter_mut().zip(KIND_COLUMNS) {
            builder.append_value(part.kinds[kind]);
        }
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, StoreError> {
        let mut columns = self.columns();
        for (builder, (name, _)) in self.kind_counts.iter_mut().zip(KIND_COLUMNS) {
            columns.push((name, Arc::new(builder.finish()) as ArrayRef));
        }
        finish_batch(columns)
    }
}

table_columns! {
    /// The `batches` columns: one rollup row per batch. The overview's time series counts
    /// these rows per bucket, so a long session counts in every bucket it was active in.
    BatchColumns {
        site: StringBuilder,
        session_id: Int64Builder,
        visitor_id: Int64Builder,
        user_id: StringBuilder,
        bot: BooleanBuilder,
        ts: TimestampMicrosecondBuilder,
        events: Int32Builder,
        pageviews: Int32Builder,
    }
}

impl BatchColumns {
    /// Adds the batch's rollup and returns the time of its earliest event (None when empty).
    pub(super) fn push(&mut self, b: &Batch) -> Option<i64> {
        let first_ts = first_ts(b)?;
        let pageviews = b
            .events
            .iter()
            .filter(|e| matches!(e.data, EventData::Pageview { .. }))
            .count();
        let user = batch_user(b);
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.session_id.append_value(b.session.0 as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.user_id.append_option(user);
        self.bot.append_value(b.client.bot);
        self.ts.append_value(ms_to_us(first_ts));
        self.events
            .append_value(i32::try_from(b.events.len()).unwrap_or(i32::MAX));
        self.pageviews
            .append_value(i32::try_from(pageviews).unwrap_or(i32::MAX));
        Some(first_ts)
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(self.columns())
    }
}

table_columns! {
    /// The `items` columns: one row per e-commerce item (GA4 `items[]`).
    ItemColumns {
        site: StringBuilder,
        ts: TimestampMicrosecondBuilder,
        eid: Int64Builder,
        visitor_id: Int64Builder,
        session_id: Int64Builder,
        action: StringBuilder,
        transaction_id: StringBuilder,
        currency: StringBuilder,
        item_id: StringBuilder,
        item_name: StringBuilder,
        item_category: StringBuilder,
        item_brand: StringBuilder,
        item_variant: StringBuilder,
        price_minor: Int64Builder,
        quantity: Int64Builder,
    }
}

impl ItemColumns {
    pub(super) fn push(&mut self, b: &Batch, e: &Event, c: &Commerce, item: &Item) {
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.ts.append_value(ms_to_us(e.ts_ms));
        self.eid.append_value(e.eid as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.session_id.append_value(b.session.0 as i64);
        self.action.append_value(c.action.as_str());
        self.transaction_id
            .append_option(c.transaction_id.as_deref());
        self.currency
            .append_option(c.currency.as_ref().map(|c| c.as_str()));
        self.item_id.append_value(&item.item_id);
        self.item_name.append_option(item.item_name.as_deref());
        self.item_category
            .append_option(item.item_category.as_deref());
        self.item_brand.append_option(item.item_brand.as_deref());
        self.item_variant
            .append_option(item.item_variant.as_deref());
        self.price_minor.append_option(item.price_minor);
        self.quantity.append_value(item.quantity);
    }

    pub(super) fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(self.columns())
    }
}
