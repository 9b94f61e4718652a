package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// nasty sets the terminal's title, clears the screen, turns the rest red
// and reverses it, if it reaches a terminal as it is.
const nasty = "\x1b]0;pwned\x07Ann\x1b[2J\x1b[31m\u202eX"

// checkInert fails when out holds anything a terminal would obey: ESC, BEL,
// another C0 control but a line break or a tab, a C1 control or a bidi control.
func checkInert(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c {
			t.Errorf("%s writes %U:\n%q", what, r, out)
			return
		}
	}
}

// A contact, an agent and a disposition holding escape sequences and a
// bidi override are shown inert by every command that prints them, stored
// as given, and exported without control characters.
func TestCommandsShowStoredTextInert(t *testing.T) {
	c := newCallEnv(t)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(c.envv["DIALER_DATA_DIR"], "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	who, err := db.CreateContact(ctx, dialer.Contact{Name: nasty, Phone: "+12125550143", Company: "\x1b[5mBlink", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	tollFree, err := db.CreateContact(ctx, dialer.Contact{Name: nasty, Phone: "+18005550100", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut := c.run("", "agent", "set", "--name", "Fox"+nasty, "--phone", "+12025550199")
	checkInert(t, "agent set", out+errOut)
	if code != 0 || !strings.Contains(out, "Agent FoxAnnX (supervisor), phone +12025550199") {
		t.Fatalf("agent set: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c.run("", "agent", "show")
	checkInert(t, "agent show", out+errOut)
	if code != 0 || out != "FoxAnnX\t+12025550199\tsupervisor\n" {
		t.Errorf("agent show: %d %q %q", code, out, errOut)
	}

	// The call's event lines name the contact.
	code, out, errOut = c.run("", "call", "--contact", fmt.Sprint(who.ID), "--confirm", "auto", "--hangup-after", "300ms", "--override-hours", "any hour")
	checkInert(t, "call --contact", out+errOut)
	if code != 0 || !strings.Contains(out, "Dialing AnnX…") || !strings.Contains(out, "Call ended: answered") {
		t.Fatalf("call: %d\n%s\n%s", code, out, errOut)
	}
	// --json events carry the name as stored, escaped.
	code, out, errOut = c.run("", "call", "--contact", fmt.Sprint(who.ID), "--confirm", "auto", "--hangup-after", "200ms", "--override-hours", "any hour", "--json")
	checkInert(t, "call --contact --json", out+errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last eventJSON
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); code != 0 || err != nil || last.Call == nil || last.Call.Contact.Name != nasty {
		t.Errorf("call --json: %d %v %+v", code, err, last.Call)
	}
	// An error that quotes the name.
	code, out, errOut = c.run("", "call", "--contact", fmt.Sprint(tollFree.ID), "--confirm", "auto")
	checkInert(t, "a refused call", out+errOut)
	if code == 0 || !strings.Contains(errOut, "contact AnnX: +18005550100 is a toll-free number") {
		t.Errorf("refused call: %d %q %q", code, out, errOut)
	}

	db, err = store.Open(ctx, filepath.Join(c.envv["DIALER_DATA_DIR"], "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := db.Calls(ctx, dialer.CallFilter{})
	if err != nil || len(calls) != 2 {
		t.Fatalf("calls %v %v", calls, err)
	}
	id := calls[1].ID // the first, newest first
	if err := db.SetDisposition(ctx, id, "=cmd|' /C calc'!A0\x1b[31m"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errOut = c.run("", "calls", "list")
	checkInert(t, "calls list", out+errOut)
	if code != 0 || !strings.Contains(out, "AnnX") || !strings.Contains(out, "=cmd|' /C calc'!A0") || !strings.Contains(out, "DISPOSITION") {
		t.Errorf("calls list: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = c.run("", "calls", "show", fmt.Sprint(id))
	checkInert(t, "calls show", out+errOut)
	if code != 0 || !strings.Contains(out, "Call 1 to AnnX (+12125550143)") || !strings.Contains(out, "Agent FoxAnnX") ||
		!strings.Contains(out, "Disposition: =cmd|' /C calc'!A0\n") {
		t.Errorf("calls show: %d\n%s%s", code, out, errOut)
	}
	// --json keeps the data as stored (JSON escapes the controls) and
	// adds the disposition.
	code, out, _ = c.run("", "calls", "show", fmt.Sprint(id), "--json")
	var j callJSON
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil || j.Contact.Name != nasty ||
		j.Disposition != "=cmd|' /C calc'!A0\x1b[31m" || j.Outcome != "answered" {
		t.Errorf("calls show --json: %d %v %+v", code, err, j)
	}
	checkInert(t, "calls show --json", out)
	code, out, _ = c.run("", "calls", "list", "--json")
	var js []callJSON
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil || len(js) != 2 || js[1].Disposition != j.Disposition || js[0].Disposition != "" {
		t.Errorf("calls list --json: %d %v %+v", code, err, js)
	}

	code, out, _ = c.run("", "calls", "export", "--format", "csv")
	checkInert(t, "calls export", strings.ReplaceAll(out, "\r", ""))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 3 {
		t.Fatalf("export: %d %v\n%s", code, err, out)
	}
	cell := map[string]string{}
	for i, h := range rows[0] {
		cell[h] = rows[2][i] // oldest last
	}
	if cell["contact_name"] != "AnnX" || cell["agent_name"] != "FoxAnnX" || cell["disposition"] != "'=cmd|' /C calc'!A0" || cell["outcome"] != "answered" {
		t.Errorf("export row %v", cell)
	}
}

// Wide names (CJK, an emoji ZWJ sequence) keep calls list's columns where
// they are: each row's OUTCOME starts at the same cell.
func TestCallsListAlignsWideNames(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 17, 4, 5, 0, time.UTC)
	for i, name := range []string{"Walter Skinner", "山田太郎", "👩‍👩‍👧 Núñez", nasty} {
		who, err := db.CreateContact(ctx, dialer.Contact{Name: name, Phone: fmt.Sprintf("+1212555014%d", i), CreatedAt: at, UpdatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		call, err := db.StartCall(ctx, dialer.Call{ContactID: who.ID, AgentName: "Fox", AgentPhone: "+12025550199", CallerID: "+12125550100",
			Confirm: dialer.ConfirmAuto, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishCall(ctx, call.ID, dialer.OutcomeAgentNoAnswer, "", at); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, errOut := runCLI(t, dir, "calls", "list")
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	checkInert(t, "calls list", out)
	col := -1
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		i := strings.Index(line, "OUTCOME")
		if i < 0 {
			i = strings.Index(line, "agent didn't answer")
		}
		if i < 0 {
			t.Fatalf("no outcome in %q:\n%s", line, out)
		}
		if col == -1 {
			col = ansi.StringWidth(line[:i])
		}
		if w := ansi.StringWidth(line[:i]); w != col {
			t.Errorf("OUTCOME at cell %d, not %d:\n%s", w, col, out)
		}
	}
}

// CSV cells lose their control characters first, so that one cannot hide
// a formula from the guard behind an escape sequence.
func TestCSVCells(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Walter", "Walter"},
		{"=1+1", "'=1+1"},
		{"\x1b[0m=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"\x07@SUM(A1)", "'@SUM(A1)"},
		{nasty, "AnnX"},
		{"two\r\nlines\x1b]0;t\x07", "two\nlines"},
	} {
		if got := csvSafe(c.in); got != c.want {
			t.Errorf("csvSafe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
