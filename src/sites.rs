//! The in-memory view of configured sites, consulted on every ingest request.
//!
//! Sites change rarely and are read constantly, so readers get a snapshot behind a read lock
//! and admin changes (or a periodic reload, for several nodes sharing a store) swap it. The
//! snapshot holds each site's thresholds of the frustration signals too, which every report
//! request reads.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::model::{Site, SiteId};
use crate::query::frustration::Thresholds;
use crate::store::{Store, StoreResult};

#[derive(Default)]
pub struct SiteRegistry {
    sites: RwLock<Arc<HashMap<SiteId, Site>>>,
    thresholds: RwLock<Arc<HashMap<SiteId, Thresholds>>>,
}

impl SiteRegistry {
    pub fn load(store: &dyn Store) -> StoreResult<SiteRegistry> {
        let registry = SiteRegistry::default();
        registry.reload(store)?;
        Ok(registry)
    }

    pub fn reload(&self, store: &dyn Store) -> StoreResult<()> {
        let sites: HashMap<SiteId, Site> = store
            .sites()?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut thresholds = HashMap::new();
        for id in sites.keys() {
            thresholds.insert(id.clone(), store.frustration_thresholds(id)?);
        }
        *self.sites.write() = Arc::new(sites);
        *self.thresholds.write() = Arc::new(thresholds);
        Ok(())
    }

    /// The site's thresholds of the frustration signals (the defaults for an unknown site).
    pub fn thresholds(&self, id: &SiteId) -> Thresholds {
        self.thresholds.read().get(id).copied().unwrap_or_default()
    }

    pub fn get(&self, id: &SiteId) -> Option<Site> {
        self.sites.read().get(id).cloned()
    }

    /// The site that serves `host`, preferring an exact domain match over a parent domain.
    pub fn by_host(&self, host: &str) -> Option<Site> {
        let sites = self.sites.read();
        let host = host.to_ascii_lowercase();
        sites
            .values()
            .find(|s| s.domains.contains(&host))
            .or_else(|| {
                let mut candidates: Vec<&Site> =
                    sites.values().filter(|s| s.serves_host(&host)).collect();
                candidates.sort_by(|a, b| a.id.cmp(&b.id));
                candidates.into_iter().next()
            })
            .cloned()
    }

    pub fn all(&self) -> Vec<Site> {
        let mut v: Vec<Site> = self.sites.read().values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}
