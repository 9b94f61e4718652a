-- Agents are records (as 0008 on SQLite), and the database itself tells
-- agents from supervisors: two roles, dialer_agent and dialer_supervisor,
-- that a team's login roles are granted (see README: "Team database").
ALTER TABLE agents ADD COLUMN role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor'));
ALTER TABLE agents ADD COLUMN active smallint NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE agents ADD COLUMN updated_at timestamptz;
CREATE UNIQUE INDEX agents_live_name ON agents (name) WHERE active = 1;

ALTER TABLE calls ADD COLUMN agent_id bigint REFERENCES agents (id);
CREATE INDEX calls_agent ON calls (agent_id, started_at);
ALTER TABLE charges ADD COLUMN agent_id bigint REFERENCES agents (id);
ALTER TABLE numbers ADD COLUMN bought_by bigint REFERENCES agents (id);

-- The roles are cluster-wide: made once, by a user allowed to (the
-- migration goes on without them otherwise, and says so). Databases of one
-- server migrating at once may race to make them: the loser finds them
-- made.
DO $$
BEGIN
    CREATE ROLE dialer_agent NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'dialer: role dialer_agent not made (this user may not create roles)';
END
$$;
DO $$
BEGIN
    CREATE ROLE dialer_supervisor NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'dialer: role dialer_supervisor not made (this user may not create roles)';
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dialer_agent')
        OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dialer_supervisor') THEN
        RETURN;
    END IF;
    -- Supervisors: everything dialer writes.
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dialer_supervisor;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dialer_supervisor;

    -- Agents: read everything; write what placing calls and working
    -- contacts writes; never settings or agents.
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO dialer_agent;
    GRANT INSERT, UPDATE, DELETE ON contacts, lists, list_members, dnc, dnc_events, callbacks TO dialer_agent;
    GRANT INSERT, UPDATE ON calls, legs, rates, charges TO dialer_agent;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dialer_agent;
    -- Numbers: an agent's call buys on-demand numbers and its process
    -- sweeps them, but neither assigns a number (agent_id, is_primary)
    -- nor buys, cancels or releases a dedicated one.
    GRANT INSERT (kind, status, country, serves_area_code, created_at, owner_machine, owner_pid, owner_start, bought_by)
        ON numbers TO dialer_agent;
    GRANT UPDATE (phone_number, provider_sid, status, area_code, region, locality, friendly_name, monthly_price,
        monthly_currency, failure_reason, activated_at, reserved_until, last_used_at, billing_period_end,
        released_at, asked_at)
        ON numbers TO dialer_agent;

    ALTER TABLE numbers ENABLE ROW LEVEL SECURITY;
    -- Supervisors: every row (the owner, who migrates, is not held by it).
    CREATE POLICY numbers_supervisor ON numbers TO dialer_supervisor USING (true) WITH CHECK (true);
    -- Agents read every number; insert on-demand purchases only; update
    -- on-demand numbers, and a dedicated one only to record its release
    -- once a supervisor canceled it and its billing period ended (the
    -- sweeper).
    CREATE POLICY numbers_agent_read ON numbers FOR SELECT TO dialer_agent USING (true);
    CREATE POLICY numbers_agent_buy ON numbers FOR INSERT TO dialer_agent WITH CHECK (kind = 'on_demand');
    CREATE POLICY numbers_agent_update ON numbers FOR UPDATE TO dialer_agent
        USING (kind = 'on_demand' OR status = 'canceling')
        WITH CHECK (kind = 'on_demand' OR status = 'released');
END
$$;
