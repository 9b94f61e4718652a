-- Calls a contact places to one of our numbers (inbound) are recorded
-- beside the ones we place; a missed one becomes a callback for the agent
-- it was meant for.
ALTER TABLE calls ADD COLUMN direction TEXT NOT NULL DEFAULT 'outbound' CHECK (direction IN ('outbound', 'inbound'));
-- The last call from a number to a phone: inbound calls ask it.
CREATE INDEX calls_caller_id ON calls (caller_id, started_at);
ALTER TABLE callbacks ADD COLUMN agent_id INTEGER REFERENCES agents (id);
