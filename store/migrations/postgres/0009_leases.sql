-- Leases (as 0009 on SQLite).
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    label      text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL
);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dialer_agent') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON leases TO dialer_agent;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dialer_supervisor') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON leases TO dialer_supervisor;
    END IF;
END
$$;
