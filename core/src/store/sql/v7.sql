-- the comment an Instagram target adds under its post right after publishing
CREATE TABLE post_comments (
    post_id         TEXT NOT NULL REFERENCES posts(id),
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    text            TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
) STRICT;
