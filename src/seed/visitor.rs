//! Who visits: a visitor's browser, country, address and screen, derived from its number
//! alone, and the enrichment ingestion would have stored for it.
//!
//! No table of visitors is kept (a run may have millions): every session of visitor `n`
//! re-derives the same traits from its own random stream, so a visitor keeps its browser and
//! country across sessions at no memory cost.

use crate::model::{ClientInfo, DeviceClass, IpMode};

use super::rng::{Rng, mix64};
use super::tables::{
    AGENTS, Agent, BOT_AGENTS, BOT_SHARE, COUNTRIES, DESKTOP_SCREENS, FIRST_OCTETS, MOBILE_SCREENS,
    TABLET_SCREENS, USER_SHARE,
};

/// A visitor's stable traits.
pub(super) struct Visitor {
    pub(super) n: u64,
    agent: &'static Agent,
    /// Row of [`COUNTRIES`].
    country: usize,
    /// Browses in English whatever the country's language.
    english: bool,
    ip: u32,
    pub(super) screen: (i32, i32),
    /// Has an account (and so may sign in).
    pub(super) user: bool,
}

impl Visitor {
    /// Visitor number `n` of the run keyed `key`.
    pub(super) fn new(key: u64, n: u64) -> Visitor {
        let mut r = Rng::new(mix64(key ^ n.wrapping_mul(0xD134_2543_DE82_EF95)));
        let agents = if r.chance(BOT_SHARE) {
            BOT_AGENTS
        } else {
            AGENTS
        };
        let agent = &agents[r.weighted_index(agents, |a| a.weight)];
        let country = r.weighted_index(COUNTRIES, |c| c.2);
        let ip = u32::from(r.pick(FIRST_OCTETS)) << 24 | (r.below(1 << 16) as u32) << 8;
        let screen = match agent.device {
            DeviceClass::Mobile => r.pick(MOBILE_SCREENS),
            DeviceClass::Tablet => r.pick(TABLET_SCREENS),
            DeviceClass::Bot => (1024, 1024),
            _ => r.pick(DESKTOP_SCREENS),
        };
        Visitor {
            n,
            agent,
            country,
            english: r.chance(0.15),
            ip,
            screen,
            user: agent.device != DeviceClass::Bot && r.chance(USER_SHARE),
        }
    }

    pub(super) fn bot(&self) -> bool {
        self.agent.device == DeviceClass::Bot
    }

    /// Has a touch screen (and an on-screen keyboard).
    pub(super) fn touch(&self) -> bool {
        matches!(self.agent.device, DeviceClass::Mobile | DeviceClass::Tablet)
    }

    /// Visitors in the US and Canada shop in dollars.
    pub(super) fn usd(&self) -> bool {
        matches!(COUNTRIES[self.country].0, "US" | "CA")
    }

    /// What enrichment makes of this visitor's requests on day `day` (a hashed address changes
    /// from day to day).
    pub(super) fn client(&self, ip_mode: IpMode, key: u64, day: i64) -> ClientInfo {
        let a = self.agent;
        let (country, lang) = (COUNTRIES[self.country].0, COUNTRIES[self.country].1);
        let ip = match ip_mode {
            IpMode::Truncate => {
                let [a, b, c, _] = self.ip.to_be_bytes();
                Some(format!("{a}.{b}.{c}.0"))
            }
            IpMode::Hash => Some(format!(
                "{:016x}",
                mix64(u64::from(self.ip) ^ key ^ (day as u64) << 32)
            )),
            IpMode::Drop => None,
        };
        let bot = self.bot();
        ClientInfo {
            browser: a.browser.to_owned(),
            browser_version: a.version.to_owned(),
            os: a.os.to_owned(),
            device: a.device,
            bot,
            country: Some(country.to_owned()),
            ip,
            screen_width: Some(self.screen.0),
            screen_height: Some(self.screen.1),
            language: Some(if self.english && !bot { "en-US" } else { lang }.to_owned()),
        }
    }
}
