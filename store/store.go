// Package store is dialer.Store on two engines: SQLite (modernc.org/sqlite,
// pure Go), one database file shared by every process on a machine, the
// embedded default; and PostgreSQL (github.com/jackc/pgx/v5), one database
// a team's machines share. Open takes a file path or a postgres:// URL.
//
// One implementation serves both, as charmbracelet/soft-serve's store does:
// the queries are written once with ? placeholders (PostgreSQL's connections
// rewrite them to $1, $2, ...), in SQL both engines read alike; where they
// differ (migrations, locks, error codes, a few functions) the engine says
// which (sqlite.go, postgres.go). The tests are written once too and run on
// both engines (conformance_test.go).
//
// Invariants live in the schema (unique live numbers, one pending purchase
// per area code, one primary number per agent, one charge per idempotency
// key), and writes that read before they write are serialized (SQLite's
// immediate transactions; PostgreSQL advisory locks held to commit), so they
// hold against racing goroutines, racing processes, racing machines and
// buggy callers alike.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialer-dev/dialer/dialer"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Engine names a database engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is dialer.Store on SQLite or PostgreSQL.
type DB struct {
	db       *sql.DB
	engine   Engine
	path     string // the SQLite file, or the PostgreSQL URL without its password
	instance string

	bulkMu sync.Mutex
	bulk   *sql.Conn // SQLite: the connection of bulk writes (imports); nil until one

	pgcfg *pgx.ConnConfig // PostgreSQL: how to connect a listener (Watch)

	hot [hotCount]*sql.Stmt // the hot statements, prepared once (prepared.go)

	setMu  sync.Mutex
	setRev string          // the settings revision cached is at; "" none cached
	setVal dialer.Settings // the settings at setRev
}

var _ dialer.Store = (*DB)(nil)

// Options say how Open opens the database.
type Options struct {
	// Create makes the file (and its directory) when it does not exist.
	// Without it a missing file is an ENOTFOUND error wrapping
	// ErrNoDatabase. (A PostgreSQL database must exist; its schema is
	// always brought up to date.)
	Create bool
	// ReadOnly opens an SQLite database for reading only: no write lock is
	// ever taken, so it works in a read-only directory and while another
	// program holds the write lock. A schema older than this program's is
	// brought up to date first (that needs write access once). It changes
	// nothing on PostgreSQL.
	ReadOnly bool
	// Queries, when set, counts the statements sent to the database
	// (trace.go says what counts), for benchmarks.
	Queries *QueryCounter
}

// ErrNoDatabase is the cause of Open's error for a missing file when
// Options.Create is false.
var ErrNoDatabase = errors.New("no database file")

// Open opens the database at target (a file path, or a postgres:// URL),
// creating the file if needed (mode 0600), and brings its schema up to
// date.
func Open(ctx context.Context, target string) (*DB, error) {
	return OpenWith(ctx, target, Options{Create: true})
}

// OpenWith opens the database at target (a file path, or a postgres:// URL)
// as o says.
func OpenWith(ctx context.Context, target string, o Options) (*DB, error) {
	if IsURL(target) {
		return openPostgres(ctx, target, o)
	}
	return openSQLite(ctx, target, o)
}

// Engine says which engine holds the database.
func (s *DB) Engine() Engine { return s.engine }

// ready brings a newly opened database's schema up to date and reads (or
// makes) its instance id: the end of opening it, on either engine.
func (s *DB) ready(ctx context.Context) error {
	if err := s.migrate(ctx); err != nil {
		return err
	}
	id, err := s.instanceID(ctx)
	if err != nil {
		return err
	}
	s.instance = id
	s.prepareHot(ctx)
	return nil
}

// latestMigration is the number of the newest embedded migration of e.
func latestMigration(e Engine) int {
	ms, _ := embeddedMigrations(e)
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].num
}

// Path is where the database is: an SQLite file's absolute path, or a
// PostgreSQL URL without its password.
func (s *DB) Path() string { return s.path }

// Close closes the database.
func (s *DB) Close() error {
	s.bulkMu.Lock()
	if s.bulk != nil {
		s.bulk.Close()
		s.bulk = nil
	}
	s.bulkMu.Unlock()
	s.closeHot()
	return s.db.Close()
}

// InstanceID identifies this database (random, made once).
func (s *DB) InstanceID() string { return s.instance }

// SchemaVersion is the number of the last migration applied.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	if s.engine == Postgres {
		return pgSchemaVersion(ctx, s.db)
	}
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate applies the engine's embedded migrations newer than the schema,
// each in its own transaction. Running it again changes nothing.
func (s *DB) migrate(ctx context.Context) error {
	ms, err := embeddedMigrations(s.engine)
	if err != nil {
		return err
	}
	// Up to date: nothing to lock. (On PostgreSQL an agent's login may read
	// the schema but not change it.)
	if v, err := s.SchemaVersion(ctx); err == nil && len(ms) > 0 && v >= ms[len(ms)-1].num {
		return nil
	}
	for _, m := range ms {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if s.engine == Postgres {
				return pgMigrate(ctx, tx, m, string(body))
			}
			return sqliteMigrate(ctx, tx, m, string(body))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// migration is an embedded migration file and the number its name starts
// with.
type migration struct {
	name string
	num  int
}

// embeddedMigrations lists the embedded migrations of e in the order they
// apply.
func embeddedMigrations(e Engine) ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/"+string(e)+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		num, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", path.Base(name))
		}
		ms = append(ms, migration{name, num})
	}
	return ms, nil
}

