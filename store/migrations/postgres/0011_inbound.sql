-- Inbound calls and callbacks for an agent (as 0011 on SQLite).
ALTER TABLE calls ADD COLUMN direction text NOT NULL DEFAULT 'outbound' CHECK (direction IN ('outbound', 'inbound'));
CREATE INDEX calls_caller_id ON calls (caller_id, started_at);
ALTER TABLE callbacks ADD COLUMN agent_id bigint REFERENCES agents (id);
