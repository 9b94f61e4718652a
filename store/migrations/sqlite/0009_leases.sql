-- Leases: work one process of the team does at a time (the housekeeping:
-- sweeping, reconciling, backfilling prices), and a contact one agent
-- calls at a time. A holder renews its lease while it works; a lease whose
-- holder died expires, and another may take it.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
