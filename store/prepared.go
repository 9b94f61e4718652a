package store

import (
	"context"
	"database/sql"

	"github.com/dialer-dev/dialer/dialer"
)

// The hot statements: those a caller-ID decision (and a call's record, a
// sweep) runs every time, prepared once per DB handle when it opens.
//
// SQLite compiles a statement's text into a program each time it is run
// as text; for the decision that compiling cost more than running the
// statements. A *sql.Stmt keeps the compiled program per connection
// (database/sql prepares it again on a connection that has not seen it,
// once), and tx.StmtContext runs it inside a transaction. On PostgreSQL
// the preparing goes through the same rebinding connection as every other
// statement (rebindConn.PrepareContext: ? becomes $n), and a prepared
// statement is a named server-side statement, as pgx's own statement cache
// would have made.
//
// The texts are constants, the same ones the code ran before; a hot
// statement that could not be prepared (never expected) runs as text.
type hotStmt int

const (
	hotLock hotStmt = iota
	hotClaimPrimary
	hotClaimArea
	hotClaimAreaTouch
	hotClaimServing
	hotClaimTouch
	hotClaimPending
	hotLiveCount
	hotClaimInsert
	hotUsage
	hotSettingsRevision
	hotSettings
	hotNumber
	hotDNC
	hotLeaseTake
	hotLeaseRead
	hotLeaseRelease
	hotCount // the number of hot statements
)

var hotQueries = [hotCount]string{
	hotLock: "SELECT pg_advisory_xact_lock(hashtext(?))",
	// The agent's primary number in the area code. A canceled one keeps
	// working until its billing period ends.
	hotClaimPrimary: "SELECT " + numberCols + ` FROM numbers
				WHERE agent_id = ? AND is_primary = 1 AND country = ? AND area_code = ?
				AND (status = 'active' OR (status = 'canceling' AND billing_period_end > ?))`,
	hotClaimArea: "SELECT " + numberCols + ` FROM numbers
				WHERE country = ? AND area_code = ? AND status = 'active' AND kind = 'on_demand' AND agent_id IS NULL
				ORDER BY reserved_until DESC, id LIMIT 1`,
	// hotClaimArea's number, its reservation extended to the later of its
	// end and the one given (times compare as text on SQLite: one
	// fixed-width layout), in one statement. Only while active: on
	// PostgreSQL a sweep may have moved it since the subquery read it.
	hotClaimAreaTouch: `UPDATE numbers SET last_used_at = ?,
				reserved_until = CASE WHEN reserved_until > ? THEN reserved_until ELSE ? END
				WHERE id = (SELECT id FROM numbers
					WHERE country = ? AND area_code = ? AND status = 'active' AND kind = 'on_demand' AND agent_id IS NULL
					ORDER BY reserved_until DESC, id LIMIT 1)
				AND status = 'active'
				RETURNING ` + numberCols,
	hotClaimServing: "SELECT " + numberCols + ` FROM numbers
				WHERE country = ? AND serves_area_code = ? AND status = 'active' AND kind = 'on_demand' AND agent_id IS NULL
				ORDER BY reserved_until DESC, id LIMIT 1`,
	hotClaimTouch: "UPDATE numbers SET last_used_at = ?, reserved_until = ? WHERE id = ? AND status = ?",
	hotClaimPending: "SELECT " + numberCols + ` FROM numbers
		WHERE country = ? AND serves_area_code = ? AND status = 'pending' AND kind = 'on_demand'`,
	hotLiveCount: "SELECT count(*) FROM numbers WHERE status IN (" + placeholders(len(dialer.LiveStatuses)) + ")",
	hotClaimInsert: `INSERT INTO numbers (kind, status, country, serves_area_code, created_at,
		owner_machine, owner_pid, owner_start, bought_by)
		VALUES ('on_demand', 'pending', ?, ?, ?, ?, ?, ?, ?) RETURNING ` + numberCols,
	hotUsage:            usageQuery,
	hotSettingsRevision: "SELECT value FROM meta WHERE key = 'settings_revision'",
	// The revision and the settings in one statement: one snapshot on
	// either engine. The revision's row has the empty key.
	hotSettings: "SELECT '', value FROM meta WHERE key = 'settings_revision' UNION ALL SELECT key, value FROM settings",
	hotNumber:   "SELECT " + numberCols + " FROM numbers WHERE id = ?",
	// A call's guards and its hold on its contact.
	hotDNC: "SELECT phone, reason, added_by, added_at FROM dnc WHERE phone = ?",
	hotLeaseTake: `INSERT INTO leases (name, holder, label, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, label = excluded.label, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
	hotLeaseRead:    "SELECT name, holder, label, expires_at FROM leases WHERE name = ?",
	hotLeaseRelease: "DELETE FROM leases WHERE name = ? AND holder = ?",
}

// prepareHot prepares the hot statements on s's pool. A statement the
// engine does not have (the advisory lock on SQLite) is left out; one that
// fails to prepare runs as text.
func (s *DB) prepareHot(ctx context.Context) {
	for h := range hotCount {
		if h == hotLock && s.engine != Postgres {
			continue
		}
		if st, err := s.db.PrepareContext(ctx, hotQueries[h]); err == nil {
			s.hot[h] = st
		}
	}
}

// closeHot closes the prepared hot statements.
func (s *DB) closeHot() {
	for h, st := range s.hot {
		if st != nil {
			st.Close()
			s.hot[h] = nil
		}
	}
}

// txQueryRow runs hot statement h in tx.
func (s *DB) txQueryRow(ctx context.Context, tx *sql.Tx, h hotStmt, args ...any) *sql.Row {
	if st := s.hot[h]; st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, hotQueries[h], args...)
}

// txExec runs hot statement h in tx.
func (s *DB) txExec(ctx context.Context, tx *sql.Tx, h hotStmt, args ...any) (sql.Result, error) {
	if st := s.hot[h]; st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, hotQueries[h], args...)
}

// queryRow runs hot statement h outside a transaction.
func (s *DB) queryRow(ctx context.Context, h hotStmt, args ...any) *sql.Row {
	if st := s.hot[h]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, hotQueries[h], args...)
}

// query runs hot statement h outside a transaction.
func (s *DB) query(ctx context.Context, h hotStmt, args ...any) (*sql.Rows, error) {
	if st := s.hot[h]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, hotQueries[h], args...)
}
