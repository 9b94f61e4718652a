-- Agents are records: a role (agent or supervisor), removed agents kept
-- (inactive) so that their calls keep their name. Calls, fees and
-- purchases name the agent.
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor'));
ALTER TABLE agents ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE agents ADD COLUMN updated_at TEXT;
-- People pick who they are by name: one active agent per name.
CREATE UNIQUE INDEX agents_live_name ON agents (name) WHERE active = 1;

ALTER TABLE calls ADD COLUMN agent_id INTEGER REFERENCES agents (id);
CREATE INDEX calls_agent ON calls (agent_id, started_at);
ALTER TABLE charges ADD COLUMN agent_id INTEGER REFERENCES agents (id);
ALTER TABLE numbers ADD COLUMN bought_by INTEGER REFERENCES agents (id);
