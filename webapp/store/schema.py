"""The database schema as numbered migrations. A migration is never edited once released: a
change is a new entry at the end. `PRAGMA user_version` records how many have been applied."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: runs, steps, the event log, leads and what the tools create.
    """
    CREATE TABLE processes (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at REAL NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        plan_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        goal TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        parent_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
        retry_from_step TEXT,
        owner_id TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        last_seq INTEGER NOT NULL DEFAULT 0,
        summary TEXT,
        lead_count INTEGER NOT NULL DEFAULT 0
    );
    -- The plan lives apart from the run row, which every event updates and every history
    -- page reads: keeping that row small keeps both fast.
    CREATE TABLE run_plans (
        run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        plan_json TEXT NOT NULL,
        options_json TEXT NOT NULL DEFAULT '{}'
    ) WITHOUT ROWID;
    -- Runs by user and status, kept by triggers, so the history's counts cost nothing.
    CREATE TABLE run_status_counts (
        user_id TEXT NOT NULL,
        status TEXT NOT NULL,
        runs INTEGER NOT NULL,
        PRIMARY KEY (user_id, status)
    ) WITHOUT ROWID;
    CREATE TRIGGER runs_count_insert AFTER INSERT ON runs BEGIN
        INSERT INTO run_status_counts (user_id, status, runs) VALUES (new.user_id, new.status, 1)
        ON CONFLICT (user_id, status) DO UPDATE SET runs = runs + 1;
    END;
    CREATE TRIGGER runs_count_update AFTER UPDATE OF status ON runs
    WHEN old.status IS NOT new.status BEGIN
        UPDATE run_status_counts SET runs = runs - 1
        WHERE user_id = old.user_id AND status = old.status;
        INSERT INTO run_status_counts (user_id, status, runs) VALUES (new.user_id, new.status, 1)
        ON CONFLICT (user_id, status) DO UPDATE SET runs = runs + 1;
    END;
    CREATE TRIGGER runs_count_delete AFTER DELETE ON runs BEGIN
        UPDATE run_status_counts SET runs = runs - 1
        WHERE user_id = old.user_id AND status = old.status;
    END;
    CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
    CREATE INDEX runs_by_status ON runs (status, created_at DESC, id DESC);
    CREATE INDEX runs_by_user ON runs (user_id, created_at DESC, id DESC);
    CREATE INDEX runs_by_owner ON runs (owner_id) WHERE owner_id IS NOT NULL;
    CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
    CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        tool TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        attempt_log_json TEXT NOT NULL DEFAULT '[]',
        started_at TEXT,
        finished_at TEXT,
        error_message TEXT,
        blocked_by TEXT,
        summary TEXT,
        output_json TEXT,
        PRIMARY KEY (run_id, step_id)
    ) WITHOUT ROWID;

    CREATE TABLE events (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        timestamp TEXT NOT NULL,
        type TEXT NOT NULL,
        step_id TEXT,
        payload_json TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;

    CREATE TABLE lead_lists (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        saved INTEGER NOT NULL,
        duplicates_dropped INTEGER NOT NULL,
        UNIQUE (run_id, step_id)
    );
    CREATE TABLE leads (
        id INTEGER PRIMARY KEY,
        list_id TEXT NOT NULL REFERENCES lead_lists(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        business_name TEXT NOT NULL,
        category TEXT, website TEXT, domain TEXT, phone TEXT, address TEXT, city TEXT,
        postcode TEXT, country TEXT, latitude REAL, longitude REAL, rating REAL,
        review_count INTEGER, business_status TEXT,
        contact_first_name TEXT, contact_last_name TEXT, contact_title TEXT,
        email TEXT, email_status TEXT, email_confidence INTEGER, linkedin_url TEXT,
        source TEXT NOT NULL, source_id TEXT, retrieved_at TEXT
    );
    CREATE INDEX leads_by_list ON leads (list_id, position);
    CREATE UNIQUE INDEX leads_unique_email ON leads (list_id, lower(email)) WHERE email IS NOT NULL;
    CREATE UNIQUE INDEX leads_unique_domain ON leads (list_id, lower(domain))
        WHERE domain IS NOT NULL;

    CREATE TABLE email_sequences (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        list_id TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        steps_json TEXT NOT NULL,
        leads_without_email INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, step_id)
    );
    CREATE TABLE sequence_messages (
        id INTEGER PRIMARY KEY,
        sequence_id TEXT NOT NULL REFERENCES email_sequences(id) ON DELETE CASCADE,
        lead_email TEXT NOT NULL,
        business_name TEXT NOT NULL,
        step_number INTEGER NOT NULL,
        send_after_days INTEGER NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX sequence_messages_by_sequence ON sequence_messages (sequence_id, step_number);

    CREATE TABLE monitors (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        list_id TEXT NOT NULL,
        name TEXT NOT NULL,
        query TEXT NOT NULL,
        region TEXT NOT NULL,
        country TEXT,
        frequency TEXT NOT NULL,
        status TEXT NOT NULL,
        next_run_at TEXT NOT NULL,
        last_run_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (run_id, step_id)
    );
    """,
    # 2: text search in goals (trigram, so any substring matches) and dedup by source id.
    """
    CREATE VIRTUAL TABLE runs_goal_search USING fts5(
        goal, content='runs', content_rowid='rowid', tokenize='trigram'
    );
    CREATE TRIGGER runs_goal_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_goal_search (rowid, goal) VALUES (new.rowid, new.goal);
    END;
    CREATE TRIGGER runs_goal_delete AFTER DELETE ON runs BEGIN
        INSERT INTO runs_goal_search (runs_goal_search, rowid, goal)
        VALUES ('delete', old.rowid, old.goal);
    END;

    INSERT INTO runs_goal_search (runs_goal_search) VALUES ('rebuild');
    CREATE UNIQUE INDEX leads_unique_source ON leads (list_id, source, source_id)
        WHERE source_id IS NOT NULL;
    """,
    # 3: what runs spend, the provider answer cache, outgoing mail, monitor checks.
    """
    CREATE TABLE step_usage (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        requests INTEGER NOT NULL DEFAULT 0,
        credits REAL NOT NULL DEFAULT 0,
        cached INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, step_id, provider)
    ) WITHOUT ROWID;
    ALTER TABLE runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN credits REAL NOT NULL DEFAULT 0;

    CREATE TABLE provider_cache (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        value_json TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX provider_cache_by_expiry ON provider_cache (expires_at);

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        sequence_id TEXT NOT NULL REFERENCES email_sequences(id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL REFERENCES sequence_messages(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        to_email TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        transport TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        queued_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (message_id)
    );
    CREATE INDEX outbox_by_sequence ON outbox (sequence_id, status);

    CREATE TABLE monitor_checks (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        found INTEGER NOT NULL DEFAULT 0,
        new_leads INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX monitor_checks_by_monitor ON monitor_checks (monitor_id, checked_at);
    ALTER TABLE monitors ADD COLUMN last_new_leads INTEGER;
    CREATE INDEX monitors_due ON monitors (status, next_run_at);
    """,
    # 4: accounts: users, their sessions and API tokens (both stored hashed), the app's secret.
    """
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX users_by_name ON users (username COLLATE NOCASE);
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_user ON sessions (user_id);
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
    CREATE TABLE app_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX monitors_by_user ON monitors (user_id);
    """,
    # 5: goals are added to the text search index in batches (webapp/store/search_index.py),
    # not by a trigger in the commit that creates each run; the runs above `indexed_upto`
    # are searched by scanning them.
    """
    DROP TRIGGER runs_goal_insert;
    DROP TRIGGER runs_goal_delete;
    CREATE TABLE search_progress (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_upto INTEGER NOT NULL
    );
    INSERT INTO search_progress (id, indexed_upto)
    VALUES (1, coalesce((SELECT max(rowid) FROM runs), 0));
    CREATE TRIGGER runs_goal_delete AFTER DELETE ON runs
    WHEN old.rowid <= (SELECT indexed_upto FROM search_progress WHERE id = 1) BEGIN
        INSERT INTO runs_goal_search (runs_goal_search, rowid, goal)
        VALUES ('delete', old.rowid, old.goal);
    END;
    """,
    # 6: what a lead's user should know (why it has no contact, a service-area business), who
    # found its email and on which page, and no Google Places content in the answer cache:
    # Google's terms let only place ids be kept.
    """
    ALTER TABLE leads ADD COLUMN email_found_by TEXT;
    ALTER TABLE leads ADD COLUMN email_source TEXT;
    ALTER TABLE leads ADD COLUMN service_area INTEGER;
    ALTER TABLE leads ADD COLUMN notes TEXT;
    DELETE FROM provider_cache WHERE provider = 'Google Places';
    """,
    # 7: what a run delivered against what it asked for, kept with the run for the history.
    """
    ALTER TABLE runs ADD COLUMN leads_wanted INTEGER;
    ALTER TABLE runs ADD COLUMN leads_with_email INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN leads_verified INTEGER NOT NULL DEFAULT 0;
    UPDATE runs SET leads_wanted = (SELECT json_extract(plan_json, '$.goal.volume')
        FROM run_plans WHERE run_plans.run_id = runs.id);
    UPDATE runs SET
        leads_with_email = (SELECT count(*) FROM leads JOIN lead_lists ON lead_lists.id =
            leads.list_id WHERE lead_lists.run_id = runs.id AND leads.email IS NOT NULL),
        leads_verified = (SELECT count(*) FROM leads JOIN lead_lists ON lead_lists.id =
            leads.list_id WHERE lead_lists.run_id = runs.id AND leads.email IS NOT NULL
            AND leads.email_status = 'valid')
    WHERE lead_count > 0;
    """,
]
