package store

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store/pgtest"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b IN (?, ?)", "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)"},
		{"SELECT '?', \"a?\", ? -- what?\n, ?", "SELECT '?', \"a?\", $1 -- what?\n, $2"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT json_array_elements_text(?::json)", "SELECT json_array_elements_text($1::json)"},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://ann:s3cret@db.example:5432/team", "postgres://ann@db.example:5432/team"},
		{"postgresql://db.example/team?password=s3cret&sslmode=disable", "postgresql://db.example/team?sslmode=disable"},
		{"postgres://ann@db.example/team", "postgres://ann@db.example/team"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A server that cannot be used is named, with why, and the password never
// appears in the error.
func TestPostgresOpenErrorsNameTheCauseNotThePassword(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const secret = "s3cret-Pa55"

	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	down := *u
	down.Host, down.User = closed, url.UserPassword("ann", secret)

	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), secret)
	wrongPassword.RawQuery = ""

	noDB := *u
	noDB.Path = "/no_such_database"

	for _, c := range []struct {
		name, target string
		kind         dialer.Kind
		prefix       string
	}{
		{"server down", down.String(), dialer.EUNAVAILABLE, "cannot reach the PostgreSQL server at " + closed + " (connection refused"},
		{"no such database", noDB.String(), dialer.ENOTFOUND, "the PostgreSQL server at " + u.Host + ` has no database "no_such_database"`},
		{"unreadable URL", "postgres://ann:" + secret + "@db.example:notaport/x", dialer.EINVALID, "the PostgreSQL URL "},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := Open(ctx, c.target)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if dialer.ErrorKind(err) != c.kind || !strings.HasPrefix(err.Error(), c.prefix) {
				t.Errorf("got %s: %v\nwant %s: %s...", dialer.ErrorKind(err), err, c.kind, c.prefix)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	// The throwaway server trusts local connections, so a wrong password
	// is only refused by a server that asks for one; the URL must still
	// not leak it when the connection works.
	if db, err := Open(ctx, wrongPassword.String()); err == nil {
		if strings.Contains(db.Path(), secret) {
			t.Errorf("Path shows the password: %s", db.Path())
		}
		db.Close()
	} else if strings.Contains(err.Error(), secret) {
		t.Errorf("the error shows the password: %v", err)
	}
}

// Queries PostgreSQL runs wrong where SQLite runs right: a phone prefix
// search orders and matches bytes whatever the database's collation.
func TestPostgresPhoneColumnsCompareBytes(t *testing.T) {
	db := engines[1].open(t)
	var coll string
	if err := db.db.QueryRowContext(context.Background(), `SELECT collation_name FROM information_schema.columns
		WHERE table_name = 'contacts' AND column_name = 'phone'`).Scan(&coll); err != nil {
		t.Fatal(err)
	}
	if coll != "C" {
		t.Errorf("contacts.phone collation %q, want C", coll)
	}
}