// instanceID reads this database's id, making it first if there is none;
// processes opening a new database at once agree on the first one made.
func (s *DB) instanceID(ctx context.Context) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var id string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&id)
	if err == nil {
		return id, nil
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('instance_id', ?) ON CONFLICT (key) DO NOTHING",
			hex.EncodeToString(b)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&id)
	})
	return id, err
}

// tx runs fn in a transaction, committing if it returns nil: on SQLite an
// immediate one (the DSN's _txlock: it holds the write lock from the
// start), on PostgreSQL a read-committed one whose serialized steps take
// their own locks (lock). Its errors, fn's included, have a kind
// (storeErr).
func (s *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return storeErr(err)
	}
	return storeErr(tx.Commit())
}

// errRetry, returned by retryTx's fn, runs it again in a new transaction.
var errRetry = errors.New("retry the transaction")

// retryTx is tx for a transaction that may find, on PostgreSQL, a row it
// read changed by another before it wrote it: fn returns errRetry and runs
// again (a few times at most) in a new transaction.
func (s *DB) retryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.tx(ctx, fn)
		if !errors.Is(err, errRetry) {
			return err
		}
		if attempt == 4 {
			return &dialer.Error{Kind: dialer.ECONFLICT, Message: "the database kept changing under this step; try again", Err: err}
		}
	}
}

// lock serializes, until tx ends, the transactions that take the same key:
// on PostgreSQL a transaction-level advisory lock; on SQLite nothing, since
// every writing transaction already holds the database's one write lock.
// Transactions that take several take them in one order (area code, then
// the inventory; contacts before a contact) so that none waits in a cycle.
func (s *DB) lock(ctx context.Context, tx *sql.Tx, key string) error {
	if s.engine != Postgres {
		return nil
	}
	_, err := s.txExec(ctx, tx, hotLock, "dialer:"+key)
	return err
}

// Lock keys.
const (
	lockInventory = "inventory" // the count of live numbers against the maximum
	lockContacts  = "contacts"  // contact ids and revisions, given in commit order
)

// storeErr gives database errors a kind: constraint violations are
// conflicts, everything else internal, with a sentence that names the
// cause.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var de *dialer.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e, ok := sqliteErr(err); ok {
		return e
	}
	if e, ok := pgErr(err); ok {
		return e
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: "database error", Err: err}
}

// jsonValues is a subquery of the strings in one bound JSON array
// (jsonStrings): one parameter for a list of any length.
func (s *DB) jsonValues() string {
	if s.engine == Postgres {
		return "SELECT json_array_elements_text(?::json)"
	}
	return "SELECT value FROM json_each(?)"
}

// advanceIDs moves table's id sequence past the ids written into it
// explicitly (an import's, a copy's), on PostgreSQL; SQLite's next id is
// always past the highest.
func (s *DB) advanceIDs(ctx context.Context, tx *sql.Tx, table string) error {
	if s.engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence(?, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM "+table+"), false)", table)
	return err
}

// conflict is the error of a write a constraint refused.
func conflict(err error) error {
	return &dialer.Error{Kind: dialer.ECONFLICT, Message: "that clashes with what is recorded", Err: err}
}

// timeLayout is fixed-width so that times compare correctly as text (on
// SQLite; PostgreSQL reads it into timestamptz).
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored time: SQLite's text in timeLayout, or a
// PostgreSQL timestamptz, which database/sql hands over as RFC 3339.
func parseTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, ns.String)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(time.RFC3339Nano, ns.String); err2 != nil {
			return time.Time{}, fmt.Errorf("stored time %q: %w", ns.String, err)
		}
	}
	return t.UTC(), nil
}

// filter builds the WHERE, ORDER BY and LIMIT of a list query from the
// conditions that apply.
type filter struct {
	where []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.where = append(f.where, cond)
	f.args = append(f.args, args...)
}

// tail is the query's end: " WHERE ... ORDER BY order [LIMIT n]".
func (f *filter) tail(order string, limit int) (string, []any) {
	q := ""
	if len(f.where) > 0 {
		q = " WHERE " + strings.Join(f.where, " AND ")
	}
	q += " ORDER BY " + order
	args := f.args
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	return q, args
}

// updateOne runs an UPDATE that must change exactly the row it names, in
// its own transaction; notFound is the error when no row matched.
func (s *DB) updateOne(ctx context.Context, notFound error, q string, args ...any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return notFound
		}
		return nil
	})
}
