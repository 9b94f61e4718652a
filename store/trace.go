package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"modernc.org/sqlite"
)

// QueryCounter counts the statements a store sends to its database, for
// benchmarks and diagnostics: set Options.Queries to one before OpenWith,
// read it with Load. One counter may serve several stores; it is safe for
// concurrent use.
//
// On PostgreSQL it counts what pgx sends to the server (a pgx QueryTracer
// and PrepareTracer): every query, BEGIN and COMMIT included, and every
// statement preparation that reaches the server. Each is one network round
// trip. Not counted: connecting, the liveness ping the driver sends before
// reusing a connection idle for more than a second, and the closing of
// statements evicted from pgx's statement cache.
//
// On SQLite it counts the statements the driver is asked to run, at the
// database/sql driver interface: every Exec and Query, of a connection or a
// prepared statement, and every BEGIN, COMMIT and ROLLBACK. Preparing runs
// nothing and is not counted; nothing crosses a network.
type QueryCounter struct{ n atomic.Int64 }

// Load is the number of statements counted so far.
func (c *QueryCounter) Load() int64 { return c.n.Load() }

func (c *QueryCounter) add() { c.n.Add(1) }

// pgxTracer is the tracer that counts into c for pgx.ConnConfig.Tracer;
// nil when c is nil.
func (c *QueryCounter) pgxTracer() pgx.QueryTracer {
	if c == nil {
		return nil
	}
	return pgCounter{c}
}

// pgCounter counts pgx's queries and preparations.
type pgCounter struct{ c *QueryCounter }

func (p pgCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	p.c.add()
	return ctx
}

func (pgCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (pgCounter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	return ctx
}

func (p pgCounter) TracePrepareEnd(_ context.Context, _ *pgx.Conn, d pgx.TracePrepareEndData) {
	if !d.AlreadyPrepared { // else pgx answered from its own map
		p.c.add()
	}
}

// openSQLiteDB is sql.Open("sqlite", dsn), counting statements into c
// when c is not nil.
func openSQLiteDB(dsn string, c *QueryCounter) (*sql.DB, error) {
	if c == nil {
		return sql.Open("sqlite", dsn)
	}
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(countingConnector{base, c}), nil
}

// sqliteConn is what database/sql uses of an SQLite driver connection;
// countingConn passes all of it on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is what database/sql uses of an SQLite prepared statement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type countingConnector struct {
	driver.Connector
	c *QueryCounter
}

func (cc countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := cc.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("counting statements: the SQLite driver's connection (%T) lacks a method database/sql uses", conn)
	}
	return &countingConn{sc, cc.c}, nil
}

// countingConn is an SQLite connection that counts the statements it runs.
type countingConn struct {
	sqliteConn
	c *QueryCounter
}

func (k *countingConn) Begin() (driver.Tx, error) {
	return k.BeginTx(context.Background(), driver.TxOptions{})
}

func (k *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	k.c.add()
	tx, err := k.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx, k.c}, nil
}

func (k *countingConn) Prepare(query string) (driver.Stmt, error) {
	return k.PrepareContext(context.Background(), query)
}

func (k *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := k.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	ss, ok := st.(sqliteStmt)
	if !ok {
		st.Close()
		return nil, fmt.Errorf("counting statements: the SQLite driver's statement (%T) lacks a method database/sql uses", st)
	}
	return countingStmt{ss, k.c}, nil
}

func (k *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := k.sqliteConn.ExecContext(ctx, query, args)
	k.count(err)
	return r, err
}

func (k *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := k.sqliteConn.QueryContext(ctx, query, args)
	k.count(err)
	return r, err
}

// count counts a statement unless the driver declined it (ErrSkip:
// database/sql then prepares and runs it, and the statement counts).
func (k *countingConn) count(err error) {
	if !errors.Is(err, driver.ErrSkip) {
		k.c.add()
	}
}

type countingTx struct {
	driver.Tx
	c *QueryCounter
}

func (t countingTx) Commit() error   { t.c.add(); return t.Tx.Commit() }
func (t countingTx) Rollback() error { t.c.add(); return t.Tx.Rollback() }

type countingStmt struct {
	sqliteStmt
	c *QueryCounter
}

func (s countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.c.add()
	return s.sqliteStmt.Exec(args)
}

func (s countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.c.add()
	return s.sqliteStmt.Query(args)
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.add()
	return s.sqliteStmt.ExecContext(ctx, args)
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.add()
	return s.sqliteStmt.QueryContext(ctx, args)
}
