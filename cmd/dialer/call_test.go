package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// callEnv runs dialer with a data and config directory of its own and the
// sandbox emulator 200 times faster than real time.
type callEnv struct {
	t    *testing.T
	envv map[string]string
}

func newCallEnv(t *testing.T) *callEnv {
	dir := t.TempDir()
	return &callEnv{t: t, envv: map[string]string{"HOME": dir, "DIALER_DATA_DIR": dir + "/data",
		"XDG_CONFIG_HOME": dir + "/config", "DIALER_SANDBOX_TIME_SCALE": "0.005"}}
}

// run runs dialer with input typed at a terminal, as a person would.
func (c *callEnv) run(input string, args ...string) (int, string, string) {
	c.t.Helper()
	return c.runStdin(typed{strings.NewReader(input)}, args...)
}

// runStdin runs dialer with stdin as given (a plain reader is a pipe).
func (c *callEnv) runStdin(stdin io.Reader, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdin, &out, &errOut, func(k string) string { return c.envv[k] })
	return code, out.String(), errOut.String()
}

// typed is input typed at a terminal.
type typed struct{ io.Reader }

func (typed) IsTerminal() bool { return true }

func TestCallNeedsAnAgentProfile(t *testing.T) {
	c := newCallEnv(t)
	code, _, errOut := c.run("", "call", "--to", "+12125550143")
	if code != 1 || !strings.Contains(errOut, "dialer agent set") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	for _, bad := range [][]string{
		{"agent", "set", "--name", "", "--phone", "+12025550199"},
		{"agent", "set", "--name", "Ann", "--phone", "555"},
		{"call"}, {"call", "--to", "+12125550143", "--contact", "1"},
		{"call", "--to", "+12125550143", "--confirm", "maybe"},
		{"call", "--to", "+12125550143", "--listen", "127.0.0.1:0"},
	} {
		if code, _, errOut := c.run("", bad...); code == 0 || errOut == "" {
			t.Errorf("dialer %v: exit %d, stderr %q", bad, code, errOut)
		}
	}
}

