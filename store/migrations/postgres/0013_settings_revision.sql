-- The settings' revision (as 0013 on SQLite): a counter in meta that every
-- change to the settings table bumps, whoever makes it. A store keeps the
-- settings in memory and re-reads them only when the revision it reads
-- differs from the one it read them at.
INSERT INTO meta (key, value) VALUES ('settings_revision', '1') ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION dialer_settings_revision() RETURNS trigger AS $$
BEGIN
    UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'settings_revision';
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER settings_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION dialer_settings_revision();
