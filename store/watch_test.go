package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// nextChange waits up to within for a change on ch that matches.
func nextChange(t *testing.T, ch <-chan dialer.Change, within time.Duration, match func(dialer.Change) bool) (dialer.Change, bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("the change feed closed")
			}
			if match(c) {
				return c, true
			}
		case <-deadline:
			return dialer.Change{}, false
		}
	}
}

// A commit by one process reaches another's watch within a second: on
// PostgreSQL naming the table and row, on SQLite as "re-read".
func testWatchSeesOtherProcessesCommits(t *testing.T, e engine) {
	dbs := openMany(t, e, 2)
	writer, reader := dbs[0], dbs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := reader.Watch(ctx, 50*time.Millisecond)
	if _, ok := nextChange(t, ch, 5*time.Second, func(c dialer.Change) bool { return c.Table == "" }); !ok {
		t.Fatal("no first change (read everything) from the watch")
	}
	time.Sleep(100 * time.Millisecond) // the watch is listening (PostgreSQL) or has read the version (SQLite)
	cl, err := writer.ClaimNumber(context.Background(), dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, ReserveUntil: t0.Add(time.Hour), MaxNumbers: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := func(c dialer.Change) bool {
		if reader.Engine() == Postgres {
			return c.Table == "numbers" && c.ID == fmt.Sprint(cl.Number.ID)
		}
		return c.Table == ""
	}
	if _, ok := nextChange(t, ch, time.Second, want); !ok {
		t.Fatalf("number %d bought by another process did not reach the watch within 1 s", cl.Number.ID)
	}
	cancel()
	for range ch { // closes once ctx ends
	}
}

// A listener whose connection the server drops listens again, says
// "re-read everything", and goes on hearing commits.
func TestPostgresWatchListensAgainAfterADroppedConnection(t *testing.T) {
	dbs := openMany(t, engines[1], 2)
	writer, reader := dbs[0], dbs[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := reader.Watch(ctx, 0)
	if _, ok := nextChange(t, ch, 5*time.Second, func(c dialer.Change) bool { return c.Table == "" }); !ok {
		t.Fatal("no first change from the watch")
	}
	var dropped int
	for deadline := time.Now().Add(5 * time.Second); dropped == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := writer.db.QueryRowContext(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN dialer_changes'`).Scan(&dropped); err != nil {
			t.Fatal(err)
		}
	}
	if dropped == 0 {
		t.Fatal("found no listening connection to drop")
	}
	if _, ok := nextChange(t, ch, 5*time.Second, func(c dialer.Change) bool { return c.Table == "" }); !ok {
		t.Fatal("after its connection dropped, the watch did not say to re-read everything")
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := writer.CreateAgent(context.Background(), dialer.Agent{Name: "Ann", Phone: "+14155550101", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, ok := nextChange(t, ch, time.Second, func(c dialer.Change) bool { return c.Table == "agents" }); !ok {
		t.Fatal("after listening again, a commit did not reach the watch within 1 s")
	}
}