// A headless call from the command line, end to end: agent set, call with
// JSON events, then the record in calls list, show and export. The calls
// give --override-hours: the test may run at night in New York (the
// override itself is tested in provider/integration with a fixed clock).
func TestCallFromTheCommandLine(t *testing.T) {
	c := newCallEnv(t)
	if code, out, errOut := c.run("", "agent", "set", "--name", "Fox Mulder", "--phone", "(202) 555-0199"); code != 0 || !strings.Contains(out, "+12025550199") {
		t.Fatalf("agent set: %d %s %s", code, out, errOut)
	}
	// terminal mode: Enter confirms once asked.
	code, out, errOut := c.run("\n", "call", "--to", "+1 212 555 0143", "--name", "Walter Skinner", "--hangup-after", "400ms", "--json", "--override-hours", "test runs at any hour")
	if code != 0 {
		t.Fatalf("call: exit %d\n%s\n%s", code, out, errOut)
	}
	var last eventJSON
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if err := json.Unmarshal([]byte(line), &last); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", line, err)
		}
		seen[last.Phase] = true
	}
	// At 200 times real speed a phase can pass between two polls; these cannot.
	for _, p := range []string{"provisioning", "ringing_agent", "connected", "ended"} {
		if !seen[p] {
			t.Errorf("no %s event in:\n%s", p, out)
		}
	}
	if last.Call == nil || last.Call.Outcome != "answered" || len(last.Call.Legs) != 2 || last.Call.NewNumberFee == nil || *last.Call.NewNumberFee != "1.00" {
		t.Fatalf("last event %+v", last)
	}

	// Prices come later; backfill fetches them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ = c.run("", "calls", "backfill")
		if strings.Contains(out, "0 still pending") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prices never arrived: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	code, out, _ = c.run("", "calls", "list", "--json")
	var calls []callJSON
	if err := json.Unmarshal([]byte(out), &calls); code != 0 || err != nil || len(calls) != 1 {
		t.Fatalf("calls list: %d %v\n%s", code, err, out)
	}
	got := calls[0]
	if got.Contact.Name != "Walter Skinner" || got.Contact.Phone != "+12125550143" || got.AgentName != "Fox Mulder" ||
		got.AgentPhone != "+12025550199" || got.TotalPrice == nil || *got.PriceUnit != "USD" {
		t.Fatalf("call %+v", got)
	}
	// The emulator prices 0.014 USD per started minute of each leg.
	var want dialer.Money
	for _, l := range got.Legs {
		if l.SID == "" || l.RatePerMinute == nil || *l.RatePerMinute != "0.014" || l.Price == nil || l.DurationSeconds < 1 {
			t.Fatalf("leg %+v", l)
		}
		minutes := (l.DurationSeconds + 59) / 60
		if *l.Price != (dialer.Amount(minutes) * dialer.MustAmount("0.014")).String() {
			t.Errorf("%s leg of %d s priced %s", l.Role, l.DurationSeconds, *l.Price)
		}
		p, _ := dialer.ParseMoney(*l.Price, "USD")
		want, _ = want.Add(p)
	}
	if *got.TotalPrice != want.Amount.String() {
		t.Errorf("total %s, want the legs' sum %s", *got.TotalPrice, want.Amount)
	}
	if code, out, _ := c.run("", "calls", "show", fmt.Sprint(got.ID)); code != 0 || !strings.Contains(out, "Total") || !strings.Contains(out, want.String()) {
		t.Errorf("calls show: %d\n%s", code, out)
	}
	code, out, _ = c.run("", "calls", "export", "--format", "csv", "--since", time.Now().Add(-24*time.Hour).Format("2006-01-02"))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 || rows[1][10] != "answered" || rows[0][len(rows[0])-3] != "total_price" || rows[1][len(rows[1])-3] != want.Amount.String() {
		t.Errorf("export: %d %v\n%s", code, err, out)
	}
	if code, _, errOut := c.run("", "calls", "export", "--format", "xlsx"); code != 2 || !strings.Contains(errOut, "csv") {
		t.Errorf("export xlsx: %d %s", code, errOut)
	}

	// The same contact again: found by number, same caller ID, no fee.
	code, out, _ = c.run("", "call", "--to", "+12125550143", "--confirm", "auto", "--hangup-after", "300ms", "--json", "--override-hours", "test runs at any hour")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if code != 0 || last.Call == nil || last.Call.NewNumberFee != nil || last.Call.Contact.ID != got.Contact.ID || last.Call.CallerID != got.CallerID {
		t.Errorf("second call: %d %+v", code, last.Call)
	}
}

// An agent phone that never answers: the contact is not dialed, and the
// command says so with a non-zero exit.
func TestCallExitStatusWhenTheAgentDoesNotAnswer(t *testing.T) {
	c := newCallEnv(t)
	c.run("", "agent", "set", "--name", "Ann", "--phone", "+12025552222")
	code, out, errOut := c.run("", "call", "--to", "+12125550143", "--confirm", "auto", "--override-hours", "test runs at any hour")
	if code != 1 || !strings.Contains(errOut, "not answered") || !strings.Contains(out, "agent didn't answer") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// Keypad mode end to end: the emulated agent presses a key, the emulator
// posts the signed Gather action to this program's webhook server, which
// answers with the Dial.
func TestCallKeypadModeThroughSignedWebhooks(t *testing.T) {
	c := newCallEnv(t)
	c.run("", "agent", "set", "--name", "Ann", "--phone", "+12025550199")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, errOut := c.run("", "call", "--to", "+12125550143", "--confirm", "keypad", "--listen", addr,
		"--webhook-url", "http://"+addr, "--hangup-after", "400ms", "--json", "--override-hours", "test runs at any hour")
	// "Press any key" shows only when a poll sees the agent's answer
	// before the key arrives: on a loaded machine the key may come first.
	if code != 0 || !strings.Contains(out, `"outcome":"answered"`) || !strings.Contains(out, `"confirm":"keypad"`) {
		t.Errorf("keypad call: exit %d\n%s\n%s", code, out, errOut)
	}
}
