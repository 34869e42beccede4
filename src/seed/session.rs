//! One session at a time: which visitor comes back, when, from where, how far down the funnel
//! they will go and whether they sign in; then their visit is played and cut into batches.
//!
//! [`Gen`] holds only what outlives a session: the random stream, the shop, the timeline, who
//! has been seen, each user's last order, the running totals, and buffers reused from session
//! to session so that generation allocates little.

use std::collections::HashMap;

use crate::model::{Batch, Event, TrafficSource};

use super::catalog::Catalog;
use super::plan::{Step, plan_pages};
use super::rng::{Rng, mix64};
use super::tables::{SOURCES, Src};
use super::timeline::{DAY_MS, Timeline};
use super::visit::{Order, Visit};
use super::visitor::Visitor;
use super::{SeedOptions, SeedStats};

/// Whether and when a visitor with an account is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignIn {
    Anonymous,
    /// From a previous visit: every batch carries the user.
    Already,
    /// Signs in on one of the session's pages.
    MidSession,
}

/// The generator: everything that lives from one session to the next.
pub(super) struct Gen<'a> {
    pub(super) opts: &'a SeedOptions,
    cat: Catalog,
    pub(super) rng: Rng,
    /// Derived from the seed; separates the id spaces of different seeds.
    pub(super) key: u64,
    pub(super) clock: Timeline,
    n_visitors: u64,
    /// One bit per visitor number: had a session already.
    pub(super) seen: Vec<u64>,
    /// Each user's latest purchase, which a later session may refund.
    orders: HashMap<u64, Order>,
    next_order: u64,
    /// Totals so far; `stats.events` and `stats.sessions` also number the next event and session.
    pub(super) stats: SeedStats,
    plan: Vec<Step>,
    /// The current session's events until they are cut into batches.
    pub(super) evs: Vec<Event>,
}

impl<'a> Gen<'a> {
    pub(super) fn new(opts: &'a SeedOptions) -> Gen<'a> {
        let key = mix64(opts.rng_seed ^ 0x5EED_F00D_CAFE_BABE);
        let n_visitors = (opts.events / 60).max(1);
        Gen {
            opts,
            cat: Catalog::new(&opts.site),
            rng: Rng::new(key),
            key,
            clock: Timeline::new(opts.days, opts.now_ms),
            n_visitors,
            seen: vec![0; n_visitors.div_ceil(64) as usize],
            orders: HashMap::new(),
            next_order: 1,
            stats: SeedStats::default(),
            plan: Vec::with_capacity(16),
            evs: Vec::with_capacity(512),
        }
    }

    /// Generates one session, appends its batches to `out` and returns its event count.
    pub(super) fn session(&mut self, out: &mut Vec<Batch>) -> u64 {
        // A tenth of the visitors (the regulars) bring a third of the sessions.
        let n = if self.rng.chance(0.35) {
            self.rng.below((self.n_visitors / 10).max(1))
        } else {
            self.rng.below(self.n_visitors)
        };
        let v = Visitor::new(self.key, n);
        let bot = v.bot();
        let p = (self.stats.events as f64 + self.rng.unit() * 40.0) / self.opts.events as f64;
        let session_start = self.clock.time_at(p);

        let src = if bot {
            Src::Direct
        } else {
            self.rng.weighted(SOURCES)
        };
        let r = self.rng.unit();
        let funnel = match () {
            _ if bot => 0,
            _ if r < 0.025 => 4, // purchase
            _ if r < 0.05 => 3,  // begin_checkout
            _ if r < 0.12 => 2,  // add_to_cart
            _ if r < 0.35 => 1,  // view_item
            _ => 0,
        };
        let sign_in = if !v.user {
            SignIn::Anonymous
        } else {
            self.rng.weighted(&[
                (SignIn::Already, 45),
                (SignIn::MidSession, 20),
                (SignIn::Anonymous, 35),
            ])
        };
        let last_order = if v.user {
            self.orders.get(&n).copied()
        } else {
            None
        };
        plan_pages(
            &mut self.rng,
            &mut self.plan,
            src,
            funnel,
            last_order.is_some(),
        );
        let identify_step = (sign_in == SignIn::MidSession)
            .then(|| self.rng.below(self.plan.len() as u64) as usize);

        self.evs.clear();
        let mut visit = Visit {
            rng: &mut self.rng,
            cat: &self.cat,
            key: self.key,
            next_order: &mut self.next_order,
            evs: &mut self.evs,
            url: String::new(),
            t: session_start,
            scroll: Default::default(),
            usd: v.usd(),
            touch: v.touch(),
            screen: v.screen,
            funnel,
            identify_step,
            user_id: format!("user-{}", n + 1),
            cart: Vec::new(),
            last_order,
            new_order: None,
        };
        visit.play(&self.plan, src, bot);
        let (new_order, user_id) = (visit.new_order, visit.user_id);

        if let Some(order) = new_order {
            self.orders.insert(n, order);
        }
        let source = traffic_source(src, &self.evs);
        let sign_in_from_start = sign_in == SignIn::Already;
        let day = session_start.div_euclid(DAY_MS);
        self.emit(out, &v, day, source, sign_in_from_start, user_id)
    }
}

/// The session's source as enrichment would classify its landing page and referrer.
fn traffic_source(src: Src, evs: &[Event]) -> TrafficSource {
    let mut out = TrafficSource::default();
    if let Some((_, host, source, medium)) = src.referrer() {
        out.referrer_host = Some(host.to_owned());
        out.source = Some(source.to_owned());
        out.medium = Some(medium.to_owned());
    }
    match src {
        Src::Internal => out.medium = Some("internal".to_owned()),
        Src::Newsletter => {
            // The campaign is on the landing page's URL.
            let first = evs.first().map_or("", |e| e.url.as_str());
            let campaign = first.split("utm_campaign=").nth(1).unwrap_or("");
            out.source = Some("newsletter".to_owned());
            out.medium = Some("email".to_owned());
            out.utm_source = Some("newsletter".to_owned());
            out.utm_medium = Some("email".to_owned());
            out.utm_campaign = (!campaign.is_empty()).then(|| campaign.to_owned());
        }
        _ => {}
    }
    out
}
