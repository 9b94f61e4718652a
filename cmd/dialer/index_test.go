package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// found is the names the index finds for query.
func found(t *testing.T, c *contactIndex, query string) []string {
	t.Helper()
	res, err := c.ix.Search(context.Background(), query, 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range res.Matches {
		e, ok := c.dir.Get(m.ID)
		if !ok {
			t.Fatalf("match %d not in the directory", m.ID)
		}
		names = append(names, e.Name)
	}
	return names
}

func openTestIndex(t *testing.T, db *store.DB, instance string) *contactIndex {
	t.Helper()
	n, _ := db.CountContacts(context.Background())
	c := openIndex(context.Background(), db, instance, db.Path(), n, slog.New(slog.NewTextHandler(io.Discard, nil)))
	select {
	case <-c.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("index never ready")
	}
	if err := c.Save(); err != nil { // waits for a save in flight
		t.Fatal(err)
	}
	return c
}

// The index is read back from its snapshot with the changes made since
// (by any process) applied; a snapshot of another database, a damaged one,
// or one ahead of the database is not used.
func TestIndexSnapshotFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	add := func(name, phone string) dialer.Contact {
		c, err := db.CreateContact(ctx, dialer.Contact{Name: name, Phone: phone, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ann, bob := add("Ann Archer", "+12125550101"), add("Bob Baker", "+12125550102")
	first := openTestIndex(t, db, db.InstanceID())
	if got := found(t, first, "archer"); len(got) != 1 {
		t.Fatalf("built from rows: %v", got)
	}
	snap := snapshotPath(db.Path())
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("no snapshot after the build: %v", err)
	}

	// Changes after the snapshot: an edit, a delete, a new contact.
	ann.Name = "Ann Zephyr"
	if _, err := db.UpdateContact(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, bob.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	add("Cy Cooper", "+12125550103")
	second := openTestIndex(t, db, db.InstanceID())
	if second.saved != second.rev.Load() || second.ix.Len() != 2 {
		t.Errorf("second start: saved %d rev %d len %d", second.saved, second.rev.Load(), second.ix.Len())
	}
	for q, want := range map[string]int{"zephyr": 1, "archer": 0, "baker": 0, "cooper": 1} {
		if got := found(t, second, q); len(got) != want {
			t.Errorf("after the snapshot and the changes, %q finds %v", q, got)
		}
	}

	// Changes while it runs arrive by Sync.
	add("Dee Dunn", "+12125550104")
	if n, err := second.Sync(ctx); err != nil || n != 1 || len(found(t, second, "dunn")) != 1 {
		t.Errorf("sync: %d changes, %v", n, err)
	}

	// Another database's snapshot is rebuilt from rows, not read.
	other := openTestIndex(t, db, "another-instance")
	if len(found(t, other, "dunn")) != 1 || other.ix.Len() != 3 {
		t.Errorf("another instance's index: %d", other.ix.Len())
	}
	// A damaged snapshot is rebuilt.
	if err := os.WriteFile(snap, []byte("dialer-search-snapshot\ngarbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c := openTestIndex(t, db, db.InstanceID()); c.ix.Len() != 3 {
		t.Errorf("after damage: %d contacts", c.ix.Len())
	}
	// A snapshot ahead of the database (a restored backup) is rebuilt.
	ahead := openTestIndex(t, db, db.InstanceID())
	ahead.rev.Add(100)
	if err := ahead.Save(); err != nil {
		t.Fatal(err)
	}
	if c := openTestIndex(t, db, db.InstanceID()); c.rev.Load() > ahead.rev.Load()-100 || c.ix.Len() != 3 {
		t.Errorf("snapshot ahead of the database was used: rev %d", c.rev.Load())
	}
}
