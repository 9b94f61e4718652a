// Package store keeps dialer's data in SQLite (modernc.org/sqlite, pure Go):
// dialer.Store on one database file shared by every process on the machine.
//
// Invariants live in the schema (unique live numbers, one pending purchase
// per area code, one primary number per agent, one charge per idempotency
// key), and every write runs in an immediate transaction, so they hold
// against racing goroutines, racing processes and buggy callers alike.
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
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dialer-dev/dialer/dialer"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is dialer.Store on SQLite.
type DB struct {
	db       *sql.DB
	path     string
	instance string
}

var _ dialer.Store = (*DB)(nil)

// Open opens (creating if needed, mode 0600) the database at path and brings
// its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, dialer.Errorf(dialer.EINVALID, "database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("database directory: %w", err)
	}
	// Create the file ourselves so that it is private from the start; SQLite
	// gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("database file: %w", err)
	}
	f.Close()

	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	s := &DB{db: db, path: abs}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	return s, nil
}

// dsn sets the pragmas on every pooled connection, not just the first.
func dsn(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + esc +
		"?_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
}

func (s *DB) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal (is the file on a network file system?)", mode)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		return fmt.Errorf("foreign keys are off (%v)", err)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	id, err := s.instanceID(ctx)
	if err != nil {
		return err
	}
	s.instance = id
	return nil
}

// Path is the database file's absolute path.
func (s *DB) Path() string { return s.path }

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// InstanceID identifies this database (random, made once).
func (s *DB) InstanceID() string { return s.instance }

// SchemaVersion is the number of the last migration applied.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate applies the embedded migrations newer than PRAGMA user_version,
// each in its own transaction. Running it again changes nothing.
func (s *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			if v >= num {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", num))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *DB) instanceID(ctx context.Context) (string, error) {
	var id string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&id)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		id = hex.EncodeToString(b)
		_, err = tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES ('instance_id', ?)", id)
		return err
	})
	return id, err
}

// tx runs fn in an immediate transaction (the DSN's _txlock), committing if
// it returns nil. Its errors, fn's included, have a kind (storeErr).
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

// storeErr gives database errors a kind: constraint violations are
// conflicts, everything else internal.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var de *dialer.Error
	if errors.As(err, &de) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return &dialer.Error{Kind: dialer.ECONFLICT, Message: "that clashes with what is recorded", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: "database error", Err: err}
}

// timeLayout is fixed-width so that times compare correctly as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, ns.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", ns.String, err)
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
