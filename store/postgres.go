package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dialer-dev/dialer/dialer"
)

// IsURL says whether a --db target is a PostgreSQL URL rather than a file.
func IsURL(target string) bool {
	t := strings.ToLower(target)
	return strings.HasPrefix(t, "postgres://") || strings.HasPrefix(t, "postgresql://")
}

// RedactURL is a PostgreSQL URL as it may be shown: without its password
// (in the user part or as a parameter). Anything it cannot read becomes
// "the PostgreSQL URL".
func RedactURL(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "the PostgreSQL URL"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// openPostgres connects to the PostgreSQL database at target and brings its
// schema up to date.
func openPostgres(ctx context.Context, target string, o Options) (*DB, error) {
	where := RedactURL(target)
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		// pgx's error may quote the URL; the URL may hold a password.
		return nil, dialer.Errorf(dialer.EINVALID,
			"the PostgreSQL URL %s cannot be read (the form is postgres://user:password@host:5432/database)", where)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	cfg.Tracer = o.Queries.pgxTracer()
	db := sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)})
	// A few connections per process (the change feed's listener is one
	// more); a team of more than about 90 agents needs the server's
	// max_connections (default 100) raised, or a connection pooler.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &DB{db: db, engine: Postgres, path: where, pgcfg: cfg.Copy()}
	if err := s.initPostgres(ctx, cfg); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *DB) initPostgres(ctx context.Context, cfg *pgx.ConnConfig) error {
	if err := s.db.PingContext(ctx); err != nil {
		return connectErr(cfg, err)
	}
	return s.ready(ctx)
}

// connectErr names why the server at cfg could not be used.
func connectErr(cfg *pgx.ConnConfig, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	server := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return &dialer.Error{Kind: dialer.EAUTH, Message: fmt.Sprintf(
				"the PostgreSQL server at %s refused user %q: wrong password, or no such user (%s)", server, cfg.User, pe.Code)}
		case "3D000":
			return &dialer.Error{Kind: dialer.ENOTFOUND, Message: fmt.Sprintf(
				"the PostgreSQL server at %s has no database %q (create it first: createdb %s)", server, cfg.Database, cfg.Database)}
		}
		e, _ := pgErr(err)
		return e
	}
	cause := "it did not answer"
	var ne *net.OpError
	switch {
	case errors.As(err, &ne) && strings.Contains(ne.Err.Error(), "refused"):
		cause = "connection refused: is it running, and on that port?"
	case errors.As(err, &ne):
		cause = ne.Err.Error()
	}
	// Not wrapped: pgx's connect error names the user and database, and
	// nothing of the URL is needed past this sentence.
	return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: fmt.Sprintf(
		"cannot reach the PostgreSQL server at %s (%s)", server, cause)}
}

// pgSchemaVersion is the number of the last migration applied (0 on an
// empty database).
func pgSchemaVersion(ctx context.Context, q queryRower) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
		ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END`).Scan(&v)
	return v, err
}

// pgMigrate applies migration m (body) in tx unless schema_migrations says
// it is applied, and records it there. Processes starting at once take
// turns: each holds an advisory lock until its transaction ends, then
// finds the migration applied.
func pgMigrate(ctx context.Context, tx *sql.Tx, m migration, body string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('dialer:migrate'))"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	v, err := pgSchemaVersion(ctx, tx)
	if err != nil || v >= m.num {
		return err
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migration %s: %w", path.Base(m.name), err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.num, path.Base(m.name))
	return err
}

// pgErr is storeErr for PostgreSQL's errors; ok is false for others.
func pgErr(err error) (_ error, ok bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "23"): // integrity constraint violation
			return conflict(err), true
		case pe.Code == "42501":
			return &dialer.Error{Kind: dialer.EREFUSED, Message: "the database refused: this user is not allowed to do that (42501)", Err: err}, true
		case pe.Code == "57014":
			return &dialer.Error{Kind: dialer.ECANCELED, Message: "the database statement was canceled", Err: err}, true
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "57P"):
			return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: "the PostgreSQL server closed the connection (" + pe.Code + ")", Err: err}, true
		case strings.HasPrefix(pe.Code, "53"):
			return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: "the PostgreSQL server is out of resources (" + pe.Code + ": " + pe.Message + ")", Err: err}, true
		}
		return &dialer.Error{Kind: dialer.EINTERNAL, Message: "database error (PostgreSQL " + pe.Code + ")", Err: err}, true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) || errors.Is(err, driver.ErrBadConn) {
		return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: "the PostgreSQL server cannot be reached"}, true
	}
	return nil, false
}

// rebindConnector gives database/sql connections to PostgreSQL that take
// the store's ? placeholders: each statement's are rewritten to $1, $2, ...
// before pgx sees it.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is a pgx connection whose statements are rebound.
type rebindConn struct{ *stdlib.Conn }

func (c *rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// rebind rewrites each ? of query outside quotes and comments to $n, n
// counting from 1.
func rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var (
		b = make([]byte, 0, len(query)+16)
		n int
	)
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '\'', '"':
			j := i + 1
			for j < len(query) && query[j] != ch {
				j++
			}
			b = append(b, query[i:min(j+1, len(query))]...)
			i = j
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					j = len(query) - i
				}
				b = append(b, query[i:i+j]...)
				i += j - 1
				continue
			}
			b = append(b, ch)
		case '?':
			n++
			b = append(b, '$')
			b = fmt.Appendf(b, "%d", n)
		default:
			b = append(b, ch)
		}
	}
	return string(b)
}
