//! Ingestion: from a request body to a durable, enriched batch in the spool.
//!
//! The web layer hands over the body and what it knows of the request ([`RequestMeta`]); this
//! module parses it with the format's parser, resolves site, visitor and session, enriches once
//! (browser, country, source, anonymised IP, corrected time), derives de-duplication ids and
//! appends the batch to the spool. The answer is given only after the spool's fsync.

pub mod body;
pub mod codec;
pub mod dead_letter;
pub mod identity;
pub mod native;
pub mod spool;
pub mod ubjs;
pub mod wire;
pub mod writer;

use std::net::IpAddr;
use std::sync::Arc;

use serde::Serialize;

use self::identity::{Identity, IdentityResolver};
use self::spool::{Spool, SpoolError};
use self::wire::{ParsedBatch, WireError};
use crate::enrich::Enricher;
use crate::metrics::Metrics;
use crate::model::ids::check_client_id;
use crate::model::{Batch, Event, EventData, Site, SiteId, hash64};
use crate::ratelimit::KeyedLimit;
use crate::sites::SiteRegistry;

/// The wire format of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// footfall's own batch (`/api/v1/collect`).
    Native,
    /// userBehaviour.js `results`, bare or in an envelope (`/api/track-behavior/`).
    UserBehaviour,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::UserBehaviour => "userbehaviour",
        }
    }
}

/// What the web layer knows about a request besides its body.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The client address (after trusted-proxy `X-Forwarded-For` resolution).
    pub client_ip: IpAddr,
    pub user_agent: Option<String>,
    /// Host of the `Origin` header, else of the `Referer` header (port removed).
    pub origin_host: Option<String>,
    /// The `Referer` header: the page that sent the request.
    pub referer: Option<String>,
    pub cookie_visitor: Option<String>,
    pub cookie_session: Option<String>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectedEvent {
    pub event: String,
    pub reason: String,
}

