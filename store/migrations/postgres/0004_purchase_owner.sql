-- Who runs a purchase, and whether it has asked the provider yet (as 0004
-- on SQLite).
ALTER TABLE numbers ADD COLUMN owner_machine text NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN owner_pid bigint NOT NULL DEFAULT 0;
ALTER TABLE numbers ADD COLUMN owner_start text NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN asked_at timestamptz;
