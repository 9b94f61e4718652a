package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// Number health end to end, over HTTP against the emulator with a real
// SQLite store: an earlier 415 number's calls were answered as usual; the
// emulator makes callees answer the current 415 number's calls 5% of the
// time. After 40 calls it is flagged at risk. With rotate_at_risk off the
// next call still uses it; turned on, the preview says the next call
// replaces it, and that call buys exactly one new number, charges one fee,
// and leaves the worn number canceling until its billing period ends.
func TestAtRiskNumberRotatesEndToEnd(t *testing.T) {
	// Callees hang up after 60 s (300 ms here): the calls end by
	// themselves, answered or not, yet last long enough for the session's
	// polls to see them answered on a loaded machine.
	w := newCallWorld(t, opts{emu: twilioemu.Config{TalkTime: 60 * time.Second}})
	ctx := context.Background()
	seq := 0
	call := func() dialer.Call {
		t.Helper()
		seq++
		c := w.contact(t, fmt.Sprintf("Contact %d", seq), fmt.Sprintf("+1415555%04d", 6000+seq))
		got, _, err := w.place(t, dialer.CallOptions{Contact: c, Confirm: dialer.ConfirmAuto}, nil)
		if err != nil {
			t.Fatalf("call %d: %v", seq, err)
		}
		return got
	}
	answered := func(calls []dialer.Call) int {
		n := 0
		for _, c := range calls {
			if c.Outcome == dialer.OutcomeAnswered {
				n++
			}
		}
		return n
	}

	// History: an earlier number of the area code, answered as usual.
	var earlier []dialer.Call
	for range 20 {
		earlier = append(earlier, call())
	}
	if n := answered(earlier); n < 18 {
		t.Fatalf("%d of 20 calls from the earlier number answered; want all (18 at least, on a loaded machine)", n)
	}
	if _, err := w.res.Release(ctx, earlier[0].NumberID); err != nil {
		t.Fatal(err)
	}

	// The current number: callees answer one call in twenty from it.
	first := call()
	worn, err := w.db.Number(ctx, first.NumberID)
	if err != nil || !first.NewNumber || worn.ID == earlier[0].NumberID {
		t.Fatalf("first call after the release: %+v %v; want a new number", first, err)
	}
	if err := w.emu.SetAnswerRate(worn.PhoneNumber, 0.05); err != nil {
		t.Fatal(err)
	}
	var current []dialer.Call
	for range 40 {
		c := call()
		if c.NumberID != worn.ID {
			t.Fatalf("call %d used number %d; want the current number %d", seq, c.NumberID, worn.ID)
		}
		current = append(current, c)
	}
	if n := answered(current); n > 2 {
		t.Fatalf("%d of 40 calls from the worn number answered; want 2 (5%%)", n)
	}

	set, err := w.db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := w.clock.Now()
	u, err := w.db.NumberUsage(ctx, worn.ID, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	why := u.AtRisk(set)
	// 3 of its 41 calls answered (its first was before the emulator's
	// setting), against 23 of the area code's 61: "answered 7% of its calls
	// against 38% for the area code's numbers", give or take a call a
	// loaded machine saw end unanswered.
	if len(why) != 1 || !strings.HasPrefix(why[0], "answered ") || !strings.HasSuffix(why[0], "% for the area code's numbers") {
		t.Fatalf("worn number's usage %+v: at risk %q; want flagged for its answer rate", u, why)
	}

	// Off: nothing rotates.
	bought, fees := w.purchases(), len(w.charges(t))
	if r, err := w.res.Rotation(ctx, worn, set); err != nil || r != nil {
		t.Errorf("preview with rotate_at_risk off: %q %v", r, err)
	}
	if c := call(); c.NumberID != worn.ID || c.NewNumber || w.purchases() != bought || len(w.charges(t)) != fees {
		t.Errorf("rotate_at_risk off: call %+v; want the worn number, nothing bought", c)
	}

	// On: the preview says why, the next call rotates.
	set.RotateAtRisk, set.ReservationFee = true, dialer.MustMoney("0.50", "USD")
	if err := w.db.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if worn, err = w.db.Number(ctx, worn.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := w.res.Rotation(ctx, worn, set); err != nil || len(r) != 1 || !strings.Contains(r[0], "answered") {
		t.Errorf("preview with rotate_at_risk on: %q %v; want why the number is replaced", r, err)
	}
	rotated := call()
	if !rotated.NewNumber || rotated.NumberID == worn.ID || rotated.FeeChargeID == 0 {
		t.Errorf("rotating call %+v; want a new number with its fee", rotated)
	}
	if got := w.purchases() - bought; got != 1 {
		t.Errorf("the rotating call bought %d numbers; want 1", got)
	}
	cs := w.charges(t)
	if len(cs) != fees+1 || cs[0].Amount != dialer.MustMoney("0.50", "USD") || cs[0].NumberID != rotated.NumberID {
		t.Errorf("fees after the rotation: %d new, newest %+v; want one of 0.50 USD for the new number", len(cs)-fees, cs[0])
	}
	old, err := w.db.Number(ctx, worn.ID)
	if err != nil || old.Status != dialer.StatusCanceling || !old.BillingPeriodEnd.After(now) {
		t.Errorf("worn number: %s until %s, %v; want canceling until its period ends", old.Status, old.BillingPeriodEnd, err)
	}
	if rotated.Outcome != dialer.OutcomeAnswered {
		t.Errorf("the call from the new number: %s; callees answer it", rotated.Outcome)
	}
	// The worn number still works at the provider until its period ends.
	owned, err := w.prov.ListNumbers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range owned {
		found = found || o.SID == worn.ProviderSID
	}
	if !found {
		t.Error("the worn number was released at once; want it kept until its billing period ends")
	}
	// And the calls after keep the new number.
	if next := call(); next.NumberID != rotated.NumberID || next.NewNumber {
		t.Errorf("call after the rotation: %+v", next)
	}
	if !strings.Contains(w.logs.String(), "at-risk number rotated") {
		t.Error("no log line says the number was rotated")
	}
}
