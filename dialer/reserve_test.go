package dialer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// env is one organization: a store on a temp-dir database, the fake
// provider and a fake clock.
type env struct {
	t     testing.TB
	db    *store.DB
	prov  *fakeNumbers
	clock *fakeClock
	res   *dialer.Reservations
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvAt(t, filepath.Join(t.TempDir(), "dialer.db"), newFakeNumbers())
}

func newEnvAt(t testing.TB, path string, prov *fakeNumbers) *env {
	t.Helper()
	return newEnvWith(t, path, prov, store.Options{Create: true})
}

// newEnvWith is newEnvAt for any --db target (a file, a postgres:// URL),
// opened as o says.
func newEnvWith(t testing.TB, target string, prov *fakeNumbers, o store.Options) *env {
	t.Helper()
	db, err := store.OpenWith(context.Background(), target, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := newFakeClock()
	return &env{t: t, db: db, prov: prov, clock: clock,
		res: &dialer.Reservations{Store: db, Provider: prov, Clock: clock}}
}

func (e *env) settings(change func(*dialer.Settings)) {
	e.t.Helper()
	ctx := context.Background()
	s, err := e.db.Settings(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	change(&s)
	if err := e.db.SaveSettings(ctx, s); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) charges() []dialer.Charge {
	e.t.Helper()
	cs, err := e.db.Charges(context.Background(), dialer.ChargeFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *env) numbers(st ...dialer.NumberStatus) []dialer.Number {
	e.t.Helper()
	ns, err := e.db.Numbers(context.Background(), dialer.NumberFilter{Statuses: st})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func contact(phone string) dialer.Contact {
	return dialer.Contact{Name: "Ada Lovelace", Phone: phone}
}

const day = 24 * time.Hour

// TestReservationPolicy walks one organization through the on-demand
// lifecycle with a fake clock: each step is a moment and what must be true
// after it.
func TestReservationPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	var first dialer.Number

	type step struct {
		name   string
		at     time.Duration // since day 0
		do     func(t *testing.T) (dialer.Reservation, error)
		check  func(t *testing.T, r dialer.Reservation, err error)
		buys   int // purchases at the provider so far
		fees   int // charges so far
		active int // active numbers after the step
	}
	acquire := func(phone string) func(t *testing.T) (dialer.Reservation, error) {
		return func(t *testing.T) (dialer.Reservation, error) {
			return e.res.Acquire(ctx, contact(phone), nil)
		}
	}
	steps := []step{
		{
			name: "day 0: first call to 415 buys a number and charges the fee",
			at:   0, do: acquire("(415) 555-2671"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if !r.Bought || !r.Local || r.Fee == nil {
					t.Fatalf("got %+v, want a bought local number with a fee", r)
				}
				if r.Fee.Amount != dialer.MustMoney("1.00", "USD") {
					t.Errorf("fee %v, want 1.00 USD", r.Fee.Amount)
				}
				n := r.Number
				if n.Status != dialer.StatusActive || n.AreaCode != "415" || n.Kind != dialer.OnDemand || n.Region != "CA" {
					t.Errorf("number %+v", n)
				}
				if !n.ReservedUntil.Equal(t0.Add(14 * day)) {
					t.Errorf("reserved until %v, want day 14 (%v)", n.ReservedUntil, t0.Add(14*day))
				}
				first = n
			},
			buys: 1, fees: 1, active: 1,
		},
		{
			name: "day 13: a call in the same area code reuses it, no fee, reservation moves to day 27",
			at:   13 * day, do: acquire("+1 415 555 0199"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Bought || r.Fee != nil || r.Number.ID != first.ID {
					t.Fatalf("got %+v, want number %d reused without a fee", r, first.ID)
				}
				if !r.Number.ReservedUntil.Equal(t0.Add(27 * day)) {
					t.Errorf("reserved until %v, want day 27", r.Number.ReservedUntil)
				}
				if !r.Number.LastUsedAt.Equal(t0.Add(13 * day)) {
					t.Errorf("last used %v, want day 13", r.Number.LastUsedAt)
				}
			},
			buys: 1, fees: 1, active: 1,
		},
		{
			name: "day 27: the sweeper keeps a number whose reservation has not yet run out",
			at:   27 * day,
			do: func(t *testing.T) (dialer.Reservation, error) {
				sw, err := e.res.Sweep(ctx)
				if len(sw.Released) != 0 {
					t.Errorf("released %d numbers at the last reserved instant", len(sw.Released))
				}
				return dialer.Reservation{}, err
			},
			buys: 1, fees: 1, active: 1,
		},
		{
			name: "day 27 + 1 s: the sweeper releases it at the provider and marks it released",
			at:   27*day + time.Second,
			do: func(t *testing.T) (dialer.Reservation, error) {
				sw, err := e.res.Sweep(ctx)
				if len(sw.Released) != 1 || sw.Released[0].ID != first.ID {
					t.Errorf("released %+v, want number %d", sw.Released, first.ID)
				}
				return dialer.Reservation{}, err
			},
			check: func(t *testing.T, _ dialer.Reservation, err error) {
				if err != nil {
					t.Fatal(err)
				}
				n, _ := e.db.Number(ctx, first.ID)
				if n.Status != dialer.StatusReleased || !n.ReleasedAt.Equal(t0.Add(27*day+time.Second)) {
					t.Errorf("number after sweep: %s released at %v", n.Status, n.ReleasedAt)
				}
				if e.prov.ownedCount() != 0 {
					t.Errorf("provider still owns %d numbers", e.prov.ownedCount())
				}
			},
			buys: 1, fees: 1, active: 0,
		},
		{
			name: "day 28: the next call in the swept area code buys again, with a second fee",
			at:   28 * day, do: acquire("+14155552671"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if !r.Bought || r.Fee == nil || r.Number.ID == first.ID {
					t.Fatalf("got %+v, want a new number with a fee", r)
				}
			},
			buys: 2, fees: 2, active: 1,
		},
		{
			name: "a failed purchase leaves the number failed, the error's kind, and no fee",
			at:   28 * day,
			do: func(t *testing.T) (dialer.Reservation, error) {
				e.prov.failNext = []error{dialer.Errorf(dialer.EADDRESS, "An address is required")}
				return e.res.Acquire(ctx, contact("+12125550143"), nil)
			},
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if dialer.ErrorKind(err) != dialer.EADDRESS {
					t.Fatalf("error %v (kind %s), want address_required", err, dialer.ErrorKind(err))
				}
				failed := e.numbers(dialer.StatusFailed)
				if len(failed) != 1 || failed[0].ServesAreaCode != "212" || failed[0].FailureReason == "" {
					t.Errorf("failed numbers %+v", failed)
				}
			},
			buys: 2, fees: 2, active: 1,
		},
		{
			name: "the same area code right after a failure tries again and succeeds",
			at:   28 * day, do: acquire("+12125550143"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil || !r.Bought || r.Number.AreaCode != "212" {
					t.Fatalf("got %+v, %v", r, err)
				}
			},
			buys: 3, fees: 3, active: 2,
		},
		{
			name: "no number in the area code: one elsewhere in the state, marked non-local",
			at:   28 * day,
			do: func(t *testing.T) (dialer.Reservation, error) {
				e.prov.empty["650"] = true
				return e.res.Acquire(ctx, contact("+16505550123"), nil)
			},
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if !r.Bought || r.Local || r.Number.Local() {
					t.Fatalf("got %+v, want a bought non-local number", r)
				}
				if r.Number.Region != "CA" || r.Number.AreaCode == "650" || r.Number.ServesAreaCode != "650" {
					t.Errorf("fallback number %+v: want another California area code serving 650", r.Number)
				}
			},
			buys: 4, fees: 4, active: 3,
		},
		{
			name: "the next call to that area code reuses the fallback number, still marked non-local",
			at:   29 * day, do: acquire("+16505550124"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil || r.Bought || r.Local || r.Fee != nil {
					t.Fatalf("got %+v, %v; want the fallback reused, non-local, no fee", r, err)
				}
			},
			buys: 4, fees: 4, active: 3,
		},
		{
			name: "with the fallback turned off, an empty area code is a clear error and no fee",
			at:   29 * day,
			do: func(t *testing.T) (dialer.Reservation, error) {
				e.settings(func(s *dialer.Settings) { s.RegionFallback = false })
				e.prov.empty["213"] = true
				return e.res.Acquire(ctx, contact("+12135550123"), nil)
			},
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if dialer.ErrorKind(err) != dialer.ENOTAVAILABLE {
					t.Fatalf("error %v, want number_not_available", err)
				}
				if msg := dialer.ErrorMessage(err); !strings.Contains(msg, "213") {
					t.Errorf("message %q does not name the area code", msg)
				}
			},
			buys: 4, fees: 4, active: 3,
		},
		{
			name: "over the organization's maximum: refused, nothing bought, nothing charged",
			at:   29 * day,
			do: func(t *testing.T) (dialer.Reservation, error) {
				e.settings(func(s *dialer.Settings) { s.MaxNumbers = 3 })
				return e.res.Acquire(ctx, contact("+13125550123"), nil)
			},
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if dialer.ErrorKind(err) != dialer.ELIMIT {
					t.Fatalf("error %v, want limit_reached", err)
				}
				if msg := dialer.ErrorMessage(err); !strings.Contains(msg, "maximum 3") || !strings.Contains(msg, "nothing was charged") {
					t.Errorf("message %q", msg)
				}
				if n := e.numbers(dialer.StatusPending); len(n) != 0 {
					t.Errorf("left %d pending numbers", len(n))
				}
			},
			buys: 4, fees: 4, active: 3,
		},
		{
			name: "at the maximum, area codes with a number still get calls",
			at:   29 * day, do: acquire("+12125550100"),
			check: func(t *testing.T, r dialer.Reservation, err error) {
				if err != nil || r.Bought {
					t.Fatalf("got %+v, %v; want reuse", r, err)
				}
			},
			buys: 4, fees: 4, active: 3,
		},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			e.clock.Set(t0.Add(s.at))
			r, err := s.do(t)
			if s.check != nil {
				s.check(t, r, err)
			} else if err != nil {
				t.Fatal(err)
			}
			if got := e.prov.purchases(); got != s.buys {
				t.Errorf("purchases at the provider: %d, want %d", got, s.buys)
			}
			if got := len(e.charges()); got != s.fees {
				t.Errorf("fees charged: %d, want %d", got, s.fees)
			}
			if got := len(e.numbers(dialer.StatusActive)); got != s.active {
				t.Errorf("active numbers: %d, want %d", got, s.active)
			}
		})
		if !ok {
			break // later steps build on this one
		}
	}
}
