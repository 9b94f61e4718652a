package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// runCLI runs dialer with args in an environment whose data directory is
// dataDir, returning exit status, stdout and stderr.
func runCLI(t *testing.T, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	return runCLIInput(t, dataDir, "", args...)
}

// runCLIInput is runCLI with input typed on stdin.
func runCLIInput(t *testing.T, dataDir, input string, args ...string) (int, string, string) {
	t.Helper()
	return runWithEnv(t, map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": dataDir}, input, args...)
}

// runWithEnv runs dialer with the environment envv and input typed on
// stdin.
func runWithEnv(t *testing.T, envv map[string]string, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(input), &out, &errOut, func(k string) string { return envv[k] })
	return code, out.String(), errOut.String()
}

func TestHelpForEveryCommand(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--help"}, {"help"},
		{"numbers", "--help"}, {"numbers", "list", "--help"},
		{"charges", "--help"}, {"charges", "list", "-h"},
		{"dirs", "--help"}, {"version", "--help"},
		{"contacts", "--help"}, {"contacts", "edit", "--help"}, {"dnc"}, {"dnc", "import", "--help"},
		{"callbacks", "help"}, {"callbacks", "add", "--help"}, {"stats", "--help"},
	} {
		code, out, errOut := runCLI(t, dir, args...)
		if code != 0 || !strings.Contains(out, "USAGE") || errOut != "" {
			t.Errorf("dialer %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	_, out, _ := runCLI(t, dir, "numbers", "list", "--help")
	for _, flag := range []string{"--json", "--status", "--db"} {
		if !strings.Contains(out, flag) {
			t.Errorf("numbers list --help does not mention %s:\n%s", flag, out)
		}
	}
	// The top level names the global flags and says what a bare dialer does.
	_, out, _ = runCLI(t, dir, "--help")
	for _, want := range []string{"--db", "--create", "--sandbox", "--twilio-base-url", "no command to open the terminal UI", "numbers", "completion"} {
		if !strings.Contains(out, want) {
			t.Errorf("dialer --help does not mention %q:\n%s", want, out)
		}
	}
}

func TestBadUsageGoesToStderrWithStatus2(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"nonsense"}, {"numbers", "sell"}, {"numbers", "list", "--bogus"},
		{"numbers", "list", "--status", "lost"}, {"charges", "list", "extra"},
		{"completion", "bash", "extra"}, {"numbers", "list", "--status"},
	} {
		code, out, errOut := runCLI(t, dir, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "dialer: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("dialer %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestDirsFollowsOverrides(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, dir, "dirs", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	var p paths
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Data != dir || p.DB != filepath.Join(dir, "dialer.db") || p.Log != filepath.Join(dir, "dialer.log") {
		t.Errorf("paths %+v with DIALER_DATA_DIR=%s", p, dir)
	}
	other := filepath.Join(t.TempDir(), "x.db")
	_, out, _ = runCLI(t, dir, "--db", other, "dirs", "--json")
	json.Unmarshal([]byte(out), &p)
	if p.DB != other {
		t.Errorf("--db %s gave db %s", other, p.DB)
	}

	// A team database: DIALER_DATABASE_URL unless --db says otherwise;
	// shown without its password.
	const team = "postgres://ann:s3cret@db.example:5432/team"
	envv := map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": dir, "DIALER_DATABASE_URL": team}
	for _, args := range [][]string{{"dirs"}, {"dirs", "--json"}, {"--db", team, "dirs"}} {
		delete(envv, "DIALER_DATABASE_URL")
		if args[0] != "--db" {
			envv["DIALER_DATABASE_URL"] = team
		}
		code, out, errOut := runWithEnv(t, envv, "", args...)
		if code != 0 || !strings.Contains(out, "postgres://ann@db.example:5432/team") || strings.Contains(out+errOut, "s3cret") {
			t.Errorf("dialer %v with a team URL: %d\n%s%s", args, code, out, errOut)
		}
	}
	_, out, _ = runWithEnv(t, envv, "", "--db", other, "dirs", "--json")
	if json.Unmarshal([]byte(out), &p); p.DB != other {
		t.Errorf("--db %s beside DIALER_DATABASE_URL gave db %s", other, p.DB)
	}
	envv["DIALER_DATABASE_URL"] = "/tmp/x.db"
	if code, _, errOut := runWithEnv(t, envv, "", "dirs"); code != 1 || !strings.HasPrefix(errOut, "dialer: DIALER_DATABASE_URL must be a postgres:// URL") {
		t.Errorf("DIALER_DATABASE_URL a file: %d %q", code, errOut)
	}

	envv = map[string]string{"HOME": "/home/ann", "XDG_DATA_HOME": "/xdg/data"}
	e := &env{getenv: func(k string) string { return envv[k] }}
	p, err := resolvePaths(e)
	if err != nil || p.Data != "/xdg/data/dialer" || p.Config != "/home/ann/.config/dialer" || p.Log != "/home/ann/.local/state/dialer/dialer.log" {
		t.Errorf("XDG paths %+v, %v", p, err)
	}
	e = &env{getenv: func(string) string { return "" }}
	if _, err := resolvePaths(e); err == nil || !strings.Contains(err.Error(), "DIALER_DATA_DIR") {
		t.Errorf("no HOME: %v, want advice naming DIALER_DATA_DIR", err)
	}
}

// seed records one active number with its fee, one failed purchase, and one
// released number, straight through the store.
func seed(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 11, 2, 17, 4, 5, 0, time.UTC)
	cl, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 5})
	if err != nil {
		t.Fatal(err)
	}
	fee := dialer.MustMoney("1.00", "USD")
	if _, _, err := db.ActivateNumber(ctx, cl.Number.ID, dialer.Activation{SID: "PN1", PhoneNumber: "+14155550100", AreaCode: "415",
		Region: "CA", At: t0, ReservedUntil: t0.Add(14 * 24 * time.Hour), Fee: &fee, FeeKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	cl, _ = db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "212", Now: t0, MaxNumbers: 5})
	if err := db.FailNumber(ctx, cl.Number.ID, "An address is required"); err != nil {
		t.Fatal(err)
	}
}

