package dialer_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// onEngines runs test on a new SQLite file and a new PostgreSQL database.
func onEngines(t *testing.T, test func(t *testing.T, target string)) {
	for _, eng := range []struct {
		name   string
		target func(*testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "dialer.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
	} {
		t.Run(eng.name, func(t *testing.T) { test(t, eng.target(t)) })
	}
}

// wornNumber buys an on-demand number for 415 whose 30 calls were answered
// once, beside a dedicated 415 number whose 30 calls were answered 15
// times: the on-demand one is at risk. It returns it, and the dedicated one.
func (e *env) wornNumber() (worn, other dialer.Number) {
	e.t.Helper()
	ctx := context.Background()
	r, err := e.res.Acquire(ctx, contact("+14155550123"), nil)
	if err != nil || !r.Bought {
		e.t.Fatalf("first purchase: %+v %v", r, err)
	}
	worn = r.Number
	if other, err = e.res.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "415"}); err != nil {
		e.t.Fatal(err)
	}
	c, err := e.db.CreateContact(ctx, dialer.Contact{Name: "Walter", Phone: "+12125550143", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	for i := range 30 {
		for _, n := range []dialer.Number{worn, other} {
			at := now.Add(-time.Duration(i+1) * time.Minute)
			call, err := e.db.StartCall(ctx, dialer.Call{ContactID: c.ID, NumberID: n.ID, AgentName: "A", AgentPhone: "+14155550199",
				CallerID: n.PhoneNumber, Confirm: dialer.ConfirmAuto, StartedAt: at})
			if err != nil {
				e.t.Fatal(err)
			}
			outcome := dialer.OutcomeNoAnswer
			if (n.ID == worn.ID && i == 0) || (n.ID == other.ID && i%2 == 0) {
				outcome = dialer.OutcomeAnswered
			}
			if err := e.db.FinishCall(ctx, call.ID, outcome, "", at.Add(time.Second)); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	return worn, other
}

func TestRotateAtRiskBuysOnceAndCancelsTheWornNumber(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		e := newEnvWith(t, target, newFakeNumbers(), store.Options{Create: true})
		e.prov.delay = 30 * time.Millisecond // a purchase in flight while the others arrive
		worn, _ := e.wornNumber()
		e.settings(func(s *dialer.Settings) { s.RotateAtRisk, s.ReservationFee = true, dialer.MustMoney("0.50", "USD") })
		fees, bought := len(e.charges()), e.prov.purchases()

		const callers = 8
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ids      = map[int64]int{}
			rotated  int
			messages []string
		)
		start := make(chan struct{})
		for range callers {
			wg.Go(func() {
				<-start
				r, err := e.res.Acquire(context.Background(), contact("+14155550123"), func(p dialer.Pending) {
					mu.Lock()
					messages = append(messages, p.Message)
					mu.Unlock()
				})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				ids[r.Number.ID]++
				if r.Rotated != nil {
					rotated++
					if r.Rotated.ID != worn.ID || r.Rotated.Status != dialer.StatusCanceling || !r.Bought {
						t.Errorf("rotating call: %+v", r)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if got := e.prov.purchases() - bought; got != 1 {
			t.Errorf("%d racing calls rotating one number bought %d numbers; want 1", callers, got)
		}
		cs := e.charges()
		if len(cs) != fees+1 || cs[0].Amount != dialer.MustMoney("0.50", "USD") {
			t.Errorf("fees: %d new, newest %+v; want one of 0.50 USD", len(cs)-fees, cs[0])
		}
		if len(ids) != 1 || ids[worn.ID] != 0 || rotated != 1 {
			t.Errorf("numbers handed out %v, rotations reported %d; want every call on the one new number, one rotation", ids, rotated)
		}
		got, err := e.db.Number(context.Background(), worn.ID)
		if err != nil || got.Status != dialer.StatusCanceling || got.BillingPeriodEnd.IsZero() {
			t.Errorf("worn number after rotation: %s until %s, %v", got.Status, got.BillingPeriodEnd, err)
		}
		if !strings.Contains(strings.Join(messages, "\n"), worn.PhoneNumber+" is at risk (answered 3% of its calls against 27% for the area code's numbers): getting a new number for area code 415") {
			t.Errorf("pending messages do not say why:\n%s", strings.Join(messages, "\n"))
		}
		// The next calls keep the new number: it is not at risk.
		r, err := e.res.Acquire(context.Background(), contact("+14155550123"), nil)
		if err != nil || r.Bought || r.Rotated != nil || ids[r.Number.ID] == 0 {
			t.Errorf("the call after: %+v %v", r, err)
		}
	})
}

func TestRotateAtRiskOffReusesTheWornNumber(t *testing.T) {
	onEngines(t, func(t *testing.T, target string) {
		var q store.QueryCounter
		e := newEnvWith(t, target, newFakeNumbers(), store.Options{Create: true, Queries: &q})
		worn, _ := e.wornNumber()
		ctx := context.Background()
		set, err := e.db.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fees, bought := len(e.charges()), e.prov.purchases()
		area, _ := dialer.LocalArea(contact("+14155550123"))
		decide := func() (dialer.Reservation, int64) {
			t.Helper()
			q0 := q.Load()
			r, err := e.res.AcquireArea(ctx, area, set, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r, q.Load() - q0
		}
		off, offQueries := decide()
		if off.Number.ID != worn.ID || off.Bought || e.prov.purchases() != bought || len(e.charges()) != fees {
			t.Errorf("rotate_at_risk off: %+v; want the worn number reused, nothing bought", off)
		}
		// On, the one decision that keeps a number reads its usage before
		// it extends the reservation: its number's SELECT and its usage,
		// where off finds and extends it in one UPDATE. Two statements more.
		e.settings(func(s *dialer.Settings) { s.RotateAtRisk = true })
		set.RotateAtRisk = true
		if _, err := e.res.Cancel(ctx, worn.ID); err != nil { // nothing at risk to judge but the new one
			t.Fatal(err)
		}
		r, _ := decide() // buys a number: not at risk
		if !r.Bought || r.Rotated != nil {
			t.Fatalf("after canceling the worn number: %+v", r)
		}
		on, onQueries := decide()
		if on.Number.ID != r.Number.ID || onQueries != offQueries+2 {
			t.Errorf("decision statements: %d off, %d on; want two more on", offQueries, onQueries)
		}
	})
}

// An at-risk number the provider has no replacement for stays in use for
// the call; the purchase charged nothing.
func TestRotateAtRiskKeepsTheWornNumberWhenNoneCanBeBought(t *testing.T) {
	e := newEnv(t)
	worn, _ := e.wornNumber()
	e.settings(func(s *dialer.Settings) { s.RotateAtRisk, s.RegionFallback = true, false })
	fees := len(e.charges())
	e.prov.failNext = []error{dialer.Errorf(dialer.ENOTAVAILABLE, "none left in 415")}
	r, err := e.res.Acquire(context.Background(), contact("+14155550123"), nil)
	if err != nil || r.Number.ID != worn.ID || r.Bought || r.Rotated != nil || len(e.charges()) != fees {
		t.Fatalf("rotation with nothing to buy: %+v %v; want the worn number, nothing charged", r, err)
	}
	if got, _ := e.db.Number(context.Background(), worn.ID); got.Status != dialer.StatusActive {
		t.Errorf("worn number %s; want it still active", got.Status)
	}
	// The next call tries again, and rotates.
	r, err = e.res.Acquire(context.Background(), contact("+14155550123"), nil)
	if err != nil || !r.Bought || r.Rotated == nil || r.Rotated.ID != worn.ID {
		t.Errorf("next call: %+v %v; want it rotated", r, err)
	}
}

// Rotation reports what it will do before it does: Rotation says why the
// next call in the area code replaces the number.
func TestRotationPreview(t *testing.T) {
	e := newEnv(t)
	worn, other := e.wornNumber()
	ctx := context.Background()
	set, _ := e.db.Settings(ctx)
	if why, err := e.res.Rotation(ctx, worn, set); err != nil || why != nil {
		t.Errorf("setting off: %q %v", why, err)
	}
	set.RotateAtRisk = true
	why, err := e.res.Rotation(ctx, worn, set)
	if err != nil || len(why) != 1 || !strings.Contains(why[0], "answered 3%") {
		t.Errorf("worn number: %q %v", why, err)
	}
	if why, err := e.res.Rotation(ctx, other, set); err != nil || why != nil {
		t.Errorf("dedicated number: %q %v; dedicated numbers are not rotated", why, err)
	}
}
