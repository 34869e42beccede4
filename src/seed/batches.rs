//! A played session becomes what ingestion would have stored: cut to the events still wanted,
//! moved inside the time window, numbered, and split into batches the way the tracker sends
//! them, each with the visitor's client info, the session's source and the user known when the
//! batch was started.

use crate::model::{
    Batch, ClientInfo, CommerceAction, Event, EventData, SessionId, TrafficSource, VisitorId,
};

use super::rng::event_id;
use super::session::Gen;
use super::visitor::Visitor;

/// The tracker sends what it has every 15 s, and on navigation.
const FLUSH_MS: i64 = 15_000;

impl Gen<'_> {
    /// Turns the session's events (`self.evs`) into batches appended to `out`: a new batch on
    /// every page load, every 15 s, and right after an identify. Counts them into the stats
    /// and returns how many events were kept.
    pub(super) fn emit(
        &mut self,
        out: &mut Vec<Batch>,
        v: &Visitor,
        day: i64,
        source: TrafficSource,
        signed_in: bool,
        user_id: String,
    ) -> u64 {
        let remaining = self.opts.events - self.stats.events;
        if self.evs.len() as u64 > remaining {
            self.evs.truncate(remaining as usize);
        }
        let n = self.evs.len() as u64;
        if n == 0 {
            return 0;
        }
        let (start_ms, last_ms) = (self.clock.start_ms, self.clock.last_ms);
        if let Some(last) = self.evs.last()
            && last.ts_ms > last_ms
        {
            let shift = last.ts_ms - last_ms;
            for e in &mut self.evs {
                e.ts_ms = (e.ts_ms - shift).max(start_ms);
            }
        }

        let site = &self.opts.site;
        let visitor = VisitorId::from_client(&site.id, &format!("seed-v{}", v.n));
        let session = SessionId::from_client(
            &site.id,
            &format!("seed-{:x}-s{}", self.opts.rng_seed, self.stats.sessions),
        );
        let client = v.client(site.settings.ip_mode, self.key, day);
        let head = BatchHead {
            visitor,
            session,
            client,
            source,
        };

        let mut identified = signed_in;
        let mut cur: Vec<Event> = Vec::new();
        let mut cur_start = 0;
        let mut close_next = false;
        let mut evs = std::mem::take(&mut self.evs);
        for (k, mut e) in evs.drain(..).enumerate() {
            let boundary = close_next
                || matches!(e.data, EventData::Pageview { .. })
                || e.ts_ms >= cur_start + FLUSH_MS;
            if boundary && !cur.is_empty() {
                // A batch carries the user known when it was started: the identify batch not yet.
                let user = identified.then(|| user_id.clone());
                let batch = std::mem::take(&mut cur);
                out.push(self.batch(batch, &head, user));
                if close_next {
                    identified = true;
                }
                close_next = false;
            }
            if cur.is_empty() {
                cur_start = e.ts_ms;
            }
            e.eid = event_id(self.key, self.stats.events + k as u64);
            match &e.data {
                EventData::Identify { .. } => close_next = true,
                EventData::Commerce(c) if c.action == CommerceAction::Purchase => {
                    self.stats.purchases += 1;
                }
                _ => {}
            }
            cur.push(e);
        }
        if !cur.is_empty() {
            let user = identified.then_some(user_id);
            out.push(self.batch(cur, &head, user));
        }
        self.evs = evs;

        self.stats.events += n;
        self.stats.sessions += 1;
        let (word, bit) = ((v.n / 64) as usize, 1u64 << (v.n % 64));
        if self.seen[word] & bit == 0 {
            self.seen[word] |= bit;
            self.stats.visitors += 1;
        }
        n
    }

    /// One batch of the session, received a moment after its last event.
    fn batch(&mut self, events: Vec<Event>, head: &BatchHead, user_id: Option<String>) -> Batch {
        let last = events.last().map_or(self.clock.last_ms, |e| e.ts_ms);
        Batch {
            site: self.opts.site.id.clone(),
            visitor: head.visitor,
            session: head.session,
            user_id,
            received_ms: last + self.rng.range(40, 700),
            client: head.client.clone(),
            source: head.source.clone(),
            events,
        }
    }
}

/// What every batch of a session shares.
struct BatchHead {
    visitor: VisitorId,
    session: SessionId,
    client: ClientInfo,
    source: TrafficSource,
}
