//! Pure domain types shared by every layer: ids, events, enriched batches, sites.
//!
//! No I/O and no knowledge of wire formats or stores lives here, so ingest, query and store
//! code all speak the same vocabulary.

pub mod account;
pub mod batch;
pub mod ecommerce;
pub mod event;
pub mod ids;
pub mod site;

pub use account::{ApiToken, Role, User, valid_email};
pub use batch::{Batch, ClientInfo, DeviceClass, Event, TrafficSource};
pub use ecommerce::{Commerce, CommerceAction, Currency, Item, MoneyError};
pub use event::{
    ElementOffset, EventData, EventKind, FormAction, KeyClass, MediaAction, TouchAction, Viewport,
};
pub use ids::{IdError, SessionId, SiteId, VisitorId, hash64};
pub use site::{IpMode, Site, SiteSettings};
