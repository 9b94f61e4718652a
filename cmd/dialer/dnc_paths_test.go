package main

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A number put on the do-not-call list before its contact existed is
// refused on every path that can place a call: `dialer call --to` and
// `--contact`, a headless session, and the UI's Call key. The contact came
// in through `contacts import`, which imports it (the list is of numbers,
// not contacts) and shows it as do-not-call. Nothing reaches the provider
// for that number.
func TestDoNotCallOnEveryPath(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds the binary and runs it in a pseudo-terminal; skipped with -short")
	}
	forEngines(t, testDoNotCallOnEveryPath)
}

func testDoNotCallOnEveryPath(t *testing.T, eng cmdEngine) {
	w := newSessionWorldOn(t, eng, 0)
	phones := phonesIn(t, "212", "0143", 2)
	listed, clear := phones[0], phones[1]
	const reason = "asked by letter"
	if code, out, errOut := w.c.run("", "dnc", "add", listed, "--reason", reason); code != 0 {
		t.Fatalf("dnc add: %d %s %s", code, out, errOut)
	}
	zone := zoneAt(12) // midday where they are: calling hours never refuse first
	csv := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(csv, []byte("Name,Phone,Company,Time Zone\n"+
		"Ann Listed,"+listed+",Opted Out Inc,"+zone+"\n"+
		"Bob Clear,"+clear+",Open Door LLC,"+zone+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := w.c.run("", "contacts", "import", csv, "--list", "Today"); code != 0 || !strings.Contains(out, "2 imported") {
		t.Fatalf("contacts import: %d %q %q", code, out, errOut)
	}
	code, out, errOut := w.c.run("", "contacts", "show", listed)
	if code != 0 || !strings.Contains(out, reason) {
		t.Fatalf("contacts show of the listed contact does not say do-not-call (%s): %d\n%s%s", reason, code, out, errOut)
	}
	var annID string
	for _, f := range strings.Fields(out) {
		if _, err := strconv.Atoi(f); err == nil {
			annID = f
			break
		}
	}

	refused := "is on the do-not-call list: " + reason
	for _, tc := range []struct {
		path string
		run  func(t *testing.T) string // what the user saw
	}{
		{"dialer call --to", func(t *testing.T) string {
			code, out, errOut := w.c.run("", "call", "--to", listed, "--confirm", "auto")
			if code == 0 {
				t.Errorf("exit 0")
			}
			return out + errOut
		}},
		{"dialer call --contact", func(t *testing.T) string {
			if annID == "" {
				t.Fatalf("no id in contacts show")
			}
			code, out, errOut := w.c.run("", "call", "--contact", annID, "--confirm", "auto")
			if code == 0 {
				t.Errorf("exit 0")
			}
			return out + errOut
		}},
		{"dialer session", func(t *testing.T) string {
			code, out, errOut := w.c.run("", "session", "--list", "Today", "--confirm", "auto", "--hangup-after", "1s")
			if code != 0 {
				t.Errorf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "Bob Clear") {
				t.Errorf("the session did not reach Bob Clear:\n%s", out)
			}
			return out + errOut
		}},
		{"the UI's Call key", func(t *testing.T) string {
			bin := buildDialer(t)
			var env []string
			for k, v := range w.c.envv {
				env = append(env, k+"="+v)
			}
			sort.Strings(env)
			env = append(env, "PATH="+os.Getenv("PATH"), "TERM=xterm-256color")
			term := startInTerminal(t, bin, env)
			term.waitFor("Bob Clear", 15*time.Second)
			term.send("ann")
			term.waitFor("1 of 1", 5*time.Second)
			term.send("\r") // the Call key
			s := term.waitForAny(10*time.Second, "do-not-call", "Ringing your phone")
			screen := term.screen()
			term.send("\x1b") // back to the contacts (alone: esc then ctrl+c at once reads as alt+ctrl+c)
			term.waitFor("1 of 1", 5*time.Second)
			term.send("\x03")
			if code := term.waitExit(5 * time.Second); code != 0 {
				t.Errorf("dialer exited with status %d", code)
			}
			if s != "do-not-call" {
				t.Errorf("the Call key rang the agent:\n%s", screen)
			}
			return screen
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			saw := tc.run(t)
			if !strings.Contains(strings.Join(strings.Fields(saw), " "), "do-not-call") {
				t.Errorf("%s does not say why Ann Listed was not called:\n%s", tc.path, saw)
			}
			if tc.path != "dialer session" && tc.path != "the UI's Call key" && !strings.Contains(saw, refused) {
				t.Errorf("%s: want %q in\n%s", tc.path, refused, saw)
			}
		})
	}
	for _, c := range w.emulatorCalls() {
		if c.To == listed {
			t.Errorf("a call reached the provider for the do-not-call number %s: %+v", listed, c)
		}
	}
}