/// The answer to an accepted request.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub accepted: usize,
    pub rejected: Vec<RejectedEvent>,
    /// Identity to hand back in first-party cookies (userBehaviour.js requests without ids).
    #[serde(skip)]
    pub cookies: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Wire(#[from] WireError),
    #[error("{0}")]
    BadField(String),
    #[error("no site given and none of the configured sites serves host {0:?}")]
    NoSite(String),
    #[error("unknown site {0:?}")]
    UnknownSite(String),
    #[error("origin {origin:?} is not a domain of site {site:?}")]
    ForeignOrigin { origin: String, site: String },
    #[error("every event of the batch was rejected")]
    AllRejected(Vec<RejectedEvent>),
    #[error("site {site:?} is sending more than its rate limit allows")]
    RateLimited { site: String, retry_after_secs: u64 },
    #[error("ingestion is saturated; retry later")]
    Saturated,
    #[error("ingestion is not available")]
    Unavailable(#[source] SpoolError),
}

pub struct IngestOptions {
    /// Requests per second one site may send (burst: twice this).
    pub rate_limit_per_site: u32,
}

/// Everything ingestion needs, shared by all requests.
pub struct Ingestor {
    sites: Arc<SiteRegistry>,
    enricher: Arc<Enricher>,
    spool: Spool,
    identity: IdentityResolver,
    metrics: Arc<Metrics>,
    site_limit: KeyedLimit<SiteId>,
}

impl Ingestor {
    pub fn new(
        sites: Arc<SiteRegistry>,
        enricher: Arc<Enricher>,
        spool: Spool,
        identity: IdentityResolver,
        metrics: Arc<Metrics>,
        options: IngestOptions,
    ) -> Ingestor {
        let site_limit = KeyedLimit::per_second(options.rate_limit_per_site);
        Ingestor {
            sites,
            enricher,
            spool,
            identity,
            metrics,
            site_limit,
        }
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Parses, enriches and durably spools one request body.
    pub async fn ingest(
        &self,
        format: Format,
        body: &[u8],
        meta: &RequestMeta,
    ) -> Result<Accepted, IngestError> {
        let parsed = match format {
            Format::Native => native::parse(body),
            Format::UserBehaviour => ubjs::parse(body),
        }
        .inspect_err(|_| self.metrics.reject_request("malformed"))?;
        let mut parsed = parsed;
        add_landing_pageview(&mut parsed, meta);
        let events_rejected = !parsed.rejected.is_empty();
        let rejected: Vec<RejectedEvent> = parsed
            .rejected
            .iter()
            .chain(&parsed.ignored_fields)
            .map(|r| RejectedEvent {
                event: r.path.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        if events_rejected {
            self.metrics
                .reject_events("invalid", parsed.rejected.len() as u64);
        }
        let site = self.resolve_site(format, &parsed, meta)?;
        if let Err(retry_after_secs) = self.site_limit.check(&site.id) {
            self.metrics.reject_request("site_rate_limit");
            return Err(IngestError::RateLimited {
                site: site.id.to_string(),
                retry_after_secs,
            });
        }
        if parsed.events.is_empty() {
            if events_rejected {
                return Err(IngestError::AllRejected(rejected));
            }
            // A batch with nothing but browser facts: nothing to store.
            return Ok(Accepted {
                accepted: 0,
                rejected,
                cookies: None,
            });
        }
        let (batch, cookies) = self.build_batch(format, parsed, &site, meta).await?;
        let accepted = batch.events.len();
        let payload = writer::encode(&batch);
        let spool_error = |e| match e {
            SpoolError::Full { .. } => {
                self.metrics.reject_request("spool_full");
                IngestError::Saturated
            }
            other => {
                self.metrics.reject_request("spool_error");
                IngestError::Unavailable(other)
            }
        };
        let durable = self.spool.enqueue(payload).map_err(spool_error)?;
        // Once queued the record will be committed even if the client hangs up while we wait
        // for the fsync (the request future is then dropped), so it is counted as accepted
        // then too; only a failed commit is not counted. Without this, `events_accepted`
        // fell short of `events_stored` by the batches whose answers a closing client cut off.
        let count = AcceptedCount {
            metrics: &self.metrics,
            format: format.as_str(),
            events: accepted as u64,
            armed: true,
        };
        if let Err(e) = durable.await {
            count.disarm();
            return Err(spool_error(e));
        }
        drop(count);
        Ok(Accepted {
            accepted,
            rejected,
            cookies,
        })
    }

    fn resolve_site(
        &self,
        format: Format,
        parsed: &ParsedBatch,
        meta: &RequestMeta,
    ) -> Result<Site, IngestError> {
        let named = parsed.site.as_deref().filter(|s| !s.is_empty());
        let site = match named {
            Some(name) => {
                let id =
                    SiteId::parse(name).map_err(|e| IngestError::BadField(format!("site: {e}")))?;
                self.sites
                    .get(&id)
                    .ok_or_else(|| IngestError::UnknownSite(name.to_owned()))?
            }
            None if format == Format::UserBehaviour => {
                let host = meta.origin_host.clone().unwrap_or_default();
                self.sites.by_host(&host).ok_or(IngestError::NoSite(host))?
            }
            None => return Err(IngestError::BadField("site is required".into())),
        };
        // A browser page of another site must not write into this one. Requests without an
        // Origin/Referer (server-side senders) are allowed.
        if let Some(host) = &meta.origin_host
            && !site.serves_host(host)
        {
            return Err(IngestError::ForeignOrigin {
                origin: host.clone(),
                site: site.id.to_string(),
            });
        }
        Ok(site)
    }

    async fn build_batch(
        &self,
        format: Format,
        parsed: ParsedBatch,
        site: &Site,
        meta: &RequestMeta,
    ) -> Result<(Batch, Option<(String, String)>), IngestError> {
        let ip = meta.client_ip;
        let user_agent = parsed
            .user_agent
            .as_deref()
            .or(meta.user_agent.as_deref())
            .unwrap_or("");
        let salt = self.identity.day_salt(meta.now_ms).await;
        let visitor_id = parsed
            .visitor_id
            .as_deref()
            .map(check_client_id)
            .transpose();
        let session_id = parsed
            .session_id
            .as_deref()
            .map(check_client_id)
            .transpose();
        let (Ok(visitor_id), Ok(session_id)) = (visitor_id, session_id) else {
            return Err(IngestError::BadField(
                "visitor_id and session_id must be 1-128 bytes of printable text".into(),
            ));
        };
        let Identity {
            visitor,
            session,
            cookies,
        } = self
            .identity
            .resolve(
                site,
                visitor_id,
                session_id,
                if format == Format::UserBehaviour {
                    meta.cookie_visitor.as_deref()
                } else {
                    None
                },
                if format == Format::UserBehaviour {
                    meta.cookie_session.as_deref()
                } else {
                    None
                },
                &salt,
                ip,
                user_agent,
                meta.now_ms,
                format == Format::UserBehaviour,
            )
            .await;

        let mut client = self
            .enricher
            .client(user_agent, Some(ip), site.settings.ip_mode, &salt);
        client.screen_width = parsed.screen.map(|s| s.0);
        client.screen_height = parsed.screen.map(|s| s.1);
        client.language = parsed.language.clone();

        let page_url = parsed
            .page_url
            .clone()
            .or_else(|| meta.referer.clone())
            .or_else(|| parsed.events.iter().find_map(|e| e.url.clone()))
            .unwrap_or_else(|| "/".to_owned());
        let first_referrer = parsed.referrer.clone().or_else(|| {
            parsed.events.iter().find_map(|e| match &e.data {
                EventData::Pageview { referrer, .. } => referrer.clone(),
                _ => None,
            })
        });
        let source = self
            .enricher
            .source(&page_url, first_referrer.as_deref(), site);

        // Clock skew: the client said when it sent the batch; shift its times so the send
        // time matches our receive time, and never place an event in the future.
        let skew = parsed.sent_at_ms.map_or(0, |sent| meta.now_ms - sent);
        let site_key = site.id.as_str().as_bytes();
        let mut events = Vec::with_capacity(parsed.events.len());
        for ev in parsed.events {
            let eid = match &ev.client_id {
                Some(id) => hash64(&[b"event", site_key, id.as_bytes()]),
                // Formats without event ids: the content is the identity, so a re-sent batch
                // (and userBehaviour.js's repeated mouse sample) maps to the same ids.
                None => hash64(&[
                    b"content",
                    site_key,
                    &ev.ts_ms.to_le_bytes(),
                    &postcard::to_allocvec(&ev.data).unwrap_or_default(),
                ]),
            };
            let mut data = ev.data;
            if let EventData::Key { raw, .. } = &mut data
                && !site.settings.raw_keys
            {
                *raw = None;
            }
            let url = ev.url.unwrap_or_else(|| page_url.clone());
            let ts_ms = (ev.ts_ms + skew).min(meta.now_ms);
            events.push(Event {
                eid,
                ts_ms,
                url,
                data,
            });
        }
        let batch = Batch {
            site: site.id.clone(),
            visitor,
            session,
            user_id: parsed.user_id,
            received_ms: meta.now_ms,
            client,
            source,
            events,
        };
        Ok((batch, cookies))
    }
}

/// userBehaviour.js reports no pageview for the page it was loaded on, only SPA navigations;
/// its first batch of a page carries `time.startTime`, which marks that page load.
fn add_landing_pageview(parsed: &mut ParsedBatch, meta: &RequestMeta) {
    let Some(start) = parsed.page_start_ms else {
        return;
    };
    let Some(url) = parsed.page_url.clone().or_else(|| meta.referer.clone()) else {
        return;
    };
    let event = wire::ParsedEvent {
        client_id: None,
        ts_ms: start,
        url: Some(url.clone()),
        data: EventData::Pageview {
            url,
            title: parsed.title.clone(),
            referrer: parsed.referrer.clone(),
        },
    };
    parsed.events.insert(0, event);
}

/// Counts a queued batch as accepted when dropped: after its commit, or when the request was
/// cancelled while waiting for it (the committer writes it anyway).
struct AcceptedCount<'a> {
    metrics: &'a Metrics,
    format: &'static str,
    events: u64,
    armed: bool,
}

impl AcceptedCount<'_> {
    /// The commit failed: nothing was accepted.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for AcceptedCount<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.metrics.accept(self.format, self.events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AcceptedCount;
    use crate::metrics::{FormatLabel, Metrics};

    fn accepted(m: &Metrics) -> u64 {
        m.events_accepted
            .get_or_create(&FormatLabel {
                format: "native".into(),
            })
            .get()
    }

    #[test]
    fn a_batch_whose_client_hung_up_is_still_counted_but_a_failed_commit_is_not() {
        let m = Metrics::new();
        let count = |events| AcceptedCount {
            metrics: &m,
            format: "native",
            events,
            armed: true,
        };
        // Committed, or the request future dropped while waiting: both count.
        drop(count(40));
        assert_eq!(accepted(&m), 40);
        count(2).disarm();
        assert_eq!(accepted(&m), 40, "a failed commit accepts nothing");
    }
}
