//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
	"github.com/dialer-dev/dialer/store"
)

// BenchmarkTerminalWithAMillionContacts runs the real binary in a
// pseudo-terminal over a database of 1,000,000 contacts and types queries a
// key at a time, as a user would, waiting for each result before the next
// key. It reports the time from a key leaving the keyboard to the screen
// showing that query's match count (median and slowest; this includes
// drawing and the terminal emulator reading the output), the time to
// the first frame and to the index being ready, and the program's peak RSS
// (VmHWM) at the end.
//
//	go test ./cmd/dialer -run '^$' -bench TerminalWithAMillion -benchtime 1x
func BenchmarkTerminalWithAMillionContacts(b *testing.B) {
	bin := buildDialer(b)
	root := b.TempDir()
	dataDir := filepath.Join(root, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		b.Fatal(err)
	}
	seedContacts(b, dataDir, 1_000_000)
	env := []string{
		"HOME=" + filepath.Join(root, "home"),
		"DIALER_DATA_DIR=" + dataDir,
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
		"TERM=xterm-256color",
		"PATH=" + os.Getenv("PATH"),
	}
	agent := exec.Command(bin, "agent", "set", "--name", "Bench Agent", "--phone", "+12025550199")
	agent.Env = env
	if out, err := agent.CombinedOutput(); err != nil {
		b.Fatalf("agent set: %v\n%s", err, out)
	}

	// What each typed prefix must show: the same index, built here.
	typed := []string{"margaret", "hop", "son", "grace h", "zoe"}
	want, searchTimes := expectedTotals(b, dataDir, typed)

	var keys []time.Duration
	var firstFrame, ready time.Duration
	var peakMB float64
	for b.Loop() {
		start := time.Now()
		term := startInTerminal(b, bin, env)
		term.waitFor("/ ", 10*time.Second)
		firstFrame += time.Since(start)
		term.waitFor("1 of 1000000", 60*time.Second)
		ready += time.Since(start)
		for _, word := range typed {
			for i := 1; i <= len(word); i++ {
				if word[i-1] == ' ' {
					term.send(" ")
					continue
				}
				t0 := time.Now()
				term.send(word[i-1 : i])
				term.waitForFast(fmt.Sprintf("1 of %d", want[word[:i]]), "/ "+word[:i], 5*time.Second)
				keys = append(keys, time.Since(t0))
			}
			term.send("\x1b") // Esc clears the field, which keeps the keyboard
			term.waitFor("1 of 1000000", 10*time.Second)
		}
		peakMB = peakRSS(b, term.cmd.Process.Pid)
		term.send("\x03")
		if code := term.waitExit(10 * time.Second); code != 0 {
			b.Fatalf("dialer exited with status %d\n%s", code, term.dump())
		}
	}
	slices.Sort(searchTimes)
	b.ReportMetric(float64(searchTimes[len(searchTimes)/2].Microseconds())/1000, "ms-search-median")
	b.ReportMetric(float64(searchTimes[len(searchTimes)-1].Microseconds())/1000, "ms-search-slowest")
	slices.Sort(keys)
	b.ReportMetric(float64(keys[len(keys)/2].Microseconds())/1000, "ms-key-median")
	b.ReportMetric(float64(keys[len(keys)-1].Microseconds())/1000, "ms-key-slowest")
	b.ReportMetric(float64(firstFrame.Milliseconds())/float64(b.N), "ms-to-first-frame")
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms-to-index-ready")
	b.ReportMetric(peakMB, "MB-peak-RSS")
}

// expectedTotals returns the match count of every prefix of every query,
// from an index of the database built in this process, and how long each
// took typed a key at a time through a Searcher as the UI asks (1,000
// ranked results).
func expectedTotals(b *testing.B, dataDir string, queries []string) (map[string]int, []time.Duration) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dataDir, "dialer.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ix := search.New(1_000_000)
	var batch []search.Entry
	_, err = db.ContactKeys(ctx, 0, func(k dialer.ContactKey) error {
		batch = append(batch, search.Entry{ID: k.ID, Name: k.Name, Company: k.Company, Phone: k.Phone})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ix.AddBatch(batch)
	want := map[string]int{}
	var took []time.Duration
	s := search.NewSearcher(ix)
	for _, q := range queries {
		for i := 1; i <= len(q); i++ {
			start := time.Now()
			_, res, err := s.Query(ctx, q[:i], 1000)
			took = append(took, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			if res.Total == 0 {
				b.Fatalf("%q matches nothing: pick queries that do", q[:i])
			}
			want[q[:i]] = res.Total
		}
	}
	return want, took
}

// peakRSS reads a process's peak resident set size in MB.
func peakRSS(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/pid/status")
	return 0
}

// waitForFast looks at the screen each time the program's output changes
// it (no polling to compete with the program for the CPU) until a line
// shows field and a line ends with count or has it followed by a space.
func (p *ptyTerm) waitForFast(count, field string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		hasField, hasCount := false, false
		for _, line := range strings.Split(p.screen(), "\n") {
			hasField = hasField || strings.Contains(line, field)
			hasCount = hasCount || strings.HasSuffix(line, count) || strings.Contains(line, count+" ")
		}
		if hasField && hasCount {
			return
		}
		select {
		case <-p.changed:
		case <-time.After(time.Until(deadline)):
			p.t.Fatalf("timed out after %v waiting for %q and %q\n%s", timeout, count, field, p.dump())
		}
	}
}
