CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    network         TEXT NOT NULL,
    name            TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    remote_id       TEXT,
    enabled         INTEGER NOT NULL DEFAULT 0,
    demo            INTEGER NOT NULL DEFAULT 0,
    health          TEXT NOT NULL DEFAULT 'ok',
    health_detail   TEXT,
    paused_until    INTEGER,
    -- per-account pacing: the earliest time its next delivery may start
    next_start_at   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    -- removed accounts stay as tombstones so their delivery history keeps its name
    removed_at      INTEGER
) STRICT;
CREATE UNIQUE INDEX accounts_name ON accounts(name) WHERE removed_at IS NULL;

CREATE TABLE posts (
    id              TEXT PRIMARY KEY,
    text            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    scheduled_at    INTEGER
) STRICT;

CREATE TABLE post_media (
    post_id         TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    path            TEXT NOT NULL,
    mime            TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    file_name       TEXT NOT NULL,
    PRIMARY KEY (post_id, position)
) STRICT;

CREATE TABLE deliveries (
    id                  TEXT PRIMARY KEY,
    post_id             TEXT NOT NULL REFERENCES posts(id),
    account_id          TEXT NOT NULL REFERENCES accounts(id),
    state               TEXT NOT NULL CHECK (state IN ('queued', 'running', 'sent', 'retry_wait',
                            'needs_attention', 'unconfirmed', 'failed', 'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    lease_owner         TEXT,
    lease_expires_at    INTEGER,
    publish_started_at  INTEGER,
    checkpoint          TEXT NOT NULL DEFAULT '{}',
    error_kind          TEXT,
    error_message       TEXT,
    remote_id           TEXT,
    remote_url          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (post_id, account_id)
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at)
    WHERE state IN ('queued', 'retry_wait', 'unconfirmed');
CREATE INDEX deliveries_running ON deliveries(account_id, lease_expires_at) WHERE state = 'running';
CREATE INDEX deliveries_account ON deliveries(account_id, state);
