-- The provider account that placed a call (as 0005 on SQLite).
ALTER TABLE calls ADD COLUMN account text NOT NULL DEFAULT '';
