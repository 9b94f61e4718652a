package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// The inventory commands against the sandbox emulator, over HTTP through
// the real Twilio adapter, as a supervisor would use them.
func TestNumbersCommandsInSandbox(t *testing.T) {
	dir := t.TempDir()

	code, out, errOut := runCLI(t, dir, "numbers", "search", "--area-code", "415", "--limit", "3", "--json")
	if code != 0 || !strings.Contains(errOut, "SANDBOX") {
		t.Fatalf("search: exit %d\n%s\n%s", code, out, errOut)
	}
	var found []availableJSON
	if err := json.Unmarshal([]byte(out), &found); err != nil || len(found) != 3 {
		t.Fatalf("search JSON %v: %s", err, out)
	}
	for _, n := range found {
		if !strings.HasPrefix(n.PhoneNumber, "+1415") || n.Region != "CA" || n.Locality == "" {
			t.Errorf("search result %+v", n)
		}
	}

	code, out, errOut = runCLI(t, dir, "numbers", "buy", "--number", found[1].PhoneNumber, "--yes", "--json")
	if code != 0 {
		t.Fatalf("buy: exit %d %s", code, errOut)
	}
	var bought numberJSON
	json.Unmarshal([]byte(out), &bought)
	if bought.PhoneNumber != found[1].PhoneNumber || bought.Kind != "dedicated" || bought.Status != "active" {
		t.Errorf("bought %+v", bought)
	}
	if code, _, errOut := runCLI(t, dir, "numbers", "buy", "--area-code", "212", "--yes"); code != 0 {
		t.Fatalf("buy by area code: %s", errOut)
	}

	// The emulator kept what was bought: a later process sees the same
	// numbers, so reconcile finds nothing to repair.
	code, out, _ = runCLI(t, dir, "numbers", "reconcile", "--json")
	var rec map[string][]any
	if err := json.Unmarshal([]byte(out), &rec); code != 0 || err != nil || len(rec["vanished"]) != 0 || len(rec["adopted"]) != 0 {
		t.Fatalf("reconcile after buying: exit %d %v\n%s", code, err, out)
	}

	// Release asks first; "no" keeps the number.
	code, _, errOut = runCLIInput(t, dir, "no\n", "numbers", "release", bought.PhoneNumber)
	if code == 0 || !strings.Contains(errOut, "not released") {
		t.Errorf("release answered no: exit %d %s", code, errOut)
	}
	code, out, errOut = runCLIInput(t, dir, "yes\n", "numbers", "release", bought.PhoneNumber)
	if code != 0 || !strings.Contains(out, "Released") {
		t.Fatalf("release answered yes: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, dir, "numbers", "release", bought.PhoneNumber, "--yes"); code != 1 || !strings.Contains(errOut, "not in the inventory") {
		t.Errorf("releasing again: exit %d %s", code, errOut)
	}
	_, out, _ = runCLI(t, dir, "numbers", "list", "--status", "active", "--json")
	if strings.Contains(out, bought.PhoneNumber) || strings.Count(out, `"id"`) != 1 {
		t.Errorf("active numbers after release:\n%s", out)
	}

	if code, out, _ := runCLI(t, dir, "numbers", "sweep"); code != 0 || !strings.Contains(out, "Nothing to release") {
		t.Errorf("sweep: exit %d %s", code, out)
	}
}

func TestNumbersCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"numbers", "buy"}, 2, "exactly one of"},
		{[]string{"numbers", "buy", "--area-code", "415", "--number", "+14155550100"}, 2, "exactly one of"},
		{[]string{"numbers", "buy", "--area-code", "4x5", "--yes"}, 1, "three digits"},
		{[]string{"numbers", "buy", "--area-code", "907", "--yes"}, 1, "No phone number is available in area code 907 (Anchorage, AK); nothing was bought"},
		{[]string{"numbers", "buy", "--area-code", "415"}, 2, "pass --yes to buy without asking"},
		{[]string{"numbers", "search", "--area-code", "41"}, 2, "three digits"},
		{[]string{"numbers", "search", "--limit", "0"}, 2, "--limit"},
		{[]string{"numbers", "release"}, 2, "needs one number"},
		{[]string{"numbers", "release", "hello"}, 1, "not a phone number"},
	} {
		code, out, errOut := runCLI(t, dir, c.args...)
		if code != c.code || out != "" || !strings.Contains(errOut, c.says) {
			t.Errorf("dialer %v: exit %d (want %d), stdout %q, stderr %q (want %q)", c.args, code, c.code, out, errOut, c.says)
		}
	}
}

