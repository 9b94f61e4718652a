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
	"sync"
	"syscall"
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

	bulkMu sync.Mutex
	bulk   *sql.Conn // the connection of bulk writes (imports); nil until one
}

var _ dialer.Store = (*DB)(nil)

// Options say how Open opens the database.
type Options struct {
	// Create makes the file (and its directory) when it does not exist.
	// Without it a missing file is an ENOTFOUND error wrapping
	// ErrNoDatabase.
	Create bool
	// ReadOnly opens the database for reading only: no write lock is ever
	// taken, so it works in a read-only directory and while another
	// program holds the write lock. A schema older than this program's is
	// brought up to date first (that needs write access once).
	ReadOnly bool
}

// ErrNoDatabase is the cause of Open's error for a missing file when
// Options.Create is false.
var ErrNoDatabase = errors.New("no database file")

// Open opens (creating if needed, mode 0600) the database at path and brings
// its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{Create: true})
}

// OpenWith opens the database at path as o says.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	if path == "" {
		return nil, dialer.Errorf(dialer.EINVALID, "database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && fi.IsDir():
		return nil, dialer.Errorf(dialer.EINVALID, "%s is a directory, not a database", abs)
	case errors.Is(err, os.ErrNotExist) && !o.Create:
		return nil, &dialer.Error{Kind: dialer.ENOTFOUND, Message: "no database at " + abs, Err: ErrNoDatabase}
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return nil, fileErr("cannot make the database directory", err)
		}
		// Create the file ourselves so that it is private from the start;
		// SQLite gives its -wal and -shm files the same mode.
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fileErr("cannot create the database file", err)
		}
		f.Close()
		o.ReadOnly = false // a new file needs its schema written
	case err != nil:
		return nil, fileErr("cannot open the database file", err)
	}
	if o.ReadOnly {
		return openReadOnly(ctx, abs)
	}
	return openReadWrite(ctx, abs)
}

func openReadWrite(ctx context.Context, abs string) (*DB, error) {
	db, err := sql.Open("sqlite", dsn(abs, ""))
	if err != nil {
		return nil, openErr(abs, err)
	}
	s := &DB{db: db, path: abs}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, openErr(abs, err)
	}
	return s, nil
}

// openReadOnly opens abs for reading. In a directory it cannot write,
// SQLite cannot make the WAL index (the -shm file); then the file is read
// as immutable (nothing can be writing to it there either), unless a
// writer left changes in the -wal file that immutable would not see.
func openReadOnly(ctx context.Context, abs string) (*DB, error) {
	params := "&mode=ro"
	s, err := openRO(ctx, abs, params)
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_READONLY || se.Code()&0xff == sqlite3.SQLITE_CANTOPEN) {
		if werr := unmergedWAL(abs); werr != nil {
			return nil, werr
		}
		params = "&mode=ro&immutable=1"
		s, err = openRO(ctx, abs, params)
	}
	if errors.Is(err, errOldSchema) {
		// Bring the schema up to date once, then read.
		rw, rwErr := openReadWrite(ctx, abs)
		if rwErr != nil {
			return nil, rwErr
		}
		rw.Close()
		s, err = openRO(ctx, abs, params)
	}
	if err != nil {
		return nil, openErr(abs, err)
	}
	return s, nil
}

var errOldSchema = errors.New("schema older than this program")

// unmergedWAL returns an error if abs has a non-empty -wal file: changes
// (of a writer that ended without merging them) that a read as immutable
// would silently leave out.
func unmergedWAL(abs string) error {
	wal := abs + "-wal"
	fi, err := os.Stat(wal)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fileErr("cannot check the database's changes not yet merged", err)
	case fi.Size() == 0:
		return nil
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: fmt.Sprintf(
		"%s has changes not yet merged (%s) and its directory is read-only: open it once where it can be written", abs, wal)}
}

