-- the composer's drafts: several, each named, kept in the data folder with its files
CREATE TABLE drafts (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    -- the composer's choices as JSON (drafts::Content): text, targets, own texts, schedule
    content         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX drafts_updated ON drafts(updated_at);

-- a draft's files, copied into the media folder by content hash like a post's
CREATE TABLE draft_media (
    draft_id        TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    path            TEXT NOT NULL,
    mime            TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    file_name       TEXT NOT NULL,
    alt_text        TEXT,
    focus_x         REAL,
    focus_y         REAL,
    PRIMARY KEY (draft_id, position)
) STRICT;
