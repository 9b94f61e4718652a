-- The agent's day: contacts gain email, time zone, soft deletion and a
-- revision (the search index asks for the changes after the revision it
-- has); lists of contacts; the organization's do-not-call list of numbers
-- with every addition and removal kept; callbacks.

ALTER TABLE contacts ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN deleted_at TEXT;
ALTER TABLE contacts ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET rev = id;
CREATE INDEX contacts_rev ON contacts (rev);

-- One live contact per phone. Older installations could hold two contacts
-- with one number (the same person): the newer ones are hidden, as a
-- delete would, and keep their calls.
UPDATE contacts SET deleted_at = updated_at
WHERE EXISTS (SELECT 1 FROM contacts o WHERE o.phone = contacts.phone AND o.id < contacts.id);
CREATE UNIQUE INDEX contacts_live_phone ON contacts (phone) WHERE deleted_at IS NULL;

CREATE TABLE lists (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (name <> ''),
    created_at TEXT NOT NULL
);

CREATE TABLE list_members (
    list_id    INTEGER NOT NULL REFERENCES lists (id),
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (list_id, contact_id)
) WITHOUT ROWID;

CREATE INDEX list_members_contact ON list_members (contact_id);

-- The do-not-call list is by number, not by contact: a number listed
-- before anyone imports it is refused all the same.
CREATE TABLE dnc (
    phone    TEXT PRIMARY KEY CHECK (phone LIKE '+%'),
    reason   TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE dnc_events (
    id     INTEGER PRIMARY KEY,
    phone  TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('added', 'removed')),
    reason TEXT NOT NULL DEFAULT '',
    by     TEXT NOT NULL DEFAULT '',
    at     TEXT NOT NULL
);

CREATE INDEX dnc_events_phone ON dnc_events (phone, id);

-- Contacts marked "do not call" before the list existed put their number on it.
INSERT INTO dnc (phone, reason, added_by, added_at)
SELECT phone, 'marked do not call on the contact', '', min(updated_at) FROM contacts
WHERE do_not_call = 1 GROUP BY phone;
INSERT INTO dnc_events (phone, action, reason, by, at)
SELECT phone, 'added', reason, added_by, added_at FROM dnc ORDER BY added_at;
-- contacts.do_not_call is no longer read or written.

CREATE TABLE callbacks (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    due_at     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    done_at    TEXT,
    done_call  INTEGER REFERENCES calls (id),
    CHECK (done_call IS NULL OR done_at IS NOT NULL)
);

-- A contact has at most one open callback.
CREATE UNIQUE INDEX callbacks_open ON callbacks (contact_id) WHERE done_at IS NULL;
CREATE INDEX callbacks_due ON callbacks (due_at) WHERE done_at IS NULL;
