-- Inventory, charges and settings. Times are UTC text in one fixed-width
-- layout (2006-01-02T15:04:05.000000Z) so they sort and compare as text.
-- Money is integer millionths of the currency unit beside its currency code.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agents (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (name <> ''),
    phone      TEXT NOT NULL CHECK (phone LIKE '+%'),
    created_at TEXT NOT NULL
);

CREATE TABLE numbers (
    id                 INTEGER PRIMARY KEY,
    phone_number       TEXT CHECK (phone_number LIKE '+%'),
    provider_sid       TEXT,
    kind               TEXT NOT NULL CHECK (kind IN ('on_demand', 'dedicated')),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'canceling', 'released', 'failed')),
    country            TEXT NOT NULL CHECK (length(country) = 2),
    area_code          TEXT NOT NULL DEFAULT '',
    serves_area_code   TEXT NOT NULL DEFAULT '',
    region             TEXT NOT NULL DEFAULT '',
    locality           TEXT NOT NULL DEFAULT '',
    friendly_name      TEXT NOT NULL DEFAULT '',
    agent_id           INTEGER REFERENCES agents (id),
    is_primary         INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    monthly_price      INTEGER,
    monthly_currency   TEXT,
    failure_reason     TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    activated_at       TEXT,
    reserved_until     TEXT,
    last_used_at       TEXT,
    billing_period_end TEXT,
    released_at        TEXT,
    -- Once bought, a number has its phone number and provider SID.
    CHECK (status IN ('pending', 'failed') OR (phone_number IS NOT NULL AND provider_sid IS NOT NULL)),
    -- An on-demand number in service has a reservation.
    CHECK (kind = 'dedicated' OR status NOT IN ('active', 'past_due') OR reserved_until IS NOT NULL),
    -- A canceling number knows when its billing period ends.
    CHECK (status <> 'canceling' OR billing_period_end IS NOT NULL),
    -- Only an assigned number is an agent's primary.
    CHECK (is_primary = 0 OR agent_id IS NOT NULL),
    -- An on-demand purchase is for an area code.
    CHECK (kind = 'dedicated' OR serves_area_code <> '')
);

-- A phone number, or a provider SID, is ours at most once at a time.
CREATE UNIQUE INDEX numbers_live_phone ON numbers (phone_number) WHERE status NOT IN ('released', 'failed');
CREATE UNIQUE INDEX numbers_live_sid ON numbers (provider_sid) WHERE status NOT IN ('released', 'failed');
-- At most one on-demand purchase in flight per area code: a second Call
-- press waits for the first instead of buying again.
CREATE UNIQUE INDEX numbers_one_pending ON numbers (country, serves_area_code) WHERE status = 'pending' AND kind = 'on_demand';
-- One primary number per agent.
CREATE UNIQUE INDEX numbers_one_primary ON numbers (agent_id) WHERE is_primary = 1 AND status NOT IN ('released', 'failed');

-- The Call key's lookups: a number of the area code, or one serving it.
CREATE INDEX numbers_area ON numbers (country, area_code, status, reserved_until);
CREATE INDEX numbers_serving ON numbers (country, serves_area_code, status, reserved_until);
CREATE INDEX numbers_status ON numbers (status, reserved_until);

CREATE TABLE charges (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('reservation_fee')),
    number_id       INTEGER REFERENCES numbers (id),
    phone_number    TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
);

CREATE INDEX charges_created ON charges (created_at);
