-- a target's own order of the post's files, where the user gave it one: a JSON array of the
-- post's media positions (a permutation of 0..n)
CREATE TABLE post_media_order (
    post_id         TEXT NOT NULL REFERENCES posts(id),
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    positions       TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
) STRICT;
