package dialer_test

import (
	"context"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

func TestBuyDedicatedAndRelease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "212"})
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != dialer.Dedicated || n.Status != dialer.StatusActive || n.AreaCode != "212" || !n.ReservedUntil.IsZero() || !n.LastUsedAt.IsZero() {
		t.Errorf("dedicated number %+v", n)
	}
	if len(e.charges()) != 0 {
		t.Errorf("a dedicated number was charged the reservation fee")
	}
	// A dedicated number is not swept, however long it sits unused.
	e.clock.Set(e.clock.Now().Add(400 * day))
	if sw, _ := e.res.Sweep(ctx); len(sw.Released) != 0 {
		t.Errorf("sweep released a dedicated number")
	}
	// Calls in its area code still get an on-demand number of their own:
	// dedicated numbers belong to whoever they are assigned to.
	if r, err := e.res.Acquire(ctx, contact("+12125550199"), nil); err != nil || !r.Bought || r.Number.Kind != dialer.OnDemand {
		t.Errorf("acquire in 212: %+v, %v", r, err)
	}

	exact, _ := e.prov.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "303"})
	m, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{PhoneNumber: exact[1].PhoneNumber})
	if err != nil || m.PhoneNumber != exact[1].PhoneNumber {
		t.Fatalf("exact purchase: %+v, %v", m, err)
	}

	rel, err := e.res.Release(ctx, n.ID)
	if err != nil || rel.Status != dialer.StatusReleased {
		t.Fatalf("release: %+v, %v", rel, err)
	}
	if _, err := e.res.Release(ctx, n.ID); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("releasing twice: %v", err)
	}
	if e.prov.ownedCount() != 2 {
		t.Errorf("provider owns %d, want 2 after one release", e.prov.ownedCount())
	}
}

func TestBuyDedicatedRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, req := range []dialer.DedicatedRequest{
		{}, {AreaCode: "41"}, {AreaCode: "abc"}, {AreaCode: "415", PhoneNumber: "+14155550100"}, {PhoneNumber: "nope"},
	} {
		if _, err := e.res.BuyDedicated(ctx, req); dialer.ErrorKind(err) != dialer.EINVALID {
			t.Errorf("%+v: %v, want invalid", req, err)
		}
	}
	e.settings(func(s *dialer.Settings) { s.MaxNumbers = 0 })
	if _, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "415"}); dialer.ErrorKind(err) != dialer.ELIMIT {
		t.Errorf("over the maximum: %v", err)
	}
	e.settings(func(s *dialer.Settings) { s.MaxNumbers = 5 })
	e.prov.failNext = []error{dialer.Errorf(dialer.EAREACODE, "bad area code")}
	if _, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "415"}); dialer.ErrorKind(err) != dialer.EAREACODE {
		t.Errorf("provider refusal: %v", err)
	}
	if e.prov.purchases() != 0 || len(e.numbers(dialer.StatusActive, dialer.StatusPending)) != 0 {
		t.Errorf("refusals left purchases or live numbers")
	}
}
