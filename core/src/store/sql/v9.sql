-- the posting queue's times ("slots"): on these weekdays, at this time of day in this zone
CREATE TABLE queue_slots (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Monday = 1, Tuesday = 2, …, Sunday = 64; at least one day
    weekdays        INTEGER NOT NULL CHECK (weekdays BETWEEN 1 AND 127),
    -- minutes after midnight on the wall clock of `zone`
    minute_of_day   INTEGER NOT NULL CHECK (minute_of_day BETWEEN 0 AND 1439),
    -- an IANA time zone name, e.g. Europe/Amsterdam
    zone            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

-- the accounts a posting time is for
CREATE TABLE queue_slot_accounts (
    slot_id         INTEGER NOT NULL REFERENCES queue_slots(id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (slot_id, account_id)
) STRICT;
CREATE INDEX queue_slot_accounts_account ON queue_slot_accounts(account_id);

-- whether a posting time is taken: the posts scheduled in a range
CREATE INDEX posts_scheduled ON posts(scheduled_at) WHERE scheduled_at IS NOT NULL;
