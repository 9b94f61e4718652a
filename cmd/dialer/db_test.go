package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// soloFile is a solo install's database with three contacts, one number on
// the do-not-call list and saved settings.
func soloFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dialer.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)
	for _, c := range []dialer.Contact{{Name: "Ann", Phone: "+12125550143"}, {Name: "Bob", Phone: "+12125550144"}, {Name: "Cy", Phone: "+12125550145"}} {
		c.CreatedAt, c.UpdatedAt = at, at
		if _, err := db.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.AddDNC(ctx, []string{"+12125550144"}, "asked", "Sam", at); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSettings(ctx, dialer.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	return path
}

// withPassword is a PostgreSQL URL with a password put in: the throwaway
// server trusts local connections, so it still connects, and no output
// may show it.
func withPassword(t *testing.T, u, password string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.User = url.UserPassword(p.User.Username(), password)
	return p.String()
}

const dbSecret = "s3cret-Pa55"

// dbCopy runs dialer db copy with args, failing t if any output shows the
// password.
func dbCopy(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := runWithEnv(t, map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": t.TempDir()}, "",
		append([]string{"db", "copy"}, args...)...)
	if strings.Contains(out+errOut, dbSecret) {
		t.Errorf("db copy %v shows the password:\n%s%s", args, out, errOut)
	}
	return code, out, errOut
}

func TestDBCopyIntoTeamDatabase(t *testing.T) {
	from := soloFile(t)
	team := pgtest.URL(t)
	to := withPassword(t, team, dbSecret)
	shown := store.RedactURL(to)

	code, out, errOut := dbCopy(t, "--from", from, "--to", to)
	if code != 0 || errOut != "" {
		t.Fatalf("db copy: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"Copied " + from + " into " + shown + ".\n",
		"The destination was empty and took this install's identity (instance ",
		"\ninstance id    1 copied   0 already there\n",
		"\ncontacts       3 copied   0 already there\n",
		"\ndnc            1 copied   0 already there\n",
		"\ndnc events     1 copied   0 already there\n",
		fmt.Sprintf("\nsettings      %d copied   0 already there\n", len(dialer.SettingFields)),
		"\ncalls          0 copied   0 already there\n",
		fmt.Sprintf("\ntotal         %d copied   0 already there\n", 6+len(dialer.SettingFields)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first copy's output lacks %q:\n%s", want, out)
		}
	}
	// The team database answers as the solo install did.
	code, out, _ = runWithEnv(t, map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": t.TempDir(), "DIALER_DATABASE_URL": team},
		"", "contacts", "list", "--json")
	var listed []contactRecord
	if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || len(listed) != 3 || listed[1].Name != "Bob" || !listed[1].DoNotCall {
		t.Errorf("contacts list on the team database: exit %d, %v\n%s", code, err, out)
	}

	// Again: nothing copied, everything already there.
	code, out, errOut = dbCopy(t, "--from", from, "--to", to)
	if code != 0 || errOut != "" {
		t.Fatalf("second db copy: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"The destination was already a copy of this install (instance ",
		"\ninstance id    0 copied   1 already there\n",
		"\ncontacts       0 copied   3 already there\n",
		fmt.Sprintf("\ntotal          0 copied  %d already there\n", 6+len(dialer.SettingFields)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("second copy's output lacks %q:\n%s", want, out)
		}
	}

	// --json, for scripts.
	code, out, _ = dbCopy(t, "--from", from, "--to", to, "--json")
	var j dbCopyJSON
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil {
		t.Fatalf("db copy --json: exit %d, %v\n%s", code, err, out)
	}
	if j.From != from || j.To != shown || j.Adopted || len(j.InstanceID) != 12 || j.Copied != 0 || j.AlreadyThere != 6+len(dialer.SettingFields) || j.Differ != 0 ||
		len(j.Tables) != 14 || j.Tables[4].Table != "contacts" || j.Tables[4].AlreadyThere != 3 {
		t.Errorf("db copy --json: %+v", j)
	}
}

// A team database holding another installation's data is refused: the
// first line says so, and that nothing was written.
func TestDBCopyRefusesAnotherInstallation(t *testing.T) {
	from := soloFile(t)
	team := pgtest.URL(t)
	code, _, errOut := runWithEnv(t, map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": t.TempDir(), "DIALER_DATABASE_URL": team},
		"", "contacts", "add", "--name", "Someone Else", "--phone", "+13125550100")
	if code != 0 {
		t.Fatalf("contacts add on the team database: %d %s", code, errOut)
	}
	to := withPassword(t, team, dbSecret)
	code, out, errOut := dbCopy(t, "--from", from, "--to", to)
	want := "dialer: " + store.RedactURL(to) + " holds another installation's data (contacts: 1): nothing was written."
	if code != 1 || out != "" || !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("db copy into another installation's database: exit %d\nstdout %q\nstderr %q\nwant %s...", code, out, errOut, want)
	}
}

func TestDBCopyBadInput(t *testing.T) {
	from := soloFile(t)
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("not a database, just some text that is long enough to be read as a file header\n"), 0o600)
	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	downURL := "postgres://ann:" + dbSecret + "@" + down + "/team"

	for _, c := range []struct {
		name  string
		args  []string
		code  int
		first string
	}{
		{"no flags", nil, 2, "dialer: db copy needs --from (the solo install's database file) and --to (the team's postgres:// URL)"},
		{"no --to", []string{"--from", from}, 2, "dialer: db copy needs --from"},
		{"no --from", []string{"--to", downURL}, 2, "dialer: db copy needs --from"},
		{"an argument", []string{"--from", from, "--to", downURL, "extra"}, 2, "dialer: db copy takes no arguments"},
		{"missing --from", []string{"--from", filepath.Join(dir, "nope.db"), "--to", downURL}, 1,
			"dialer: --from: no database at " + filepath.Join(dir, "nope.db") + " (a solo install's database is dialer.db in its data directory: see dialer dirs)"},
		{"--from a directory", []string{"--from", dir, "--to", downURL}, 1, "dialer: --from: " + dir + " is a directory, not a database"},
		{"--from not a database", []string{"--from", notDB, "--to", downURL}, 1, "dialer: --from: " + notDB + " is not a database (SQLITE_NOTADB)"},
		{"server down", []string{"--from", from, "--to", downURL}, 1,
			"dialer: --to: cannot reach the PostgreSQL server at " + down + " (connection refused: is it running, and on that port?)"},
		{"--from server down", []string{"--from", downURL, "--to", filepath.Join(dir, "out.db")}, 1,
			"dialer: --from: cannot reach the PostgreSQL server at " + down},
		{"unreadable URL", []string{"--from", from, "--to", "postgres://ann:" + dbSecret + "@db.example:notaport/x"}, 1,
			"dialer: --to: the PostgreSQL URL "},
		{"the same database", []string{"--from", from, "--to", from}, 1,
			"dialer: the source and the destination are the same database (" + from + ")"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := dbCopy(t, c.args...)
			first, _, _ := strings.Cut(errOut, "\n")
			if code != c.code || out != "" || !strings.HasPrefix(first, c.first) {
				t.Errorf("db copy %v: exit %d\nstdout %q\nstderr %q\nwant exit %d, first line %q...", c.args, code, out, errOut, c.code, c.first)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out.db")); err == nil {
		t.Error("a copy whose --from could not be opened created its --to file")
	}
}

func TestDBCopyHelp(t *testing.T) {
	code, out, _ := runCLI(t, t.TempDir(), "db", "copy", "--help")
	for _, want := range []string{"--from", "--to", "--json", "only the rows it lacks", "nothing written"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("db copy --help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}

// On a terminal a status line on stderr says how far the copy got, and is
// cleared before the summary; elsewhere nothing is drawn.
func TestDBCopyStatusLineOnATerminal(t *testing.T) {
	from := soloFile(t)
	var out bytes.Buffer
	var tty ttyBuffer
	envv := map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": t.TempDir()}
	getenv := func(k string) string { return envv[k] }
	code := run(context.Background(), []string{"db", "copy", "--from", from, "--to", filepath.Join(t.TempDir(), "team.db")},
		strings.NewReader(""), &out, &tty, getenv)
	if code != 0 || !strings.Contains(out.String(), "\ncontacts       3 copied   0 already there\n") {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), tty.String())
	}
	if got := tty.String(); !strings.HasPrefix(got, "\rcopying contacts: 3 rows\x1b[K") || !strings.HasSuffix(got, "\r\x1b[K") || strings.Contains(got, "\n") {
		t.Errorf("status line %q, want the first table with rows drawn in place, then cleared", got)
	}
	_, _, errOut := dbCopy(t, "--from", from, "--to", filepath.Join(t.TempDir(), "team.db"))
	if errOut != "" {
		t.Errorf("drawn when stderr is not a terminal: %q", errOut)
	}
}
