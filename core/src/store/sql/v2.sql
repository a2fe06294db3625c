-- what happened to each delivery, in order: the outbox's history and `--wait` progress
CREATE TABLE delivery_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     TEXT NOT NULL REFERENCES deliveries(id),
    at              INTEGER NOT NULL,
    state           TEXT NOT NULL,
    detail          TEXT
) STRICT;
CREATE INDEX delivery_events_delivery ON delivery_events(delivery_id, seq);

-- facts read from a platform and kept for a while, such as a Mastodon server's limits
CREATE TABLE network_cache (
    scope           TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    fetched_at      INTEGER NOT NULL
) STRICT;
