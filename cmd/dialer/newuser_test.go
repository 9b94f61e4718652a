package main

// Command-line defects a new user ran into (issue 9): each test runs the
// commands in-process as the user typed them.

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

const anyHour = "test runs at any hour"

// dbCounts opens the call env's database and counts what was written.
func (c *callEnv) dbCounts() (contacts, calls, numbers int) {
	c.t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(c.envv["DIALER_DATA_DIR"], "dialer.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	contacts, err = db.CountContacts(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	cs, err := db.Calls(ctx, dialer.CallFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	ns, err := db.Numbers(ctx, dialer.NumberFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	return contacts, len(cs), len(ns)
}

func (c *callEnv) setAgent(phone string) {
	c.t.Helper()
	if code, _, errOut := c.run("", "agent", "set", "--name", "Ann", "--phone", phone); code != 0 {
		c.t.Fatalf("agent set: %s", errOut)
	}
}

// A call the guards refuse writes nothing: no nameless contact is left
// behind for a toll-free, premium or foreign number.
func TestRefusedCallWritesNoContact(t *testing.T) {
	c := newCallEnv(t)
	c.setAgent("+12025550199")
	for to, why := range map[string]string{
		"+1 800 555 0199":  "toll-free",
		"+1 900 555 0100":  "non-geographic",
		"+44 20 7946 0958": "US and Canadian numbers only",
	} {
		code, _, errOut := c.run("", "call", "--to", to, "--confirm", "auto", "--override-hours", anyHour)
		if code != 1 || !strings.Contains(errOut, why) {
			t.Errorf("call --to %s: exit %d, stderr %q; want 1 and %q", to, code, errOut, why)
		}
	}
	if contacts, calls, numbers := c.dbCounts(); contacts != 0 || calls != 0 || numbers != 0 {
		t.Errorf("refused calls left %d contacts, %d calls, %d numbers; want none", contacts, calls, numbers)
	}
}

// Terminal confirmation with no terminal on stdin (a script, a pipe)
// cannot be confirmed: it is refused before the agent's phone rings.
func TestTerminalConfirmWithoutATerminalIsRefusedBeforeRinging(t *testing.T) {
	c := newCallEnv(t)
	c.setAgent("+12025550199")
	code, out, errOut := c.runStdin(strings.NewReader(""), "call", "--to", "+12125550143", "--hangup-after", "300ms", "--override-hours", anyHour)
	if code != 2 || !strings.Contains(errOut, "--confirm auto") || strings.Contains(out, "Ringing") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and advice to use --confirm auto", code, out, errOut)
	}
	if contacts, calls, numbers := c.dbCounts(); contacts != 0 || calls != 0 || numbers != 0 {
		t.Errorf("the refused call left %d contacts, %d calls, %d numbers; want none", contacts, calls, numbers)
	}
}

// Calling one's own phone would ring it twice over a bought number: it is
// refused before anything is bought.
func TestCallingTheAgentsOwnPhoneIsRefused(t *testing.T) {
	c := newCallEnv(t)
	c.setAgent("+12025550199")
	code, out, errOut := c.run("", "call", "--to", "(202) 555-0199", "--confirm", "auto", "--hangup-after", "300ms", "--override-hours", anyHour)
	if code != 1 || !strings.Contains(errOut, "+12025550199 is your own phone") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and a refusal naming the agent's phone", code, out, errOut)
	}
	if _, calls, numbers := c.dbCounts(); calls != 0 || numbers != 0 {
		t.Errorf("calling one's own phone recorded %d calls and %d numbers; want none", calls, numbers)
	}
}

// A malformed --to is a mistake in the command line: exit 2.
func TestMalformedToIsAUsageError(t *testing.T) {
	c := newCallEnv(t)
	c.setAgent("+12025550199")
	for _, to := range []string{"call me maybe", "+1 415 555", "12345"} {
		code, _, errOut := c.run("", "call", "--to", to, "--confirm", "auto")
		if code != 2 || !strings.HasPrefix(errOut, "dialer: --to: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("call --to %q: exit %d, stderr %q; want 2 and one line about --to", to, code, errOut)
		}
	}
}

