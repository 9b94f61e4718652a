-- The change feed: every commit that changes what the team's screens show
-- notifies channel dialer_changes, delivered at COMMIT (never for a
-- rollback). The payload names the table and, for the tables written a
-- row at a time, the row: "numbers:12". Tables written in bulk (an
-- import's 20,000 contacts) notify once a statement, with the table's
-- name alone. A listener re-reads what it shows; one that lost its
-- connection re-reads everything, since notifications are not replayed.
CREATE FUNCTION dialer_notify_row() RETURNS trigger AS $$
DECLARE
    r jsonb := to_jsonb(coalesce(NEW, OLD));
BEGIN
    PERFORM pg_notify('dialer_changes', TG_TABLE_NAME || ':' || coalesce(r->>'id', r->>'call_id', r->>'name', ''));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION dialer_notify_statement() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('dialer_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER numbers_changed AFTER INSERT OR UPDATE OR DELETE ON numbers FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER calls_changed AFTER INSERT OR UPDATE OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER legs_changed AFTER INSERT OR UPDATE OR DELETE ON legs FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER agents_changed AFTER INSERT OR UPDATE OR DELETE ON agents FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER charges_changed AFTER INSERT OR UPDATE OR DELETE ON charges FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER leases_changed AFTER INSERT OR DELETE ON leases FOR EACH ROW EXECUTE FUNCTION dialer_notify_row();
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE ON settings FOR EACH STATEMENT EXECUTE FUNCTION dialer_notify_statement();
CREATE TRIGGER contacts_changed AFTER INSERT OR UPDATE OR DELETE ON contacts FOR EACH STATEMENT EXECUTE FUNCTION dialer_notify_statement();
CREATE TRIGGER callbacks_changed AFTER INSERT OR UPDATE OR DELETE ON callbacks FOR EACH STATEMENT EXECUTE FUNCTION dialer_notify_statement();
CREATE TRIGGER dnc_changed AFTER INSERT OR UPDATE OR DELETE ON dnc FOR EACH STATEMENT EXECUTE FUNCTION dialer_notify_statement();
