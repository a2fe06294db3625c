-- WhatsApp: a post reaches one account once per recipient, so a delivery is keyed by
-- (post, account, recipient); '' is "no recipient" (every other network). SQLite cannot change a
-- table's UNIQUE constraint in place: the table is rebuilt (foreign keys are off meanwhile).
CREATE TABLE deliveries_v6 (
    id                  TEXT PRIMARY KEY,
    post_id             TEXT NOT NULL REFERENCES posts(id),
    account_id          TEXT NOT NULL REFERENCES accounts(id),
    recipient           TEXT NOT NULL DEFAULT '',
    recipient_name      TEXT,
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
    UNIQUE (post_id, account_id, recipient)
) STRICT;
INSERT INTO deliveries_v6 (id, post_id, account_id, state, attempts, next_attempt_at, lease_owner,
        lease_expires_at, publish_started_at, checkpoint, error_kind, error_message, remote_id,
        remote_url, created_at, updated_at)
    SELECT id, post_id, account_id, state, attempts, next_attempt_at, lease_owner,
        lease_expires_at, publish_started_at, checkpoint, error_kind, error_message, remote_id,
        remote_url, created_at, updated_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v6 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at)
    WHERE state IN ('queued', 'retry_wait', 'unconfirmed');
CREATE INDEX deliveries_running ON deliveries(account_id, lease_expires_at) WHERE state = 'running';
CREATE INDEX deliveries_account ON deliveries(account_id, state);

-- people who agreed to get WhatsApp messages from one business number
CREATE TABLE recipient_lists (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, name)
) STRICT;
CREATE TABLE recipients (
    list_id         TEXT NOT NULL REFERENCES recipient_lists(id) ON DELETE CASCADE,
    phone           TEXT NOT NULL,
    name            TEXT,
    opted_in_at     INTEGER NOT NULL,
    PRIMARY KEY (list_id, phone)
) STRICT;

-- the approved template a WhatsApp target sends instead of the text (JSON)
CREATE TABLE post_templates (
    post_id         TEXT NOT NULL REFERENCES posts(id),
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    template        TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
) STRICT;
