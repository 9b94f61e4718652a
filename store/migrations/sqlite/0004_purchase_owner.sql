-- Who runs a purchase, and whether it has asked the provider yet: another
-- process that finds the purchase's process gone settles it at once (marks
-- it failed if the provider was never asked, else asks the provider by the
-- number's tag) instead of waiting for the pending number to go stale.
ALTER TABLE numbers ADD COLUMN owner_machine TEXT NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE numbers ADD COLUMN owner_start TEXT NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN asked_at TEXT;
