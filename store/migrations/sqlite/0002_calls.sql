-- Contacts, the calls placed to them, each call's legs, and cached
-- per-minute rates. Calls belong to contacts; the agent's name and phone are
-- copied onto the call as they were when it was placed.

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL CHECK (phone <> ''),
    company     TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '{}',
    do_not_call INTEGER NOT NULL DEFAULT 0 CHECK (do_not_call IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX contacts_phone ON contacts (phone);

CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    agent_name      TEXT NOT NULL,
    agent_phone     TEXT NOT NULL CHECK (agent_phone LIKE '+%'),
    caller_id       TEXT NOT NULL CHECK (caller_id LIKE '+%'),
    number_id       INTEGER REFERENCES numbers (id),
    new_number      INTEGER NOT NULL DEFAULT 0 CHECK (new_number IN (0, 1)),
    fee_charge_id   INTEGER REFERENCES charges (id),
    confirm_mode    TEXT NOT NULL CHECK (confirm_mode IN ('terminal', 'auto', 'keypad')),
    outcome         TEXT NOT NULL DEFAULT '',
    end_reason      TEXT NOT NULL DEFAULT '',
    override_reason TEXT NOT NULL DEFAULT '',
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    -- A number bought for this call carries its fee; a reused one none.
    CHECK (new_number = 1 OR fee_charge_id IS NULL)
);

CREATE INDEX calls_contact ON calls (contact_id, started_at);
CREATE INDEX calls_started ON calls (started_at);

CREATE TABLE legs (
    call_id        INTEGER NOT NULL REFERENCES calls (id),
    role           TEXT NOT NULL CHECK (role IN ('agent', 'contact')),
    sid            TEXT NOT NULL,
    to_number      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled')),
    answered_by    TEXT NOT NULL DEFAULT '',
    started_at     TEXT,
    ended_at       TEXT,
    duration_ms    INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    rate           INTEGER,
    rate_currency  TEXT,
    price          INTEGER CHECK (price IS NULL OR price >= 0),
    price_currency TEXT,
    PRIMARY KEY (call_id, role),
    CHECK ((rate IS NULL) = (rate_currency IS NULL)),
    CHECK ((price IS NULL) = (price_currency IS NULL))
);

CREATE UNIQUE INDEX legs_sid ON legs (sid);
CREATE INDEX legs_unpriced ON legs (call_id) WHERE price IS NULL;

CREATE TABLE rates (
    prefix     TEXT PRIMARY KEY,
    rate       INTEGER NOT NULL CHECK (rate >= 0),
    currency   TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
