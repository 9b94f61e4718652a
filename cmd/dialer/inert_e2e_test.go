//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// TestTerminalShowsANastyNameInert runs the real UI in a pseudo-terminal
// with a contact and an agent whose names hold a title-setting OSC, a
// screen clear, a colour and a bidi override: the terminal's title stays
// unset, the names read "AnnX", and none of it was written. (Bubble Tea's
// own queries end in BEL too: the test looks for the names' sequences.)
func TestTerminalShowsANastyNameInert(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds the binary and runs it in a pseudo-terminal; skipped with -short")
	}
	bin := buildDialer(t)
	env, dataDir := freshEnv(t, "TERM=xterm-256color")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dataDir, "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := db.CreateContact(ctx, dialer.Contact{Name: nasty, Phone: "+12125550143", Company: "Co\x1b[5m\u2066",
		Notes: "pwned notes\x1b]2;pwned\x1b\\", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	set := exec.Command(bin, "agent", "set", "--name", "Fox"+nasty, "--phone", "+12025550199")
	set.Env = env
	if out, err := set.CombinedOutput(); err != nil || strings.Contains(string(out), "\x1b") {
		t.Fatalf("agent set: %v %q", err, out)
	}

	term := startInTerminal(t, bin, env)
	term.waitFor("FoxAnnX", 10*time.Second)   // the header
	term.waitFor("AnnX · Co", 10*time.Second) // the detail pane
	s := term.screen()
	term.mu.Lock()
	raw := term.raw.String()
	term.vt.Lock()
	title := term.vt.Title()
	term.vt.Unlock()
	term.mu.Unlock()
	if title != "" || strings.Contains(raw, "pwned\x07") || strings.Contains(raw, "\x1b]0;pwned") || strings.Contains(raw, "\x1b]2;pwned") ||
		strings.ContainsAny(raw, "\u202e\u2066") || strings.Contains(raw, "\x1b[5m") {
		t.Errorf("title %q; the program wrote the names' controls:\n%q\n%s", title, raw, term.dump())
	}
	if !strings.Contains(s, "Notes: pwned notes") {
		t.Errorf("notes:\n%s", term.dump())
	}
	term.send("\x03") // Ctrl-C quits
	if code := term.waitExit(10 * time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
}
