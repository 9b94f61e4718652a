//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// A real `dialer db copy` of 200,000 contacts killed with kill -9 part way
// leaves whole chunks in the team database; one stopped by SIGINT (Ctrl+C)
// says so within seconds; the same command again finishes the job, with
// every contact once.
func TestDBCopyKilledAndInterruptedThenFinished(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and copies 200,000 contacts; skipped with -short")
	}
	const n, chunk = 200_000, 1000
	ctx := context.Background()
	bin := buildDialer(t)
	from := filepath.Join(t.TempDir(), "dialer.db")
	solo, err := store.Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < n; b += 20_000 {
		batch := dialer.ImportBatch{At: time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)}
		for i := b; i < b+20_000; i++ {
			batch.Contacts = append(batch.Contacts, dialer.Contact{Name: fmt.Sprintf("Lead %d", i),
				Phone: fmt.Sprintf("+1%d555%04d", 201+i/10_000, i%10_000)})
		}
		if _, err := solo.ImportContacts(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	solo.Close()
	to := pgtest.URL(t)
	team, err := store.Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer team.Close()
	count := func() int {
		k, err := team.CountContacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	env, _ := freshEnv(t)
	start := func() (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		t.Helper()
		cmd := exec.Command(bin, "db", "copy", "--from", from, "--to", to)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stdout, &stderr
	}
	waitFor := func(cmd *exec.Cmd, min int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for count() < min {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("%d contacts copied after 60 s", count())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// kill -9 after three chunks or more.
	cmd, _, _ := start()
	waitFor(cmd, 3*chunk)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	k := count()
	t.Logf("killed with %d contacts copied", k)
	if k%chunk != 0 || k >= n {
		t.Fatalf("%d contacts after kill -9: not a whole number of %d-row chunks", k, chunk)
	}

	// Ctrl+C after a few more chunks: it stops within seconds and says so.
	cmd, stdout, stderr := start()
	waitFor(cmd, k+3*chunk)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("still running 5 s after Ctrl+C")
	}
	k2 := count()
	t.Logf("Ctrl+C: stopped in %v with %d contacts copied", time.Since(sent).Round(time.Millisecond), k2)
	const want = "dialer: the copy was interrupted: the rows copied so far are kept; run the same command again to finish it\n"
	if cmd.ProcessState.ExitCode() != 1 || stderr.String() != want || stdout.Len() != 0 || k2%chunk != 0 || k2 >= n {
		t.Errorf("after Ctrl+C: exit %d, %d contacts, stdout %q, stderr %q; want %q", cmd.ProcessState.ExitCode(), k2, stdout, stderr, want)
	}

	// Again: the rest, and the counts add up to every contact once.
	cmd, stdout, stderr = start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("third run: %v\n%s", err, stderr)
	}
	wantLine := fmt.Sprintf("\ncontacts      %6d copied  %6d already there\n", n-k2, k2)
	if !strings.Contains(stdout.String(), wantLine) || count() != n {
		t.Errorf("third run: %d contacts, output lacks %q:\n%s", count(), wantLine, stdout)
	}
}
