-- The agent's own word on how a call went (as 0003 on SQLite).
ALTER TABLE calls ADD COLUMN disposition text NOT NULL DEFAULT '';
