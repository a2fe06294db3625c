-- what the user set per file and per target in the composer
ALTER TABLE post_media ADD COLUMN alt_text TEXT;
ALTER TABLE post_media ADD COLUMN focus_x REAL;
ALTER TABLE post_media ADD COLUMN focus_y REAL;

-- a target's own text, where the user wrote one
CREATE TABLE post_texts (
    post_id         TEXT NOT NULL REFERENCES posts(id),
    account_id      TEXT NOT NULL REFERENCES accounts(id),
    text            TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
) STRICT;
