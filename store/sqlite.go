package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dialer-dev/dialer/dialer"
)

// openSQLite opens the SQLite database file at path as o says.
func openSQLite(ctx context.Context, path string, o Options) (*DB, error) {
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
		return openReadOnly(ctx, abs, o.Queries)
	}
	return openReadWrite(ctx, abs, o.Queries)
}

func openReadWrite(ctx context.Context, abs string, q *QueryCounter) (*DB, error) {
	// Processes opening a new file at once race to switch it to WAL, and
	// SQLite answers the losers SQLITE_BUSY at once, without its busy
	// wait: they try again, for as long as the busy timeout.
	deadline := time.Now().Add(10 * time.Second)
	for attempt := 1; ; attempt++ {
		db, err := openSQLiteDB(dsn(abs, ""), q)
		if err != nil {
			return nil, openErr(abs, err)
		}
		s := &DB{db: db, engine: SQLite, path: abs}
		err = s.initSQLite(ctx)
		if err == nil {
			return s, nil
		}
		db.Close()
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return nil, openErr(abs, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(min(attempt, 10)) * 10 * time.Millisecond):
		}
	}
}

// openReadOnly opens abs for reading. In a directory it cannot write,
// SQLite cannot make the WAL index (the -shm file); then the file is read
// as immutable (nothing can be writing to it there either), unless a
// writer left changes in the -wal file that immutable would not see.
func openReadOnly(ctx context.Context, abs string, q *QueryCounter) (*DB, error) {
	params := "&mode=ro"
	s, err := openRO(ctx, abs, params, q)
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_READONLY || se.Code()&0xff == sqlite3.SQLITE_CANTOPEN) {
		if werr := unmergedWAL(abs); werr != nil {
			return nil, werr
		}
		params = "&mode=ro&immutable=1"
		s, err = openRO(ctx, abs, params, q)
	}
	if errors.Is(err, errOldSchema) {
		// Bring the schema up to date once, then read.
		rw, rwErr := openReadWrite(ctx, abs, nil)
		if rwErr != nil {
			return nil, rwErr
		}
		rw.Close()
		s, err = openRO(ctx, abs, params, q)
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

func openRO(ctx context.Context, abs, params string, q *QueryCounter) (*DB, error) {
	db, err := openSQLiteDB(dsn(abs, params), q)
	if err != nil {
		return nil, err
	}
	s := &DB{db: db, engine: SQLite, path: abs}
	v, err := s.SchemaVersion(ctx)
	if err == nil && v < latestMigration(SQLite) {
		err = errOldSchema
	}
	if err == nil {
		err = db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&s.instance)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	s.prepareHot(ctx)
	return s, nil
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
	// busy_timeout first: the pragmas run in order, and switching a new
	// file to WAL takes a lock that processes opening it at once wait for.
	return "file:" + esc +
		"?_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
}

func (s *DB) initSQLite(ctx context.Context) error {
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
	return s.ready(ctx)
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

// sqliteMigrate applies migration m (body) in tx unless PRAGMA user_version
// says it is applied, and records it there.
func sqliteMigrate(ctx context.Context, tx *sql.Tx, m migration, body string) error {
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v >= m.num {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migration %s: %w", filepath.Base(m.name), err)
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.num))
	return err
}

// sqliteErr is storeErr for SQLite's errors; ok is false for others.
func sqliteErr(err error) (_ error, ok bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil, false
	}
	if se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return conflict(err), true
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: sqliteSentence(se.Code()), Err: err}, true
}
