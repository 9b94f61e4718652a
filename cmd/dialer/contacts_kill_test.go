//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// 4. A real `dialer contacts import` of 200,000 rows killed with kill -9
// part way leaves a whole number of batches, the file's first rows; one
// stopped by SIGINT (Ctrl+C) says how far it got within seconds; the same
// command run again finishes the job.
func TestImportKilledPartWay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports 200,000 rows; skipped with -short")
	}
	const n, batch = 200_000, 5000
	bin := buildDialer(t)
	dir := t.TempDir()
	file := leadsFile(t, dir, n)
	dbPath := filepath.Join(dir, "dialer.db")
	env, _ := freshEnv(t)
	importCmd := func() *exec.Cmd {
		cmd := exec.Command(bin, "--db", dbPath, "--create", "contacts", "import", file, "--batch-size", fmt.Sprint(batch))
		cmd.Env = env
		return cmd
	}
	count := func() int {
		db, err := store.OpenWith(context.Background(), dbPath, store.Options{ReadOnly: true})
		if err != nil {
			return 0 // not made yet
		}
		defer db.Close()
		k, _ := db.CountContacts(context.Background())
		return k
	}
	// waitFor starts cmd and waits until at least min rows are committed.
	waitFor := func(cmd *exec.Cmd, min int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for count() < min {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("%d rows committed after 60 s", count())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// kill -9 after three batches or more.
	cmd := importCmd()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(cmd, 3*batch)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	k := count()
	t.Logf("killed with %d rows committed", k)
	if k%batch != 0 || k >= n {
		t.Fatalf("%d rows after kill -9: not a whole number of %d-row batches", k, batch)
	}
	firstRows(t, dbPath, file, k)

	// Ctrl+C after a few more batches: it stops within seconds and says so.
	cmd = importCmd()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(cmd, k+2*batch)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 5 s after Ctrl+C")
	}
	k2 := count()
	t.Logf("Ctrl+C: stopped in %v with %d rows committed", time.Since(sent).Round(time.Millisecond), k2)
	want := fmt.Sprintf("dialer: the import stopped after %s rows were committed; run the same command again to import the rest\n", thousands(k2)) // rows of the file done, skipped ones too
	if cmd.ProcessState.ExitCode() != 1 || !strings.HasSuffix(stderr.String(), want) || stdout.Len() != 0 || k2%batch != 0 {
		t.Errorf("after Ctrl+C: exit %d, %d rows, stdout %q, stderr %q; want %q", cmd.ProcessState.ExitCode(), k2, stdout.String(), stderr.String(), want)
	}

	// Run again: the rest, and the totals add up.
	out, err := importCmd().Output()
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	wantOut := fmt.Sprintf("%s imported, 0 updated, %s duplicates skipped, 0 rejected\n", thousands(n-k2), thousands(k2))
	if string(out) != wantOut || count() != n {
		t.Errorf("third run: %q, want %q; %d contacts", out, wantOut, count())
	}
	firstRows(t, dbPath, file, n)
}

// firstRows checks that the database's contacts, in id order, are the
// first k rows of file.
func firstRows(t *testing.T, dbPath, file string, k int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	db, err := store.OpenWith(context.Background(), dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var after int64
	seen := 0
	for {
		cs, err := db.ListContacts(context.Background(), dialer.ContactFilter{AfterID: after, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			sc.Scan()
			cells := strings.Split(sc.Text(), ",")
			p, err := dialer.ParsePhone(cells[1])
			if err != nil || p.E164 != c.Phone || cells[0] != c.Name {
				t.Fatalf("contact %d is %s %s; row %d of the file is %q", c.ID, c.Name, c.Phone, seen+1, sc.Text())
			}
			seen++
		}
		if len(cs) < 10000 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	if seen != k {
		t.Errorf("%d contacts, want %d", seen, k)
	}
}
