//! The in-memory view of configured sites, consulted on every ingest request.
//!
//! Sites change rarely and are read constantly, so readers get a snapshot behind a read lock
//! and admin changes (or a periodic reload, for several nodes sharing a store) swap it.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::model::{Site, SiteId};
use crate::store::{Store, StoreResult};

#[derive(Default)]
pub struct SiteRegistry {
    sites: RwLock<Arc<HashMap<SiteId, Site>>>,
}

impl SiteRegistry {
    pub fn load(store: &dyn Store) -> StoreResult<SiteRegistry> {
        let registry = SiteRegistry::default();
        registry.reload(store)?;
        Ok(registry)
    }

    pub fn reload(&self, store: &dyn Store) -> StoreResult<()> {
        let sites = store
            .sites()?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        *self.sites.write() = Arc::new(sites);
        Ok(())
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
