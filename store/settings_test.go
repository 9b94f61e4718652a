package store

import (
	"context"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

// Settings are kept in memory; another handle on the database (another
// process's) that changes them, through SaveSettings or by writing the
// settings table itself (an older program, the sqlite3 or psql shell), is
// seen by the next read all the same.
func testSettingsSeeOtherHandlesChanges(t *testing.T, e engine) {
	ctx := context.Background()
	target := e.target(t)
	a := openAt(t, target)
	b := openAt(t, target)

	read := func(what string) dialer.Settings {
		t.Helper()
		s, err := a.Settings(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}
	if got := read("first read").ReservationDays; got != dialer.DefaultSettings().ReservationDays {
		t.Fatalf("reservation days %d, want the default %d", got, dialer.DefaultSettings().ReservationDays)
	}
	read("cached read")

	s, err := b.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.ReservationDays, s.RotateAtRisk = 9, true
	if err := b.SaveSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := read("after the other handle saved"); got.ReservationDays != 9 || !got.RotateAtRisk {
		t.Fatalf("after another handle saved 9 days and rotation on: %d days, rotate %v", got.ReservationDays, got.RotateAtRisk)
	}

	// Written by SQL, not SaveSettings: one row updated, then deleted.
	if _, err := b.db.ExecContext(ctx, "UPDATE settings SET value = '21' WHERE key = 'reservation_days'"); err != nil {
		t.Fatal(err)
	}
	if got := read("after an UPDATE by another handle").ReservationDays; got != 21 {
		t.Fatalf("after another handle's UPDATE to 21: %d days", got)
	}
	if _, err := b.db.ExecContext(ctx, "DELETE FROM settings WHERE key = 'rotate_at_risk'"); err != nil {
		t.Fatal(err)
	}
	if got := read("after a DELETE by another handle"); got.RotateAtRisk || got.ReservationDays != 21 {
		t.Fatalf("after another handle deleted rotate_at_risk: rotate %v, %d days; want off (the default), 21", got.RotateAtRisk, got.ReservationDays)
	}
	if _, err := b.db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('rotate_at_risk', 'on')"); err != nil {
		t.Fatal(err)
	}
	if !read("after an INSERT by another handle").RotateAtRisk {
		t.Fatal("after another handle inserted rotate_at_risk=on: still off")
	}
}

// A read whose revision has not moved is answered from memory: with the
// revision's trigger gone, a change to the table is not seen until the
// revision moves (what the trigger does for every writer).
func testSettingsKeptUntilTheirRevisionMoves(t *testing.T, e engine) {
	ctx := context.Background()
	db := e.open(t)
	if _, err := db.Settings(ctx); err != nil {
		t.Fatal(err)
	}
	drop := []string{"DROP TRIGGER settings_revision_insert", "DROP TRIGGER settings_revision_update", "DROP TRIGGER settings_revision_delete"}
	if db.Engine() == Postgres {
		drop = []string{"DROP TRIGGER settings_revision ON settings"}
	}
	for _, q := range drop {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('reservation_days', '5')"); err != nil {
		t.Fatal(err)
	}
	s, err := db.Settings(ctx)
	if err != nil || s.ReservationDays != dialer.DefaultSettings().ReservationDays {
		t.Fatalf("with the revision unmoved: %d days (%v), want the kept %d", s.ReservationDays, err, dialer.DefaultSettings().ReservationDays)
	}
	bump := "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'settings_revision'"
	if db.Engine() == Postgres {
		bump = "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'settings_revision'"
	}
	if _, err := db.db.ExecContext(ctx, bump); err != nil {
		t.Fatal(err)
	}
	if s, err := db.Settings(ctx); err != nil || s.ReservationDays != 5 {
		t.Fatalf("once the revision moved: %d days (%v), want 5", s.ReservationDays, err)
	}
}

// Every hot statement prepares on both engines (prepared.go): none is
// silently left to run as text.
func testHotStatementsPrepare(t *testing.T, e engine) {
	db := e.open(t)
	for h, st := range db.hot {
		if st == nil && (hotStmt(h) != hotLock || db.Engine() == Postgres) {
			t.Errorf("hot statement %d was not prepared: %s", h, hotQueries[h])
		}
	}
}
