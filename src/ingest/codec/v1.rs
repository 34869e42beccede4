//! Version 1 of the batch encoding (footfall before the heatmap fields): the event types as
//! they were then, read from old spool records and dead letters and converted to today's.
//! Never written. Only `EventData` changed shape, so the rest of a batch is today's types.

use serde::Deserialize;

use crate::model::{
    self, ClientInfo, Commerce, FormAction, KeyClass, MediaAction, SessionId, SiteId, TouchAction,
    TrafficSource, VisitorId,
};

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(crate) struct Batch {
    site: SiteId,
    visitor: VisitorId,
    session: SessionId,
    user_id: Option<String>,
    received_ms: i64,
    client: ClientInfo,
    source: TrafficSource,
    events: Vec<Event>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Event {
    eid: u64,
    ts_ms: i64,
    url: String,
    data: EventData,
}

/// The variants in their version 1 order and shape (postcard encodes the variant's index).
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
enum EventData {
    Pageview {
        url: String,
        title: Option<String>,
        referrer: Option<String>,
    },
    Click {
        x: i32,
        y: i32,
        page_y: Option<i32>,
        selector: String,
        text: Option<String>,
    },
    Move {
        x: i32,
        y: i32,
    },
    Scroll {
        x: i32,
        y: i32,
        depth_pct: Option<u8>,
    },
    Key {
        class: KeyClass,
        raw: Option<String>,
    },
    Form {
        action: FormAction,
        form: String,
        field: Option<String>,
    },
    Touch {
        action: TouchAction,
        x: i32,
        y: i32,
    },
    Media {
        action: MediaAction,
        src: String,
        position_ms: Option<i64>,
    },
    Visibility {
        visible: bool,
    },
    Resize {
        width: i32,
        height: i32,
    },
    Engagement {
        engaged_ms: i64,
    },
    Custom {
        name: String,
        props: Option<String>,
    },
    Commerce(Commerce),
    Identify {
        user_id: String,
        traits: Option<String>,
    },
}

impl From<Batch> for model::Batch {
    fn from(b: Batch) -> model::Batch {
        model::Batch {
            site: b.site,
            visitor: b.visitor,
            session: b.session,
            user_id: b.user_id,
            received_ms: b.received_ms,
            client: b.client,
            source: b.source,
            events: b
                .events
                .into_iter()
                .map(|e| model::Event {
                    eid: e.eid,
                    ts_ms: e.ts_ms,
                    url: e.url,
                    data: e.data.into(),
                })
                .collect(),
        }
    }
}

impl From<EventData> for model::EventData {
    fn from(d: EventData) -> model::EventData {
        use model::EventData as Now;
        match d {
            EventData::Pageview {
                url,
                title,
                referrer,
            } => Now::Pageview {
                url,
                title,
                referrer,
            },
            EventData::Click {
                x,
                y,
                page_y,
                selector,
                text,
            } => Now::Click {
                x,
                y,
                page_y,
                selector,
                text,
                offset: None,
                viewport: None,
                fixed: false,
                dead: false,
            },
            EventData::Move { x, y } => Now::Move {
                x,
                y,
                page_y: None,
                viewport_width: None,
            },
            EventData::Scroll { x, y, depth_pct } => Now::Scroll {
                x,
                y,
                depth_pct,
                viewport_height: None,
            },
            EventData::Key { class, raw } => Now::Key { class, raw },
            EventData::Form {
                action,
                form,
                field,
            } => Now::Form {
                action,
                form,
                field,
            },
            EventData::Touch { action, x, y } => Now::Touch { action, x, y },
            EventData::Media {
                action,
                src,
                position_ms,
            } => Now::Media {
                action,
                src,
                position_ms,
            },
            EventData::Visibility { visible } => Now::Visibility { visible },
            EventData::Resize { width, height } => Now::Resize { width, height },
            EventData::Engagement { engaged_ms } => Now::Engagement { engaged_ms },
            EventData::Custom { name, props } => Now::Custom { name, props },
            EventData::Commerce(c) => Now::Commerce(c),
            EventData::Identify { user_id, traits } => Now::Identify { user_id, traits },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MAGIC, decode_batch, encode_batch};
    use super::{Batch as OldBatch, Event as OldEvent, EventData as OldData};
    use crate::model::{self, DeviceClass};

    /// Version 1 wrote plain postcard of these types: a record of it must come back.
    #[test]
    fn version_1_records_decode_into_todays_batches() {
        let client = model::ClientInfo {
            device: DeviceClass::Desktop,
            ..Default::default()
        };
        let old = OldBatch {
            site: model::SiteId::parse("demo").unwrap(),
            visitor: model::VisitorId(7),
            session: model::SessionId(8),
            user_id: None,
            received_ms: 1_000,
            client: client.clone(),
            source: Default::default(),
            events: vec![
                OldEvent {
                    eid: 1,
                    ts_ms: 10,
                    url: "https://a.test/p".into(),
                    data: OldData::Click {
                        x: 1,
                        y: 2,
                        page_y: Some(3),
                        selector: "#b".into(),
                        text: Some("Buy".into()),
                    },
                },
                OldEvent {
                    eid: 2,
                    ts_ms: 11,
                    url: "https://a.test/p".into(),
                    data: OldData::Move { x: 4, y: 5 },
                },
            ],
        };
        let bytes = postcard::to_allocvec(&old).unwrap();
        assert_ne!(bytes[..4], MAGIC);
        let batch = decode_batch(&bytes).expect("a version 1 record decodes");
        assert_eq!(batch.client, client);
        assert_eq!(
            batch.events[0].data,
            model::EventData::Click {
                x: 1,
                y: 2,
                page_y: Some(3),
                selector: "#b".into(),
                text: Some("Buy".into()),
                offset: None,
                viewport: None,
                fixed: false,
                dead: false,
            }
        );
        assert_eq!(
            batch.events[1].data,
            model::EventData::Move {
                x: 4,
                y: 5,
                page_y: None,
                viewport_width: None
            }
        );
        // And today's encoding round-trips through the same reader.
        assert_eq!(decode_batch(&encode_batch(&batch)), Some(batch));
        assert_eq!(decode_batch(b"\xff\xff\xff\x02garbage"), None);
    }
}
