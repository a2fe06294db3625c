-- a post shared as full-screen 9:16 story images (padded, never cropped)
ALTER TABLE posts ADD COLUMN story INTEGER NOT NULL DEFAULT 0;
