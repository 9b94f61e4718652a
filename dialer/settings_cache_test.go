package dialer_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// The store keeps the settings in memory between decisions; a change
// another process makes (here another handle on the same file: its own
// connections) is used by the very next decision.
func TestDecisionUsesSettingsAnotherProcessChanged(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dialer.db")
	e := newEnvAt(t, path, newFakeNumbers())
	other, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c := contact("+14155550100")

	reservedFor := func(what string) time.Duration {
		t.Helper()
		r, err := e.res.Acquire(ctx, c, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return r.Number.ReservedUntil.Sub(e.clock.Now())
	}
	if got, want := reservedFor("first call"), time.Duration(dialer.DefaultSettings().ReservationDays)*24*time.Hour; got != want {
		t.Fatalf("first call reserved the number for %s, want the default %s", got, want)
	}
	reservedFor("second call") // the settings are kept now

	s, err := other.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.ReservationDays = 40
	if err := other.SaveSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := reservedFor("call after the other process's change"); got != 40*24*time.Hour {
		t.Fatalf("after another process set 40 reservation days, the next call reserved for %s", got)
	}
}
