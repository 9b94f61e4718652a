//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
)

const (
	e2eCols = 100
	e2eRows = 30
)

// e2eForbidden is text that must never reach the terminal: log lines, as
// slog's text and JSON handlers write them. (The one-line "SANDBOX: ..."
// banner that openStore writes to stderr before the UI starts is not a log
// line and is tolerated; the UI's header says SANDBOX too.)
var e2eForbidden = []string{"level=", `"level"`, "time="}

// TestEndToEndInATerminal builds the real binary, runs its UI in a
// pseudo-terminal as a new user would (first-run form, search, Call,
// confirm, hang up, disposition, quit), reads the screen through a
// terminal emulator, and then checks the record with `calls list --json`.
func TestEndToEndInATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds the binary and runs it in a pseudo-terminal; skipped with -short")
	}
	start := time.Now()
	bin := buildDialer(t)
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))

	env, dataDir := freshEnv(t, "DIALER_SANDBOX_TIME_SCALE=0.02", "TERM=xterm-256color")

	const agentName = "Quinn Tester"
	uiStart := time.Now()
	term := startInTerminal(t, bin, env)

	// First run: the agent's profile.
	term.waitFor("Welcome to dialer", 10*time.Second)
	term.waitFor("Your name:", 2*time.Second)
	term.send(agentName)
	term.waitFor(agentName, 5*time.Second)
	term.send("\t")
	term.send("+1 202 555 0199")
	term.waitFor("+1 202 555 0199", 5*time.Second)
	term.send("\r")

	// The contacts screen, in sandbox mode, with the demo contacts.
	term.waitFor("Welcome, "+agentName, 10*time.Second)
	term.waitFor("SANDBOX", 2*time.Second)
	term.waitFor("Walter Skinner", 10*time.Second)

	// Letters start filtering; wait for the one match before moving on, so
	// the Call key acts on it and not on a row of an older result.
	term.send("walter")
	term.waitFor("/ walter", 5*time.Second)
	term.waitFor("1 of 1", 5*time.Second)
	// The search field keeps the keyboard: Enter calls the selected match.
	term.waitFor("enter call", 5*time.Second)
	term.send("\r") // the Call key: a preview, nothing bought yet
	term.waitFor("Call Walter Skinner", 5*time.Second)
	term.waitFor("will be bought: fee", 10*time.Second)

	// Outside the contact's calling hours (New York, 08:00-21:00) the
	// preview warns and Enter asks for a reason first: give one, as a user
	// would.
	term.send("\r") // places the call
	overridden := term.waitForAny(10*time.Second, "Reason:", "Getting a local number", "Ringing your phone", "Confirm to dial") == "Reason:"
	if overridden {
		t.Log("outside calling hours in New York: giving a reason")
		term.send("end-to-end test")
		term.waitFor("Reason: end-to-end test", 5*time.Second)
		term.send("\r")
		term.waitForAny(10*time.Second, "Getting a local number", "Ringing your phone", "Confirm to dial")
	}
	// The emulated agent hangs up 90 emulated seconds after answering, 1.8 s
	// at this time scale: the confirmation and the hang-up below must come
	// within that (they take a few tens of milliseconds).
	term.waitFor("Confirm to dial Walter Skinner", 15*time.Second)
	term.send("\r") // the agent confirms: the contact is dialed
	if term.waitForAny(15*time.Second, "Connected.", "How did it go?") != "Connected." {
		t.Fatalf("the call ended before the contact was connected (the emulated agent hangs up 1.8 s after answering at this time scale; was the test too slow?)\n%s", term.dump())
	}
	term.send("h") // hang up
	term.waitFor("How did it go?", 15*time.Second)
	term.waitFor("› Interested", 2*time.Second)
	term.send("\r") // the first disposition

	// Back on the contacts, the call on Walter's record.
	term.waitFor("(Interested)", 10*time.Second)
	term.send("\x03") // ctrl+c: in the search field q would be typed
	if code := term.waitExit(5 * time.Second); code != 0 {
		t.Fatalf("dialer exited with status %d\n%s", code, term.dump())
	}
	term.checkTranscript()
	t.Logf("UI session took %v", time.Since(uiStart).Round(time.Millisecond))

	// The record, through the command line.
	cmd := exec.Command(bin, "calls", "list", "--json")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dialer calls list --json: %v\nstderr: %s", err, stderr.String())
	}
	var calls []struct {
		Contact struct {
			Name  string `json:"name"`
			Phone string `json:"phone"`
		} `json:"contact"`
		AgentName      string  `json:"agent_name"`
		AgentPhone     string  `json:"agent_phone"`
		CallerID       string  `json:"caller_id"`
		Outcome        string  `json:"outcome"`
		OverrideReason string  `json:"override_reason"`
		NewNumberFee   *string `json:"new_number_fee"`
		Legs           []struct {
			Role string `json:"role"`
			SID  string `json:"sid"`
		} `json:"legs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &calls); err != nil {
		t.Fatalf("calls list --json: %v\n%s", err, stdout.String())
	}
	if len(calls) != 1 {
		t.Fatalf("calls list --json: %d calls, want 1:\n%s", len(calls), stdout.String())
	}
	c := calls[0]
	if c.Contact.Name != "Walter Skinner" {
		t.Errorf("contact name %q, want Walter Skinner", c.Contact.Name)
	}
	if c.AgentName != agentName || c.AgentPhone != "+12025550199" {
		t.Errorf("agent %q %q, want %q +12025550199", c.AgentName, c.AgentPhone, agentName)
	}
	if c.NewNumberFee == nil || *c.NewNumberFee != "1.00" {
		t.Errorf("new_number_fee %v, want \"1.00\"", strOrNil(c.NewNumberFee))
	}
	if c.Outcome != "answered" {
		t.Errorf("outcome %q, want answered", c.Outcome)
	}
	if !strings.HasPrefix(c.CallerID, "+1212") {
		t.Errorf("caller_id %q, want a 212 number", c.CallerID)
	}
	if overridden && c.OverrideReason != "end-to-end test" {
		t.Errorf("override_reason %q, want the reason typed", c.OverrideReason)
	}
	roles := map[string]string{}
	for _, l := range c.Legs {
		roles[l.Role] = l.SID
	}
	if len(c.Legs) != 2 || roles["agent"] == "" || roles["contact"] == "" {
		t.Errorf("legs %+v, want an agent leg and a contact leg, each with a SID", c.Legs)
	}
	if t.Failed() {
		t.Logf("calls list --json:\n%s", stdout.String())
	}

	// Logs went to the file, not the terminal.
	fi, err := os.Stat(filepath.Join(dataDir, "dialer.log"))
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	if fi.Size() == 0 {
		t.Errorf("log file %s is empty", filepath.Join(dataDir, "dialer.log"))
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

func strOrNil(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}

// buildDialer builds this package's binary into a temporary directory.
func buildDialer(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dialer")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ptyTerm is a program running in a pseudo-terminal whose output is fed to
// a terminal emulator of the same size.
type ptyTerm struct {
	t    testing.TB
	ptmx *os.File
	cmd  *exec.Cmd

	mu       sync.Mutex
	vt       vt10x.Terminal
	raw      bytes.Buffer // everything the program wrote
	readErr  error
	readDone chan struct{}

	exited  chan struct{}
	waitErr error

	changed chan struct{} // signalled (without blocking) after each write to vt
}

func startInTerminal(t testing.TB, bin string, env []string) *ptyTerm {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	// pty.Start makes the program a session (and process group) leader
	// with the terminal as its controlling terminal.
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: e2eCols, Rows: e2eRows})
	if err != nil {
		t.Fatalf("starting dialer in a pseudo-terminal: %v", err)
	}
	pt := &ptyTerm{t: t, ptmx: ptmx, cmd: cmd, vt: vt10x.New(vt10x.WithSize(e2eCols, e2eRows)),
		readDone: make(chan struct{}), exited: make(chan struct{}), changed: make(chan struct{}, 1)}
	go pt.pump()
	go func() {
		pt.waitErr = cmd.Wait()
		close(pt.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-pt.exited:
		default:
			// Still running: the test failed. Kill the whole group.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-pt.exited:
			case <-time.After(5 * time.Second):
				t.Errorf("dialer (pid %d) did not die after SIGKILL", cmd.Process.Pid)
			}
		}
		ptmx.Close()
		select {
		case <-pt.readDone:
		case <-time.After(2 * time.Second):
		}
	})
	return pt
}

// pump feeds the program's output to the emulator, holding back an
// incomplete UTF-8 sequence at the end of a read until the rest arrives.
func (p *ptyTerm) pump() {
	defer close(p.readDone)
	buf := make([]byte, 32*1024)
	var pending []byte
	for {
		n, err := p.ptmx.Read(buf)
		if n > 0 {
			pending = append(pending, buf[:n]...)
			cut := completeUTF8(pending)
			p.mu.Lock()
			p.raw.Write(pending[:cut])
			_, _ = p.vt.Write(pending[:cut])
			p.mu.Unlock()
			select {
			case p.changed <- struct{}{}:
			default:
			}
			pending = append(pending[:0], pending[cut:]...)
		}
		if err != nil {
			p.mu.Lock()
			p.readErr = err
			p.mu.Unlock()
			return
		}
	}
}

// completeUTF8 is the length of b's prefix that ends on a rune boundary.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// screen is the visible text, one line per row, trailing blanks trimmed.
func (p *ptyTerm) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vt.Lock()
	defer p.vt.Unlock()
	cols, rows := p.vt.Size()
	lines := make([]string, rows)
	row := make([]rune, cols)
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			c := p.vt.Cell(x, y).Char
			if c == 0 {
				c = ' '
			}
			row[x] = c
		}
		lines[y] = strings.TrimRight(string(row), " ")
	}
	return strings.Join(lines, "\n")
}

func (p *ptyTerm) dump() string {
	return "---- screen ----\n" + p.screen() + "\n----------------"
}

func (p *ptyTerm) send(s string) {
	p.t.Helper()
	if os.Getenv("DIALER_E2E_TRACE") != "" {
		p.t.Logf("%s send %q", time.Now().Format("15:04:05.000"), s)
	}
	if _, err := p.ptmx.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing %q: %v\n%s", s, err, p.dump())
	}
}

// waitFor polls the screen until it shows text.
func (p *ptyTerm) waitFor(text string, timeout time.Duration) {
	p.t.Helper()
	p.waitForAny(timeout, text)
}

// waitForAny polls the screen every 20 ms until it shows one of texts,
// and fails the test with the screen when it does not in time (or the
// program exits, or something not UI reaches the terminal).
func (p *ptyTerm) waitForAny(timeout time.Duration, texts ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		s := p.screen()
		if s != last && os.Getenv("DIALER_E2E_TRACE") != "" {
			p.t.Logf("%s waiting for %q:\n%s", time.Now().Format("15:04:05.000"), texts, s)
			last = s
		}
		for _, bad := range e2eForbidden {
			if strings.Contains(s, bad) {
				p.t.Fatalf("the terminal shows %q (a log line or banner?)\n%s", bad, p.dump())
			}
		}
		for _, text := range texts {
			if strings.Contains(s, text) {
				return text
			}
		}
		select {
		case <-p.exited:
			time.Sleep(50 * time.Millisecond) // let the last output land
			p.t.Fatalf("dialer exited (%v) while waiting for %q\n%s", p.waitErr, texts, p.dump())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %q\n%s", timeout, texts, p.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits for the program to exit and returns its status.
func (p *ptyTerm) waitExit(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("dialer did not exit within %v\n%s", timeout, p.dump())
	}
	// Everything written before the exit is read before EOF/EIO.
	select {
	case <-p.readDone:
	case <-time.After(2 * time.Second):
	}
	var ee *exec.ExitError
	switch {
	case p.waitErr == nil:
		return 0
	case errors.As(p.waitErr, &ee):
		return ee.ExitCode()
	default:
		p.t.Fatalf("waiting for dialer: %v", p.waitErr)
		return -1
	}
}

// checkTranscript looks for log lines anywhere in what the program wrote,
// also text the screen no longer shows.
func (p *ptyTerm) checkTranscript() {
	p.t.Helper()
	p.mu.Lock()
	raw := p.raw.String()
	p.mu.Unlock()
	for _, bad := range e2eForbidden {
		if i := strings.Index(raw, bad); i >= 0 {
			lo, hi := max(0, i-200), min(len(raw), i+200)
			p.t.Errorf("the program wrote %q to the terminal: ...%q...", bad, raw[lo:hi])
		}
	}
}
