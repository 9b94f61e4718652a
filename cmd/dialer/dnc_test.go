package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Additions and removals are kept as events: who (the agent profile's
// name), when and why.
func TestDNCAddRmKeepsHistory(t *testing.T) { forEngines(t, testDNCAddRmKeepsHistory) }

func testDNCAddRmKeepsHistory(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.ok("contacts", "add", "--name", "Ann", "--phone", "+12125550143")
	before := time.Now().UTC().Add(-time.Second)

	// Without an agent profile, the system user is recorded.
	if out := c.ok("dnc", "add", "(212) 555-0143", "+1 415-555-0100", "212.555.0143", "--reason", "asked by email"); out != "2 numbers added to the do-not-call list.\n" {
		t.Errorf("dnc add: %q", out)
	}
	c.ok("agent", "set", "--name", "Sam Agent", "--phone", "+14155550111")
	if out := c.ok("dnc", "add", "+12125550143", "+13035550100"); out != "1 number added to the do-not-call list (1 number was already on it).\n" {
		t.Errorf("dnc add again: %q", out)
	}
	var list []dncJSON
	c.json(&list, "dnc", "list", "--json")
	phones := func(l []dncJSON) (out []string) {
		for _, d := range l {
			out = append(out, d.Phone)
		}
		slices.Sort(out)
		return out
	}
	if got := phones(list); !slices.Equal(got, []string{"+12125550143", "+13035550100", "+14155550100"}) {
		t.Errorf("dnc list: %v", got)
	}
	var shown contactShowJSON
	c.json(&shown, "contacts", "show", "1", "--json")
	if !shown.DoNotCall || shown.DoNotCallEntry == nil || shown.DoNotCallEntry.AddedBy != "osuser" || shown.DoNotCallEntry.Reason != "asked by email" {
		t.Errorf("contact on the list: %+v", shown.contactRecord)
	}

	c.fails(2, "dnc rm needs --reason: why may this number be called again?", "dnc", "rm", "+12125550143")
	c.fails(1, "+12125550199 is not on the do-not-call list", "dnc", "rm", "212-555-0199", "--reason", "x")
	if out := c.ok("dnc", "rm", "(212) 555-0143", "--reason", "opted in again by phone"); out != "+12125550143 is off the do-not-call list.\n" {
		t.Errorf("dnc rm: %q", out)
	}
	c.ok("dnc", "add", "+12125550143", "--reason", "asked again")
	after := time.Now().UTC().Add(time.Second)

	var evs []dncEventJSON
	c.json(&evs, "dnc", "list", "--history", "--json")
	var ann []string
	for _, ev := range evs {
		if ev.At.Before(before) || ev.At.After(after) || ev.At.Location() != time.UTC {
			t.Errorf("event at %v, not between %v and %v in UTC", ev.At, before, after)
		}
		if ev.Phone == "+12125550143" {
			ann = append(ann, fmt.Sprintf("%s by %s: %s", ev.Action, ev.By, ev.Reason))
		}
	}
	want := []string{"added by osuser: asked by email", "removed by Sam Agent: opted in again by phone", "added by Sam Agent: asked again"}
	if len(evs) != 5 || !slices.Equal(ann, want) {
		t.Errorf("history: %d events; +12125550143's:\n%q\nwant\n%q", len(evs), ann, want)
	}
	out := c.ok("dnc", "list", "--history")
	if !strings.Contains(out, "removed  Sam Agent  opted in again by phone") {
		t.Errorf("dnc list --history:\n%s", out)
	}
	if out := c.ok("dnc", "list", "--limit", "1"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "+12125550143") {
		t.Errorf("dnc list --limit 1 (newest first):\n%s", out)
	}
}

func TestDNCBadInput(t *testing.T) {
	c := newDayCLI(t)
	for _, tc := range []struct {
		code int
		msg  string
		args []string
	}{
		{2, `dnc add needs a phone number, e.g. dialer dnc add +12125550143 --reason "asked not to be called"`, []string{"dnc", "add"}},
		{1, `"555-01" is not a valid phone number`, []string{"dnc", "add", "+12125550143", "555-01"}},
		{2, "dnc rm takes one phone number", []string{"dnc", "rm", "--reason", "x"}},
		{2, "dnc list takes no arguments", []string{"dnc", "list", "all"}},
		{2, "dnc list --history shows every event; --limit is for the list of numbers", []string{"dnc", "list", "--history", "--limit", "3"}},
		{2, "--limit -1: want 0 (all) or more", []string{"dnc", "list", "--limit", "-1"}},
		{2, "dnc import takes one file (- for stdin)", []string{"dnc", "import"}},
		{1, "cannot read " + filepath.Join(c.dir, "none.txt") + ": no such file or directory", []string{"dnc", "import", filepath.Join(c.dir, "none.txt")}},
	} {
		c.fails(tc.code, tc.msg, tc.args...)
	}
	// A bad number among good ones adds none of them.
	if out := c.ok("dnc", "list"); out != "The do-not-call list is empty.\n" {
		t.Errorf("dnc list: %q", out)
	}
}

// A file as people have them: a header, dashes, parentheses, +1, dots,
// a registry download's "area code,number", CRLF line ends, a byte-order
// mark, blank lines, comments, repeats and lines that are no number.
func TestDNCImportMessyFile(t *testing.T) { forEngines(t, testDNCImportMessyFile) }

func testDNCImportMessyFile(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.ok("dnc", "add", "+12125550101", "--reason", "earlier")
	file := filepath.Join(t.TempDir(), "registry.txt")
	lines := []string{
		"\ufeffPhone Number",    // 1: header
		"(212) 555-0101",        // 2: already listed
		"",                      // 3
		"212-555-0102",          // 4
		"+1 (212) 555-0103",     // 5
		"  212.555.0104  ",      // 6
		"212,5550105",           // 7
		"# opted out in person", // 8
		"1-212-555-0106",        // 9
		"call me maybe",         // 10: bad
		"2125550102",            // 11: repeated
		"+44 20 7946 0958",      // 12: any valid number
		"555-0199",              // 13: bad (no area code)
		"\t\"2125550107\"",      // 14
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.run("dnc", "import", file, "--reason", "national registry")
	if code != 0 {
		t.Fatalf("dnc import: exit %d\n%s\n%s", code, out, errOut)
	}
	if want := "7 numbers added to the do-not-call list, 1 already on it, 1 repeated in the file, 2 lines rejected.\n"; out != want {
		t.Errorf("dnc import said\n%q\nwant\n%q", out, want)
	}
	for _, want := range []string{"line 10: \"call me maybe\" is not a phone number\n", "line 13: \"555-0199\" is not a phone number\n"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	var list []dncJSON
	c.json(&list, "dnc", "list", "--json")
	var got []string
	for _, d := range list {
		got = append(got, d.Phone+" "+d.Reason)
	}
	slices.Sort(got)
	want := []string{"+12125550101 earlier", "+12125550102 national registry", "+12125550103 national registry", "+12125550104 national registry",
		"+12125550105 national registry", "+12125550106 national registry", "+12125550107 national registry", "+442079460958 national registry"}
	if !slices.Equal(got, want) {
		t.Errorf("after import:\n%q\nwant\n%q", got, want)
	}

	// - reads stdin; an empty input is refused.
	code, out, _ = c.runInput("212 555 0108\n", "dnc", "import", "-")
	if code != 0 || !strings.HasPrefix(out, "1 number added") {
		t.Errorf("dnc import -: exit %d %q", code, out)
	}
	code, _, errOut = c.runInput("", "dnc", "import", "-")
	if code != 1 || errorLine(errOut) != "dialer: the file is empty: no numbers to add" {
		t.Errorf("empty stdin: exit %d %q", code, errOut)
	}
	code, _, errOut = c.runInput("2125550109\n\x00\x01binary", "dnc", "import", "-")
	if code != 1 || errorLine(errOut) != "dialer: line 2 holds binary data: this is not a text list of phone numbers" {
		t.Errorf("binary input: exit %d %q", code, errOut)
	}
}

// importDNC adds in batches of dncBatch; a cancel stops between batches
// and says how many lines were committed.
func TestImportDNCBatches(t *testing.T) {
	var b strings.Builder
	for i := range dncBatch + 5 {
		fmt.Fprintf(&b, "+1212%07d\n", 5550000+i%10000+(i/10000)*10000) // every one a new number
	}
	var sizes []int
	add := func(p []string) (int, error) { sizes = append(sizes, len(p)); return len(p), nil }
	res, err := importDNC(context.Background(), strings.NewReader(b.String()), add, func(int, error) {})
	if err != nil || !slices.Equal(sizes, []int{dncBatch, 5}) || res.added != dncBatch+5 || res.committedLines != dncBatch+5 {
		t.Errorf("batches %v, %+v, %v", sizes, res, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	sizes = nil
	res, err = importDNC(ctx, strings.NewReader(b.String()), func(p []string) (int, error) {
		cancel() // stopped while the first batch is written
		return add(p)
	}, func(int, error) {})
	if err == nil || !slices.Equal(sizes, []int{dncBatch}) || res.committedLines != dncBatch {
		t.Errorf("canceled: batches %v, %+v, %v", sizes, res, err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled", err)
	}
}
