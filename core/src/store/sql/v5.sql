-- per-account settings the user chose (JSON), such as where Instagram's media is hosted
ALTER TABLE accounts ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