func openRO(ctx context.Context, abs, params string) (*DB, error) {
	db, err := sql.Open("sqlite", dsn(abs, params))
	if err != nil {
		return nil, err
	}
	s := &DB{db: db, path: abs}
	v, err := s.SchemaVersion(ctx)
	if err == nil && v < latestMigration() {
		err = errOldSchema
	}
	if err == nil {
		err = db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&s.instance)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// latestMigration is the number of the newest embedded migration.
func latestMigration() int {
	ms, _ := embeddedMigrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].num
}

// fileErr is an error about the database file from the operating system,
// as a sentence that names the cause.
func fileErr(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &dialer.Error{Kind: dialer.EINTERNAL, Message: fmt.Sprintf("%s %s: %s", what, pe.Path, osCause(pe.Err)), Err: err}
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: what, Err: err}
}

func osCause(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full"
	case errors.Is(err, syscall.EROFS):
		return "the file system is read-only"
	case errors.Is(err, syscall.ENOTDIR):
		return "a part of the path is a file, not a directory"
	}
	return err.Error()
}

// openErr names what went wrong opening the database at abs.
func openErr(abs string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return &dialer.Error{Kind: dialer.EINTERNAL, Message: abs + " is not a database (SQLITE_NOTADB)", Err: err}
		case sqlite3.SQLITE_CANTOPEN:
			return &dialer.Error{Kind: dialer.EINTERNAL, Message: "cannot open the database file " + abs + " (SQLITE_CANTOPEN)", Err: err}
		}
	}
	err = storeErr(err)
	var de *dialer.Error
	if errors.As(err, &de) && de.Message != "" {
		return err
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: "cannot open the database " + abs, Err: err}
}

// dsn sets the pragmas on every pooled connection, not just the first.
// A read-only one (params sets mode=ro) does not set the journal mode,
// which would need a write.
func dsn(path, params string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	if params != "" {
		return "file:" + esc + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" + params
	}
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
		return dialer.Errorf(dialer.EINTERNAL, "the database's journal mode is %q, not WAL (is the file on a network file system?)", mode)
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
func (s *DB) Close() error {
	s.bulkMu.Lock()
	if s.bulk != nil {
		s.bulk.Close()
		s.bulk = nil
	}
	s.bulkMu.Unlock()
	return s.db.Close()
}

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
	ms, err := embeddedMigrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		base, num := filepath.Base(m.name), m.num
		body, err := migrations.ReadFile(m.name)
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

// migration is an embedded migration file and the number its name starts
// with.
type migration struct {
	name string
	num  int
}

// embeddedMigrations lists the embedded migrations in the order they apply.
func embeddedMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		num, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", filepath.Base(name))
		}
		ms = append(ms, migration{name, num})
	}
	return ms, nil
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
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return &dialer.Error{Kind: dialer.ECONFLICT, Message: "that clashes with what is recorded", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	msg := "database error"
	if se != nil {
		msg = sqliteSentence(se.Code())
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: msg, Err: err}
}

// sqliteSentence says what an SQLite result code means for the user.
func sqliteSentence(code int) string {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY:
		return "the database file is locked by another program (SQLITE_BUSY)"
	case sqlite3.SQLITE_LOCKED:
		return "the database is locked by another connection (SQLITE_LOCKED)"
	case sqlite3.SQLITE_READONLY:
		return "the database cannot be written: its file or directory is read-only (SQLITE_READONLY)"
	case sqlite3.SQLITE_FULL:
		return "the disk holding the database is full (SQLITE_FULL)"
	case sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return "permission to the database file was denied (SQLITE_PERM)"
	case sqlite3.SQLITE_CANTOPEN:
		return "the database file cannot be opened (SQLITE_CANTOPEN)"
	case sqlite3.SQLITE_NOTADB:
		return "the file is not a database (SQLITE_NOTADB)"
	case sqlite3.SQLITE_CORRUPT:
		return "the database file is damaged (SQLITE_CORRUPT)"
	case sqlite3.SQLITE_IOERR:
		return "the disk could not be read or written (SQLITE_IOERR)"
	}
	if s, ok := sqlite.ErrorCodeString[code]; ok {
		return "database error: " + s
	}
	return fmt.Sprintf("database error (SQLite code %d)", code)
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