// Credentials that are set but malformed are reported, never silently
// replaced by the sandbox, and never echoed.
func TestMalformedCredentialsAreReportedNotSandboxed(t *testing.T) {
	const secret = "not-a-real-token-but-secret"
	envv := map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": t.TempDir(),
		"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": secret}
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"numbers", "list"}, strings.NewReader(""), &out, &errOut, func(k string) string { return envv[k] })
	if code != 1 || strings.Contains(errOut.String(), "SANDBOX") || !strings.Contains(errOut.String(), "TWILIO_ACCOUNT_SID") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	if strings.Contains(errOut.String(), secret) {
		t.Errorf("the auth token was echoed: %q", errOut.String())
	}
}

// Two dialer processes on one data directory share one emulator: what one
// buys the other sees, and the second does not start a rival that would
// overwrite the first's state.
func TestSandboxEmulatorIsSharedBetweenProcesses(t *testing.T) {
	dir := t.TempDir()
	e1 := &env{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: new(strings.Builder),
		getenv: func(k string) string { return map[string]string{"DIALER_DATA_DIR": dir, "HOME": dir}[k] }}
	a1, close1, err := openApp(t.Context(), e1)
	if err != nil {
		t.Fatal(err)
	}
	defer close1()
	info, err := os.ReadFile(filepath.Join(dir, "emulator.json"))
	if err != nil || !strings.Contains(string(info), "127.0.0.1") {
		t.Fatalf("emulator.json: %s %v", info, err)
	}
	// A second "process" (another command while the first runs).
	code, out, errOut := runCLI(t, dir, "numbers", "buy", "--area-code", "303", "--yes", "--json")
	if code != 0 {
		t.Fatalf("second process: %s", errOut)
	}
	var n numberJSON
	json.Unmarshal([]byte(out), &n)
	owned, err := a1.back.provider.ListNumbers(t.Context())
	if err != nil || len(owned) != 1 || owned[0].PhoneNumber != n.PhoneNumber {
		t.Errorf("first process's emulator owns %+v, %v; want the number the second bought", owned, err)
	}
}

// Reconcile says which purchases it left pending and why, instead of
// "The inventory matches the provider".
func TestReconcileReportsPurchasesLeftPending(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, dir, "numbers", "list"); code != 0 {
		t.Fatalf("numbers list: %s", errOut)
	}
	db, err := store.Open(t.Context(), filepath.Join(dir, "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	// A purchase by another running process of this machine (the one that
	// started the test).
	owner := dialer.Owner{Machine: dialer.Self().Machine, PID: os.Getppid()}
	_, err = db.ClaimNumber(t.Context(), dialer.ClaimRequest{Country: "US", AreaCode: "415",
		Now: time.Now().UTC(), MaxNumbers: 10, Owner: owner})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, dir, "numbers", "reconcile")
	want := fmt.Sprintf("1 purchase still pending: area code 415, started 0 s ago by a running dialer process (pid %d).\n", owner.PID)
	if code != 0 || out != want {
		t.Errorf("reconcile: exit %d\nstdout %q\nwant   %q\nstderr %s", code, out, want, errOut)
	}
	_, out, _ = runCLI(t, dir, "numbers", "reconcile", "--json")
	var rec struct {
		Pending []struct {
			ServesAreaCode string `json:"serves_area_code"`
			Status         string `json:"status"`
			Why            string `json:"why"`
		} `json:"pending"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || len(rec.Pending) != 1 ||
		rec.Pending[0].ServesAreaCode != "415" || !strings.Contains(rec.Pending[0].Why, fmt.Sprintf("(pid %d)", owner.PID)) {
		t.Errorf("reconcile --json: %v\n%s", err, out)
	}
}
