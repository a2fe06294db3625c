-- each account's profile picture as the platform shows it, fitted small (JPEG), for the UI
CREATE TABLE account_pictures (
    account_id      TEXT PRIMARY KEY REFERENCES accounts(id),
    jpeg            BLOB NOT NULL,
    fetched_at      INTEGER NOT NULL
) STRICT;
