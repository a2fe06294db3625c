-- indexes so the outbox's hot queries read what they need, not every row ever written
-- the duplicate check reads the last week's posts, newest first
CREATE INDEX posts_created ON posts(created_at);
-- the outbox list reads the newest deliveries first, ties in id order as it sorts them
CREATE INDEX deliveries_created ON deliveries(created_at DESC, id);
-- a claim reads only the deliveries it could take, each account's in due order (a running one
-- is there for its lease)
CREATE INDEX deliveries_claimable ON deliveries(account_id, next_attempt_at, id)
    WHERE state IN ('queued', 'retry_wait', 'unconfirmed', 'running');