// A mistyped --db is an error, not a new empty database; --create makes
// one on purpose. The default database is still made on first use.
func TestMistypedDBIsNotCreated(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(t.TempDir(), "no", "such", "x.db")
	code, out, errOut := runCLI(t, dir, "--db", missing, "calls", "list")
	want := "dialer: no database at " + missing + " (use --create to make one)\n"
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, want)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("the mistyped path's directory was made (%v)", err)
	}
	code, out, errOut = runCLI(t, dir, "--db", missing, "--create", "calls", "list")
	if code != 0 || !strings.Contains(out, "No calls yet") {
		t.Errorf("--create: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(missing); err != nil {
		t.Errorf("--create made no database: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := runCLI(t, fresh, "calls", "list"); code != 0 {
		t.Errorf("default database: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(fresh, "dialer.db")); err != nil {
		t.Errorf("the default database was not made: %v", err)
	}
}

// A log file that cannot be written is no reason to refuse to work: the
// command runs without one and says so once.
func TestUnwritableLogIsNotFatal(t *testing.T) {
	dir := t.TempDir()
	seed(t, filepath.Join(dir, "dialer.db"))
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	envv := map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": dir, "DIALER_LOG_DIR": filepath.Join(blocker, "logs")}
	for _, args := range [][]string{{"calls", "list"}, {"numbers", "list"}, {"charges", "list"}} {
		code, out, errOut := runWithEnv(t, envv, "", args...)
		if code != 0 || strings.Count(errOut, "logging is off") != 1 {
			t.Errorf("dialer %v with an unwritable log: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// Commands that only read open the database read-only: they work while
// another program holds the write lock (a read-write open would wait for
// it, then fail).
func TestReadingCommandsWorkWhileAnotherProgramWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dialer.db")
	seed(t, path)
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	for args, want := range map[string]string{
		"numbers list": "+14155550100", "charges list": "1.00 USD", "calls list": "No calls yet",
		"calls export --format csv": "total_price",
	} {
		code, out, errOut := runCLI(t, dir, strings.Fields(args)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("dialer %s while another program writes: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// In a data directory this user cannot write (no log, no WAL index), the
// reading commands still read.
func TestReadOnlyDataDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories; run as another user")
	}
	dir := t.TempDir()
	seed(t, filepath.Join(dir, "dialer.db"))
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	for args, want := range map[string]string{"numbers list": "+14155550100", "charges list": "1.00 USD", "calls list": "No calls yet"} {
		code, out, errOut := runCLI(t, dir, strings.Fields(args)...)
		if code != 0 || !strings.Contains(out, want) || strings.Count(errOut, "logging is off") != 1 {
			t.Errorf("dialer %s in a read-only directory: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// An internal error's first line names its cause, not "Something went
// wrong.".
func TestInternalErrorsNameTheirCause(t *testing.T) {
	dir := t.TempDir()
	notADB := filepath.Join(t.TempDir(), "notes.db")
	os.WriteFile(notADB, []byte(strings.Repeat("these are notes, not a database\n", 40)), 0o600)
	aDir := t.TempDir()
	for _, c := range []struct {
		args  []string
		first string
	}{
		{[]string{"--db", aDir, "calls", "list"}, aDir + " is a directory, not a database"},
		{[]string{"--db", notADB, "calls", "list"}, notADB + " is not a database (SQLITE_NOTADB)"},
		{[]string{"--db", notADB, "numbers", "sweep"}, notADB + " is not a database (SQLITE_NOTADB)"},
	} {
		code, _, errOut := runCLI(t, dir, c.args...)
		first, _, _ := strings.Cut(errOut, "\n")
		if code != 1 || first != "dialer: "+c.first {
			t.Errorf("dialer %v: exit %d, stderr %q; want first line %q", c.args, code, errOut, "dialer: "+c.first)
		}
	}

	// An error that carries no sentence of its own is shown as it is.
	c := newCallEnv(t)
	os.MkdirAll(filepath.Join(c.envv["XDG_CONFIG_HOME"], "dialer"), 0o700)
	os.WriteFile(filepath.Join(c.envv["XDG_CONFIG_HOME"], "dialer", "agent.json"), []byte("{not json"), 0o600)
	code, _, errOut := c.run("", "call", "--to", "+12125550143", "--confirm", "auto")
	if first, _, _ := strings.Cut(errOut, "\n"); code != 1 || !strings.HasPrefix(first, "dialer: agent profile ") || strings.Contains(errOut, "Something went wrong") {
		t.Errorf("a damaged agent profile: exit %d, stderr %q; want its cause on the first line", code, errOut)
	}
}
