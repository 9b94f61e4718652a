-- The settings' revision: a counter in meta that every change to the
-- settings table bumps (a trigger, so that any writer counts: this
-- program, an older one, the sqlite3 shell). A store keeps the settings in
-- memory and re-reads them only when the revision it reads differs from
-- the one it read them at: one small statement per decision instead of
-- reading and parsing every setting.
INSERT INTO meta (key, value) VALUES ('settings_revision', '1') ON CONFLICT (key) DO NOTHING;

CREATE TRIGGER settings_revision_insert AFTER INSERT ON settings BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'settings_revision';
END;
CREATE TRIGGER settings_revision_update AFTER UPDATE ON settings BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'settings_revision';
END;
CREATE TRIGGER settings_revision_delete AFTER DELETE ON settings BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'settings_revision';
END;
