//! Versioned schema migrations for the embedded store, applied in order on open.
//!
//! Each migration runs once, inside a transaction, and records its version; a database written
//! by a newer footfall (unknown higher version) is refused rather than guessed at.

/// Migrations in order; index + 1 is the version.
pub const MIGRATIONS: &[&str] = &[
    // 1: events, per-batch session attributes, e-commerce items, identity links, metadata,
    // spool progress.
    r#"
    CREATE TABLE events (
        site            VARCHAR   NOT NULL,
        ts              TIMESTAMP NOT NULL,  -- event time, corrected for client clock skew
        eid             BIGINT    NOT NULL,  -- de-duplication key (hash of the client event id); dropped by 6
        visitor_id      BIGINT    NOT NULL,
        session_id      BIGINT    NOT NULL,
        user_id         VARCHAR,
        bot             BOOLEAN   NOT NULL,  -- copied from the batch: every report filters on it
        kind            VARCHAR   NOT NULL,  -- EventKind::as_str
        name            VARCHAR,             -- custom name, commerce action, key class, form/media/touch action, visibility
        path            VARCHAR   NOT NULL,
        url             VARCHAR,             -- pageviews: the full URL
        title           VARCHAR,
        referrer        VARCHAR,
        x               INTEGER,             -- click/move/touch/scroll x; resize width
        y               INTEGER,             -- click/move/touch/scroll y; resize height
        page_y          INTEGER,
        depth           SMALLINT,            -- scroll depth in percent
        target          VARCHAR,             -- selector, form name, media src
        label           VARCHAR,             -- element text, form field, raw key (opt-in)
        props           VARCHAR,             -- JSON text: custom properties, identify traits
        value_minor     BIGINT,
        currency        VARCHAR,
        transaction_id  VARCHAR,
        duration_ms     BIGINT               -- engaged time, media position
    );
    -- One row per stored batch: what enrichment said about the client and the traffic source,
    -- and a rollup of its events. Kept apart from events because it is the same for every
    -- event of a batch; a session's attributes are those of its earliest batch.
    CREATE TABLE session_meta (
        site            VARCHAR   NOT NULL,
        session_id      BIGINT    NOT NULL,
        visitor_id      BIGINT    NOT NULL,
        ts              TIMESTAMP NOT NULL,  -- earliest event of the batch
        received_at     TIMESTAMP NOT NULL,
        browser         VARCHAR   NOT NULL,
        browser_version VARCHAR   NOT NULL,
        os              VARCHAR   NOT NULL,
        device          VARCHAR   NOT NULL,
        bot             BOOLEAN   NOT NULL,
        country         VARCHAR,
        ip              VARCHAR,             -- anonymised per site setting, never raw
        screen_w        INTEGER,
        screen_h        INTEGER,
        language        VARCHAR,
        referrer_host   VARCHAR,
        source          VARCHAR,
        medium          VARCHAR,
        utm_source      VARCHAR,
        utm_medium      VARCHAR,
        utm_campaign    VARCHAR,
        utm_term        VARCHAR,
        utm_content     VARCHAR,
        -- Rollup of the batch's events, so session-level report figures group one row per
        -- batch instead of one per event.
        last_ts         TIMESTAMP NOT NULL,  -- latest event of the batch
        events          INTEGER   NOT NULL,
        pageviews       INTEGER   NOT NULL,
        engaged_ms      BIGINT    NOT NULL,  -- sum of engagement events
        entry_page      VARCHAR,             -- path of the batch's first pageview
        exit_page       VARCHAR              -- path of the batch's last pageview
    );
    CREATE TABLE items (
        site           VARCHAR   NOT NULL,
        ts             TIMESTAMP NOT NULL,
        eid            BIGINT    NOT NULL,
        visitor_id     BIGINT    NOT NULL,
        session_id     BIGINT    NOT NULL,
        action         VARCHAR   NOT NULL,
        transaction_id VARCHAR,
        currency       VARCHAR,
        item_id        VARCHAR   NOT NULL,
        item_name      VARCHAR,
        item_category  VARCHAR,
        item_brand     VARCHAR,
        item_variant   VARCHAR,
        price_minor    BIGINT,
        quantity       BIGINT    NOT NULL
    );
    CREATE TABLE identities (
        site       VARCHAR   NOT NULL,
        visitor_id BIGINT    NOT NULL,
        user_id    VARCHAR   NOT NULL,
        ts         TIMESTAMP NOT NULL
    );
    CREATE TABLE sites (
        id         VARCHAR PRIMARY KEY,
        domains    VARCHAR NOT NULL,   -- JSON array of host names
        raw_keys   BOOLEAN NOT NULL,
        ip_mode    VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE users (
        email         VARCHAR PRIMARY KEY,
        role          VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE api_tokens (
        token_hash VARCHAR PRIMARY KEY,
        name       VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE settings (
        key   VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL
    );
    CREATE TABLE spool_state (
        id          INTEGER PRIMARY KEY,
        applied_seq BIGINT NOT NULL
    );
    INSERT INTO spool_state VALUES (1, 0);
    INSERT INTO sites (id, domains, raw_keys, ip_mode)
        VALUES ('demo', '["localhost","127.0.0.1"]', false, 'truncate');
    "#,
    // 2: session attributes move out of the per-batch rows into `sessions`, written once per
    // session (again only when a writer could not know the session, e.g. after a restart), so
    // reports read one row per session for source, client and place instead of one per batch.
    // The per-batch rollups become `batches` and gain the batch's user.
    r#"
    CREATE TABLE sessions (
        site            VARCHAR   NOT NULL,
        session_id      BIGINT    NOT NULL,
        visitor_id      BIGINT    NOT NULL,
        ts              TIMESTAMP NOT NULL,  -- earliest event of the batch that wrote this row
        browser         VARCHAR   NOT NULL,
        browser_version VARCHAR   NOT NULL,
        os              VARCHAR   NOT NULL,
        device          VARCHAR   NOT NULL,
        bot             BOOLEAN   NOT NULL,
        country         VARCHAR,
        ip              VARCHAR,             -- anonymised per site setting, never raw
        screen_w        INTEGER,
        screen_h        INTEGER,
        language        VARCHAR,
        referrer_host   VARCHAR,
        source          VARCHAR,
        medium          VARCHAR,
        utm_source      VARCHAR,
        utm_medium      VARCHAR,
        utm_campaign    VARCHAR,
        utm_term        VARCHAR,
        utm_content     VARCHAR
    );
    INSERT INTO sessions
        SELECT site, session_id, arg_min(visitor_id, ts), min(ts), arg_min(browser, ts),
               arg_min(browser_version, ts), arg_min(os, ts), arg_min(device, ts),
               arg_min(bot, ts), arg_min(country, ts), arg_min(ip, ts), arg_min(screen_w, ts),
               arg_min(screen_h, ts), arg_min(language, ts), arg_min(referrer_host, ts),
               arg_min(source, ts), arg_min(medium, ts), arg_min(utm_source, ts),
               arg_min(utm_medium, ts), arg_min(utm_campaign, ts), arg_min(utm_term, ts),
               arg_min(utm_content, ts)
        FROM session_meta GROUP BY site, session_id;
    CREATE TABLE batches (
        site        VARCHAR   NOT NULL,
        session_id  BIGINT    NOT NULL,
        visitor_id  BIGINT    NOT NULL,
        user_id     VARCHAR,             -- the batch's signed-in user, if any
        bot         BOOLEAN   NOT NULL,
        ts          TIMESTAMP NOT NULL,  -- earliest event of the batch
        last_ts     TIMESTAMP NOT NULL,  -- latest event of the batch
        events      INTEGER   NOT NULL,
        pageviews   INTEGER   NOT NULL,
        engaged_ms  BIGINT    NOT NULL,  -- sum of engagement events
        entry_page  VARCHAR,             -- path of the batch's first pageview
        exit_page   VARCHAR              -- path of the batch's last pageview
    );
    INSERT INTO batches
        SELECT m.site, m.session_id, m.visitor_id, u.user_id, m.bot, m.ts, m.last_ts, m.events,
               m.pageviews, m.engaged_ms, m.entry_page, m.exit_page
        FROM session_meta m
        LEFT JOIN (SELECT site, session_id, max(user_id) AS user_id FROM events
                   WHERE user_id IS NOT NULL GROUP BY site, session_id) u
               ON u.site = m.site AND u.session_id = m.session_id
        ORDER BY m.ts;
    DROP TABLE session_meta;
    "#,
    // 3: `sessions` becomes the per-session rollup: exactly one row per session with its
    // figures (times, counts, engaged time, scroll depth, entry and exit page, user) next to
    // its attributes, merged by the writer in the same transaction as the events (see
    // `write::merge_sessions`). Session-level reports read one row per session.
    r#"
    CREATE TABLE session_rollup (
        site            VARCHAR   NOT NULL,
        session_id      BIGINT    NOT NULL,
        visitor_id      BIGINT    NOT NULL,
        user_id         VARCHAR,
        bot             BOOLEAN   NOT NULL,
        ts              TIMESTAMP NOT NULL,  -- first event
        last_ts         TIMESTAMP NOT NULL,  -- latest event
        events          BIGINT    NOT NULL,
        pageviews       BIGINT    NOT NULL,
        clicks          BIGINT    NOT NULL,
        engaged_ms      BIGINT    NOT NULL,
        max_depth       SMALLINT,            -- deepest scroll, percent
        entry_ts        TIMESTAMP,           -- first pageview
        entry_page      VARCHAR,
        exit_ts         TIMESTAMP,           -- last pageview
        exit_page       VARCHAR,
        browser         VARCHAR   NOT NULL,
        browser_version VARCHAR   NOT NULL,
        os              VARCHAR   NOT NULL,
        device          VARCHAR   NOT NULL,
        country         VARCHAR,
        ip              VARCHAR,             -- anonymised per site setting, never raw
        screen_w        INTEGER,
        screen_h        INTEGER,
        language        VARCHAR,
        referrer_host   VARCHAR,
        source          VARCHAR,
        medium          VARCHAR,
        utm_source      VARCHAR,
        utm_medium      VARCHAR,
        utm_campaign    VARCHAR,
        utm_term        VARCHAR,
        utm_content     VARCHAR
    );
    INSERT INTO session_rollup
        SELECT b.site, b.session_id, b.visitor_id, b.user_id, b.bot, b.ts, b.last_ts, b.events,
               b.pageviews, coalesce(e.clicks, 0), b.engaged_ms, e.max_depth, b.entry_ts,
               b.entry_page, b.exit_ts, b.exit_page, coalesce(a.browser, 'Unknown'),
               coalesce(a.browser_version, ''), coalesce(a.os, 'Other'),
               coalesce(a.device, 'unknown'), a.country, a.ip, a.screen_w, a.screen_h,
               a.language, a.referrer_host, a.source, a.medium, a.utm_source, a.utm_medium,
               a.utm_campaign, a.utm_term, a.utm_content
        FROM (
            SELECT site, session_id, arg_min(visitor_id, ts) AS visitor_id,
                   max(user_id) AS user_id, arg_min(bot, ts) AS bot, min(ts) AS ts,
                   max(last_ts) AS last_ts, sum(events)::BIGINT AS events,
                   sum(pageviews)::BIGINT AS pageviews, sum(engaged_ms)::BIGINT AS engaged_ms,
                   min(ts) FILTER (WHERE entry_page IS NOT NULL) AS entry_ts,
                   arg_min(entry_page, ts) FILTER (WHERE entry_page IS NOT NULL) AS entry_page,
                   max(last_ts) FILTER (WHERE exit_page IS NOT NULL) AS exit_ts,
                   arg_max(exit_page, last_ts) FILTER (WHERE exit_page IS NOT NULL) AS exit_page
            FROM batches GROUP BY site, session_id
        ) b
        LEFT JOIN (
            SELECT site, session_id, count(*) FILTER (WHERE kind = 'click') AS clicks,
                   max(depth) FILTER (WHERE kind = 'scroll') AS max_depth
            FROM events GROUP BY site, session_id
        ) e ON e.site = b.site AND e.session_id = b.session_id
        LEFT JOIN (
            SELECT site, session_id, arg_min(browser, ts) AS browser,
                   arg_min(browser_version, ts) AS browser_version, arg_min(os, ts) AS os,
                   arg_min(device, ts) AS device, arg_min(country, ts) AS country,
                   arg_min(ip, ts) AS ip, arg_min(screen_w, ts) AS screen_w,
                   arg_min(screen_h, ts) AS screen_h, arg_min(language, ts) AS language,
                   arg_min(referrer_host, ts) AS referrer_host, arg_min(source, ts) AS source,
                   arg_min(medium, ts) AS medium, arg_min(utm_source, ts) AS utm_source,
                   arg_min(utm_medium, ts) AS utm_medium, arg_min(utm_campaign, ts) AS utm_campaign,
                   arg_min(utm_term, ts) AS utm_term, arg_min(utm_content, ts) AS utm_content
            FROM sessions GROUP BY site, session_id
        ) a ON a.site = b.site AND a.session_id = b.session_id
        ORDER BY b.ts;
    DROP TABLE sessions;
    ALTER TABLE session_rollup RENAME TO sessions;
    -- The writer's scratch space for one append's session rows; empty between transactions.
    CREATE TABLE sessions_staging AS SELECT * FROM sessions WHERE false;
    "#,
    // 4: projections of `events` that reports scan instead of filtering every event by kind:
    // `commerce`, the commerce events again (same columns, about 1% of the rows), and
    // `pageviews`, the few columns of pageviews that page lists and page filters need (about
    // 10%). Written by the writer in the same transaction as `events`.
    r#"
    CREATE TABLE commerce AS SELECT * FROM events WHERE false;
    INSERT INTO commerce SELECT * FROM events WHERE kind = 'commerce' ORDER BY ts;
    CREATE TABLE pageviews (
        site       VARCHAR   NOT NULL,
        ts         TIMESTAMP NOT NULL,
        visitor_id BIGINT    NOT NULL,
        session_id BIGINT    NOT NULL,
        bot        BOOLEAN   NOT NULL,
        path       VARCHAR   NOT NULL
    );
    INSERT INTO pageviews
        SELECT site, ts, visitor_id, session_id, bot, path FROM events
        WHERE kind = 'pageview' ORDER BY ts;
    -- Per-session counts of the other event kinds (pageviews and clicks have theirs), so
    -- events by type come from one row per session.
    ALTER TABLE sessions ADD COLUMN n_move BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_move BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_scroll BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_scroll BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_key BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_key BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_form BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_form BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_touch BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_touch BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_media BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_media BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_visibility BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_visibility BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_resize BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_resize BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_engagement BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_engagement BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_custom BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_custom BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_commerce BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_commerce BIGINT DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN n_identify BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_identify BIGINT DEFAULT 0;
    UPDATE sessions SET n_move = k.n_move, n_scroll = k.n_scroll, n_key = k.n_key, n_form = k.n_form, n_touch = k.n_touch, n_media = k.n_media, n_visibility = k.n_visibility, n_resize = k.n_resize, n_engagement = k.n_engagement, n_custom = k.n_custom, n_commerce = k.n_commerce, n_identify = k.n_identify
    FROM (
        SELECT site, session_id,
               count(*) FILTER (WHERE kind = 'move') AS n_move,
               count(*) FILTER (WHERE kind = 'scroll') AS n_scroll,
               count(*) FILTER (WHERE kind = 'key') AS n_key,
               count(*) FILTER (WHERE kind = 'form') AS n_form,
               count(*) FILTER (WHERE kind = 'touch') AS n_touch,
               count(*) FILTER (WHERE kind = 'media') AS n_media,
               count(*) FILTER (WHERE kind = 'visibility') AS n_visibility,
               count(*) FILTER (WHERE kind = 'resize') AS n_resize,
               count(*) FILTER (WHERE kind = 'engagement') AS n_engagement,
               count(*) FILTER (WHERE kind = 'custom') AS n_custom,
               count(*) FILTER (WHERE kind = 'commerce') AS n_commerce,
               count(*) FILTER (WHERE kind = 'identify') AS n_identify
        FROM events GROUP BY site, session_id
    ) k
    WHERE sessions.site = k.site AND sessions.session_id = k.session_id;
    "#,
    // 5: per-site access for dashboard accounts (a JSON array of site ids; admins read all).
    // A table of its own, not a column: DuckDB 1.5 cannot replay a WAL holding an ALTER of a
    // table whose columns have a `current_timestamp` default (as `users` has), so an upgrade
    // interrupted before its checkpoint would leave a database that does not open.
    r#"
    CREATE TABLE user_sites (
        email VARCHAR PRIMARY KEY,
        sites VARCHAR NOT NULL
    );
    "#,
    // 6: `events` drops `eid` and `batches` the columns no report reads. A random 64-bit hash cannot be compressed, and it was a quarter
    // of every event's bytes on disk while only the writer's de-duplication window read it,
    // at start-up. The ids of recently ingested events now live in `recent_ids`, bounded to
    // the window (`DuckDbOptions::recent_ids`), written in the same transaction as the events.
    // `commerce` and `items` keep their `eid`: it identifies orders and links their items.
    r#"
    CREATE TABLE recent_ids (
        seq BIGINT NOT NULL,  -- spool position of the append that stored the event
        eid BIGINT NOT NULL
    );
    INSERT INTO recent_ids
        SELECT 0, eid FROM (SELECT eid, ts FROM events ORDER BY ts DESC LIMIT 2000000)
        ORDER BY ts;
    ALTER TABLE events DROP COLUMN eid;
    -- Only the overview's time series reads `batches` since `sessions` holds each session's
    -- figures (3): the per-batch columns it does not read go.
    ALTER TABLE batches DROP COLUMN last_ts;
    ALTER TABLE batches DROP COLUMN engaged_ms;
    ALTER TABLE batches DROP COLUMN entry_page;
    ALTER TABLE batches DROP COLUMN exit_page;
    "#,
    // 7: what heatmaps and frustration signals need. Clicks keep the viewport's size, their
    // position inside the element (thousandths of its box), whether the element is fixed or
    // sticky, and whether the tracker saw no answer (dead); moves keep the viewport width,
    // scrolls its height. `error` events (JavaScript errors) get their count per session.
    // `commerce` has the columns of `events` (4), so it gets them too.
    r#"
    ALTER TABLE events ADD COLUMN vw INTEGER;
    ALTER TABLE events ADD COLUMN vh INTEGER;
    ALTER TABLE events ADD COLUMN ex SMALLINT;
    ALTER TABLE events ADD COLUMN ey SMALLINT;
    ALTER TABLE events ADD COLUMN fixed BOOLEAN;
    ALTER TABLE events ADD COLUMN dead BOOLEAN;
    ALTER TABLE commerce ADD COLUMN vw INTEGER;
    ALTER TABLE commerce ADD COLUMN vh INTEGER;
    ALTER TABLE commerce ADD COLUMN ex SMALLINT;
    ALTER TABLE commerce ADD COLUMN ey SMALLINT;
    ALTER TABLE commerce ADD COLUMN fixed BOOLEAN;
    ALTER TABLE commerce ADD COLUMN dead BOOLEAN;
    ALTER TABLE sessions ADD COLUMN n_error BIGINT DEFAULT 0;
    ALTER TABLE sessions_staging ADD COLUMN n_error BIGINT DEFAULT 0;
    "#,
];
