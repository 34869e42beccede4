//! The store operations every store passes on its own: appends with their spool positions and
//! remembered event ids, and the metadata (sites, users, tokens, settings) with its conflicts
//! and misses.

use footfall::model::*;
use footfall::store::prelude::*;
use footfall::store::{DailySalt, SettingsTable, SharedSession, StoreError};

use super::StoreUnderTest;
use super::data::{site, small_batch};

/// Both checks, each on a fresh store of `S`.
pub fn check<S: StoreUnderTest>() {
    append_and_positions(&*S::fresh());
    metadata(&*S::fresh());
    settings(&*S::fresh());
}

/// Appends, the spool position they record, and the event ids a store remembers.
pub fn append_and_positions(store: &dyn Store) {
    let demo = site("demo");
    assert_eq!(store.applied_spool_seq().unwrap(), 0);
    assert_eq!(store.count_events(&demo).unwrap(), 0);
    let t = 1_795_560_120_000;
    // Seeded (no spool position) first, then two ingested appends.
    store.append(&[small_batch("s1", 100, t, 4)], None).unwrap();
    store
        .append(&[small_batch("s2", 200, t + 10_000, 3)], Some(3))
        .unwrap();
    store
        .append(&[small_batch("s3", 300, t + 20_000, 2)], Some(9))
        .unwrap();
    assert_eq!(store.count_events(&demo).unwrap(), 9);
    assert_eq!(store.count_events(&site("other")).unwrap(), 0);
    assert_eq!(store.applied_spool_seq().unwrap(), 9);
    assert_eq!(
        store.recent_event_ids(3).unwrap(),
        vec![301, 300, 202],
        "newest first"
    );
    // Every ingested event is remembered; a store may remember seeded ones too.
    let remembered = store.recent_event_ids(100).unwrap();
    for id in [200, 201, 202, 300, 301] {
        assert!(remembered.contains(&id), "{id} in {remembered:?}");
    }
}

/// Sites, users and tokens: inserted, updated, found, deleted, and refused twice.
pub fn metadata(store: &dyn Store) {
    let mut shop = Site {
        id: site("shop"),
        domains: vec!["shop.example".into(), "www.shop.example".into()],
        settings: SiteSettings::default(),
    };
    store.insert_site(&shop).unwrap();
    assert!(matches!(store.insert_site(&shop), Err(StoreError::Conflict(m)) if m.contains("shop")));
    shop.settings = SiteSettings {
        raw_keys: true,
        ip_mode: IpMode::Hash,
    };
    store.update_site(&shop).unwrap();
    let sites = store.sites().unwrap();
    assert_eq!(
        sites.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec!["demo", "shop"]
    );
    assert_eq!(sites[1], shop);
    assert_eq!(store.site(&site("shop")).unwrap(), Some(shop.clone()));
    let ghost = Site {
        id: site("ghost"),
        ..shop.clone()
    };
    assert!(matches!(
        store.update_site(&ghost),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.site(&ghost.id).unwrap(), None);

    let mut user = User {
        email: "o'brien@example.com".into(),
        role: Role::Viewer,
        password_hash: "$argon2id$v=19$x\\y".into(),
        sites: vec![site("shop")],
    };
    store.insert_user(&user).unwrap();
    assert!(matches!(
        store.insert_user(&user),
        Err(StoreError::Conflict(_))
    ));
    user.role = Role::Admin;
    user.sites = vec![site("demo"), site("shop")];
    store.update_user(&user).unwrap();
    assert_eq!(store.users().unwrap(), vec![user.clone()]);
    assert_eq!(
        store.user_by_email(&user.email).unwrap(),
        Some(user.clone())
    );
    assert_eq!(store.user_by_email("nobody@example.com").unwrap(), None);
    store.delete_user(&user.email).unwrap();
    assert!(store.users().unwrap().is_empty());
    assert!(matches!(
        store.delete_user(&user.email),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.update_user(&user),
        Err(StoreError::NotFound(_))
    ));
    // A deleted account can be created again.
    store.insert_user(&user).unwrap();
    assert_eq!(store.users().unwrap().len(), 1);

    for (name, hash) in [("ci", "h1"), ("ci", "h2"), ("deploy", "h3")] {
        store
            .insert_token(&ApiToken {
                name: name.into(),
                token_hash: hash.into(),
                created_ms: 0,
            })
            .unwrap();
    }
    let found = store.token_by_hash("h2").unwrap().expect("token h2");
    assert_eq!(
        (found.name.as_str(), found.token_hash.as_str()),
        ("ci", "h2")
    );
    assert!(found.created_ms > 0);
    assert_eq!(store.token_by_hash("nope").unwrap(), None);
    assert_eq!(store.tokens().unwrap().len(), 3);
    assert_eq!(store.delete_tokens_named("ci").unwrap(), 2);
    assert_eq!(store.delete_tokens_named("ci").unwrap(), 0);
    let left: Vec<String> = store
        .tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(left, vec!["deploy"]);
    assert_eq!(store.token_by_hash("h1").unwrap(), None);
}

/// The settings table keeps any text under any key, and the typed settings read back what
/// they wrote.
pub fn settings(store: &(impl Store + SettingsTable)) {
    assert_eq!(store.setting("salt").unwrap(), None);
    store.set_setting("salt", "1").unwrap();
    store.set_setting("salt", "2\0\\'").unwrap();
    assert_eq!(store.setting("salt").unwrap().as_deref(), Some("2\0\\'"));

    let salt = DailySalt {
        day: 20_000,
        salt: [9; 32],
    };
    assert_eq!(store.daily_salt().unwrap(), None);
    store.set_daily_salt(salt).unwrap();
    assert_eq!(store.daily_salt().unwrap(), Some(salt));
    store.set_signed_out_at("o'brien@example.com", 42).unwrap();
    assert_eq!(
        store.signed_out_at("o'brien@example.com").unwrap(),
        Some(42)
    );
    assert_eq!(store.signed_out_at("nobody@example.com").unwrap(), None);
    let shared = SharedSession {
        session: "t00ff".into(),
        last_ms: 7,
    };
    store.share_session(0xab, &shared).unwrap();
    assert_eq!(store.shared_session(0xab).unwrap(), Some(shared));
    assert_eq!(store.shared_session(0xac).unwrap(), None);
}
