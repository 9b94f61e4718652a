package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// The canceling timeline, day by day on a fake clock: an agent's primary
// number canceled on day 3 of its billing period still places the agent's
// calls on day 20; a cancellation taken back on day 10 and made again
// changes nothing of that; once the period has ended the sweeper releases
// it at the provider, it is no longer listed in service, and the agent's
// next call in its area code buys a new number.
func TestCancelingTimeline(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	day0 := time.Date(2026, 11, 4, 15, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return day0.AddDate(0, 0, n) }
	e.clock.Set(day0)
	ann, err := e.db.CreateAgent(ctx, dialer.Agent{Name: "Ann Agent", Phone: "+13105550101", Role: dialer.RoleSupervisor, Active: true, CreatedAt: day0})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.Assign(ctx, n.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	calls := &dialer.Reservations{Store: e.db, Provider: e.prov, Clock: e.clock, Agent: ann.ID}
	call := func(when time.Time) dialer.Reservation {
		t.Helper()
		e.clock.Set(when)
		r, err := calls.Acquire(ctx, dialer.Contact{Name: "Carol", Phone: "+14155550177"}, nil)
		if err != nil {
			t.Fatalf("a call on %s: %v", when.Format(time.DateOnly), err)
		}
		return r
	}

	e.clock.Set(day(3))
	canceled, err := e.res.Cancel(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	end := canceled.BillingPeriodEnd
	if !end.Equal(time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("canceled on day 3, the period ends %s", end)
	}
	e.clock.Set(day(10))
	if _, err := e.res.Uncancel(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.res.Cancel(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if r := call(day(20)); r.Number.ID != n.ID || r.Bought {
		t.Fatalf("on day 20 the agent's call got %s (bought %v), not the canceling primary number %s", r.Number.PhoneNumber, r.Bought, n.PhoneNumber)
	}
	e.clock.Set(end.Add(-time.Minute))
	if res, err := e.res.Sweep(ctx); err != nil || len(res.Released) != 0 {
		t.Fatalf("a sweep a minute before the period ends: %+v, %v", res, err)
	}
	e.clock.Set(end.Add(time.Hour))
	if res, err := e.res.Sweep(ctx); err != nil || len(res.Released) != 1 || e.prov.ownedCount() != 0 {
		t.Fatalf("the sweep after the period ended: %+v, %v; the provider owns %d", res, err, e.prov.ownedCount())
	}
	if live := e.numbers(dialer.StatusActive, dialer.StatusPastDue, dialer.StatusCanceling); len(live) != 0 {
		t.Errorf("after its release the number is still listed in service: %+v", live)
	}
	if r := call(end.Add(2 * time.Hour)); r.Number.ID == n.ID || !r.Bought {
		t.Errorf("after the release the agent's call got %s (bought %v)", r.Number.PhoneNumber, r.Bought)
	}
}
