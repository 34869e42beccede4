//! Playing one planned session page by page into events: the state a visit carries from page
//! to page (its cart, its clock, the page it is on) and the loop that links the pages.
//!
//! A [`Visit`] borrows the generator's random stream, shop and event buffer for one session, so
//! the pages ([`super::page`]) and the gestures on them ([`super::gestures`]) are methods of one
//! small value instead of a generator-wide struct.

use crate::model::{Event, EventData};

use super::catalog::{CartLine, Catalog, Page};
use super::gestures::Scroll;
use super::plan::Step;
use super::rng::Rng;
use super::tables::{CAMPAIGNS, POSTS, Src};

/// A purchase, remembered so that a later session of the same user can refund it.
#[derive(Clone, Copy)]
pub(super) struct Order {
    pub(super) transaction: u64,
    pub(super) value: i64,
    pub(super) usd: bool,
}

/// One session while its pages are played.
pub(super) struct Visit<'g> {
    pub(super) rng: &'g mut Rng,
    pub(super) cat: &'g Catalog,
    /// The run's key (transaction ids carry part of it).
    pub(super) key: u64,
    /// The number of the run's next purchase.
    pub(super) next_order: &'g mut u64,
    /// The session's events so far.
    pub(super) evs: &'g mut Vec<Event>,
    /// The current page's URL, which every event on it carries.
    pub(super) url: String,
    /// The time of the latest event.
    pub(super) t: i64,
    pub(super) scroll: Scroll,
    /// Shops in dollars.
    pub(super) usd: bool,
    /// Has a touch screen (and an on-screen keyboard).
    pub(super) touch: bool,
    pub(super) screen: (i32, i32),
    /// How far down the funnel the session goes (see [`super::plan::plan_pages`]).
    pub(super) funnel: u8,
    /// The step on which the visitor signs in, if it does.
    pub(super) identify_step: Option<usize>,
    pub(super) user_id: String,
    pub(super) cart: Vec<CartLine>,
    /// The user's earlier purchase, until it is refunded.
    pub(super) last_order: Option<Order>,
    /// The purchase made in this session.
    pub(super) new_order: Option<Order>,
}

impl Visit<'_> {
    /// Plays `plan`: a human's pages, or a crawler's (`bot`).
    pub(super) fn play(&mut self, plan: &[Step], src: Src, bot: bool) {
        let mut prev_url: Option<String> = None;
        for (i, step) in plan.iter().enumerate() {
            let mut url = self.cat.urls[step.page.index()].clone();
            let referrer = match prev_url.take() {
                Some(prev) => Some(prev),
                None => self.first_referrer(src, &mut url),
            };
            self.url = url;
            let next = plan.get(i + 1).map(|s| s.page);
            if bot {
                self.bot_page(step.page, referrer);
            } else {
                self.page(*step, i, next, referrer);
            }
            // Referrers carry no query (utm tags stay on the landing page).
            let mut prev = std::mem::take(&mut self.url);
            if let Some(q) = prev.find('?') {
                prev.truncate(q);
            }
            prev_url = Some(prev);
            self.t += self.rng.range(300, 2_500);
        }
    }

    /// The landing page's referrer; adds the UTM tags to `url` for newsletter visits.
    fn first_referrer(&mut self, src: Src, url: &mut String) -> Option<String> {
        match src {
            Src::Newsletter => {
                let campaign = self.rng.pick(CAMPAIGNS);
                url.push_str("?utm_source=newsletter&utm_medium=email&utm_campaign=");
                url.push_str(campaign);
                None
            }
            Src::Internal => {
                // A tab left open: the "previous page" is on the site itself.
                let from = if self.rng.chance(0.5) {
                    Page::Home
                } else {
                    Page::Blog(self.rng.popular(POSTS.len()) as u8)
                };
                Some(self.cat.urls[from.index()].clone())
            }
            _ => src.referrer().map(|r| r.0.to_owned()),
        }
    }

    /// Pushes an event `lo..=hi` ms after the previous one.
    #[inline]
    pub(super) fn push_in(&mut self, lo: i64, hi: i64, data: EventData) {
        let dt = self.rng.range(lo, hi);
        self.push(dt, data);
    }

    /// Pushes an event `dt` ms (at least 1) after the previous one, on the current page.
    #[inline]
    pub(super) fn push(&mut self, dt: i64, data: EventData) {
        self.t += dt.max(1);
        self.evs.push(Event {
            eid: 0,
            ts_ms: self.t,
            url: self.url.clone(),
            data,
        });
    }

    /// The id a shop would give purchase number `n` of this run.
    pub(super) fn transaction_id(&self, n: u64) -> String {
        format!("T-{:04x}-{n:07}", self.key & 0xffff)
    }
}