func TestNumbersAndChargesListJSON(t *testing.T) {
	dir := t.TempDir()
	seed(t, filepath.Join(dir, "dialer.db"))

	code, out, errOut := runCLI(t, dir, "numbers", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ns []map[string]any
	if err := json.Unmarshal([]byte(out), &ns); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(ns) != 2 {
		t.Fatalf("%d numbers, want 2:\n%s", len(ns), out)
	}
	active := ns[1]
	for k, want := range map[string]any{
		"phone_number": "+14155550100", "status": "active", "kind": "on_demand", "area_code": "415",
		"reserved_until": "2026-11-16T17:04:05Z", "last_used_at": "2026-11-02T17:04:05Z",
	} {
		if active[k] != want {
			t.Errorf("%s = %v, want %v", k, active[k], want)
		}
	}
	if failed := ns[0]; failed["status"] != "failed" || failed["reserved_until"] != nil || failed["failure_reason"] != "An address is required" {
		t.Errorf("failed purchase %v", failed)
	}

	code, out, _ = runCLI(t, dir, "numbers", "list", "--status", "failed", "--json")
	if code != 0 || strings.Count(out, `"id"`) != 1 {
		t.Errorf("--status failed: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, dir, "charges", "list", "--json")
	var cs []map[string]any
	if err := json.Unmarshal([]byte(out), &cs); err != nil || code != 0 || len(cs) != 1 {
		t.Fatalf("charges: %v exit %d\n%s", err, code, out)
	}
	for k, want := range map[string]any{"amount": "1.00", "currency": "USD", "phone_number": "+14155550100", "created_at": "2026-11-02T17:04:05Z"} {
		if cs[0][k] != want {
			t.Errorf("charge %s = %v, want %v", k, cs[0][k], want)
		}
	}
}

func TestListsForPeople(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, dir, "numbers", "list")
	if code != 0 || !strings.Contains(out, "No numbers yet") {
		t.Errorf("empty inventory: %d %q", code, out)
	}
	seed(t, filepath.Join(dir, "dialer.db"))
	_, out, _ = runCLI(t, dir, "numbers", "list")
	if !strings.Contains(out, "+14155550100") || !strings.Contains(out, "on-demand") ||
		!strings.Contains(out, "(not bought)") || strings.Contains(out, "(buying)") {
		t.Errorf("numbers list:\n%s", out)
	}
	_, out, _ = runCLI(t, dir, "charges", "list")
	if !strings.Contains(out, "reservation fee") || !strings.Contains(out, "Total") || !strings.Contains(out, "1.00 USD") {
		t.Errorf("charges list:\n%s", out)
	}
}

func TestDatabaseErrorsAreClear(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, []byte("x"), 0o600)
	code, out, errOut := runCLI(t, dir, "--db", filepath.Join(blocker, "d.db"), "numbers", "list")
	if code != 1 || out != "" || !strings.Contains(errOut, "database") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// With no subcommand dialer opens its UI, which needs a terminal: piped, it
// says so instead of drawing escape codes into a file.
func TestNoSubcommandWithoutATerminal(t *testing.T) {
	code, out, errOut := runCLI(t, t.TempDir())
	if code != 2 || out != "" || !strings.Contains(errOut, "terminal") || !strings.Contains(errOut, "--help") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// The commands that open the database read-only are the ones that only
// read it: a new command that writes must not slip into the list, and one
// that reads should be added here on purpose.
func TestReadOnlyCommands(t *testing.T) {
	var got []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Annotations[readOnlyAnnotation] == "true" {
			got = append(got, c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd(&env{}))
	slices.Sort(got)
	want := []string{"dialer agents list", "dialer callbacks list", "dialer calls export", "dialer calls list", "dialer calls show", "dialer charges list",
		"dialer contacts export", "dialer contacts list", "dialer contacts show", "dialer dnc list", "dialer numbers list",
		"dialer numbers show", "dialer settings get", "dialer settings list", "dialer stats"}
	if !slices.Equal(got, want) {
		t.Errorf("read-only commands %q, want %q", got, want)
	}
}
