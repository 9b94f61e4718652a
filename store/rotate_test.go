package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// wornArea seeds area code 415 for rotation: an on-demand number (worn)
// whose 30 calls were answered once, and a dedicated number of the same
// area code whose 30 calls were answered 15 times, so that worn's answer
// rate (3%) is under half the area code's (27%). It returns worn.
func wornArea(t *testing.T, db *DB, now time.Time) dialer.Number {
	t.Helper()
	ctx := context.Background()
	worn, _ := activate(t, db, claim(t, db, "415", 10).Number.ID, "+14155550100", "PNworn")
	p, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 10})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := db.ActivateNumber(ctx, p.ID, dialer.Activation{SID: "PNother", PhoneNumber: "+14155550111", AreaCode: "415", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	c := mustContact(t, db, "Walter", "+12125550143")
	for i := range 30 {
		for _, n := range []dialer.Number{worn, other} {
			at := now.Add(-time.Duration(i+1) * time.Hour)
			call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, NumberID: n.ID, AgentName: "A", AgentPhone: "+14155550199",
				CallerID: n.PhoneNumber, Confirm: dialer.ConfirmAuto, StartedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			outcome := dialer.OutcomeNoAnswer
			if (n.ID == worn.ID && i == 0) || (n.ID == other.ID && i%2 == 0) {
				outcome = dialer.OutcomeAnswered
				if err := db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprint("CAr", call.ID), To: c.Phone,
					Status: dialer.CallCompleted, Duration: 2 * time.Minute}); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.FinishCall(ctx, call.ID, outcome, "", at.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return worn
}

// rotating is a claim in 415 at now that judges the number it would reuse
// as the rotate_at_risk setting does.
func rotating(now time.Time, max int) dialer.ClaimRequest {
	set := dialer.DefaultSettings()
	return dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: now, ReserveUntil: now.Add(14 * 24 * time.Hour), MaxNumbers: max,
		Health: func(u dialer.NumberUsage) []string { return u.AtRisk(set) }, DayStart: now.Add(-time.Hour)}
}

// A claim that would reuse an at-risk on-demand number starts a purchase
// that replaces it instead; the next claims wait for that purchase; the
// purchase recorded, the worn number is canceling and claims get the new
// one. Without Health, the worn number is reused.
func testClaimRotatesAtRiskNumbers(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	now := t0.Add(5 * 24 * time.Hour)
	worn := wornArea(t, db, now)

	plain := rotating(now, 10)
	plain.Health = nil
	if cl, err := db.ClaimNumber(ctx, plain); err != nil || cl.Action != dialer.ClaimReused || cl.Number.ID != worn.ID || cl.AtRisk != nil {
		t.Fatalf("claim without Health: %+v %v; want the worn number reused", cl, err)
	}
	cl, err := db.ClaimNumber(ctx, rotating(now, 10))
	if err != nil || cl.Action != dialer.ClaimBuy || cl.Replaces == nil || cl.Replaces.ID != worn.ID ||
		len(cl.AtRisk) != 1 || !strings.Contains(cl.AtRisk[0], "answered 3% of its calls against 27%") {
		t.Fatalf("claim with Health: %+v %v; want a purchase replacing the worn number", cl, err)
	}
	if w, err := db.ClaimNumber(ctx, rotating(now, 10)); err != nil || w.Action != dialer.ClaimWait || w.Number.ID != cl.Number.ID {
		t.Fatalf("claim while the rotation's purchase is pending: %+v %v; want a wait for it", w, err)
	}
	end := now.Add(20 * 24 * time.Hour)
	fee := dialer.MustMoney("1.00", "USD")
	fresh, ch, err := db.ActivateNumber(ctx, cl.Number.ID, dialer.Activation{SID: "PNfresh", PhoneNumber: "+14155550122", AreaCode: "415",
		At: now, ReservedUntil: now.Add(14 * 24 * time.Hour), Fee: &fee, FeeKey: "reservation:fresh", Retire: worn.ID, RetireUntil: end})
	if err != nil || ch == nil {
		t.Fatalf("activating the new number: %v, fee %v", err, ch)
	}
	got, err := db.Number(ctx, worn.ID)
	if err != nil || got.Status != dialer.StatusCanceling || !got.BillingPeriodEnd.Equal(end) {
		t.Errorf("worn number after the rotation: %s until %s, %v; want canceling until %s", got.Status, got.BillingPeriodEnd, err, end)
	}
	if next, err := db.ClaimNumber(ctx, rotating(now, 10)); err != nil || next.Action != dialer.ClaimReused || next.Number.ID != fresh.ID || next.AtRisk != nil {
		t.Errorf("claim after the rotation: %+v %v; want the new number", next, err)
	}
}

// An at-risk number assigned to the calling agent, or a rotation the
// organization maximum refuses, is reused: the claim says it is at risk and
// why it was kept.
func testClaimKeepsAssignedAtRiskNumbers(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	now := t0.Add(5 * 24 * time.Hour)
	worn := wornArea(t, db, now)

	full := rotating(now, 2) // the worn number and the dedicated one
	cl, err := db.ClaimNumber(ctx, full)
	if err != nil || cl.Action != dialer.ClaimReused || cl.Number.ID != worn.ID || len(cl.AtRisk) == 0 ||
		!strings.Contains(cl.Kept, "maximum 2 numbers") {
		t.Errorf("rotation at the maximum: %+v %v; want the worn number kept, saying why", cl, err)
	}

	a, err := db.CreateAgent(ctx, dialer.Agent{Name: "Ann", Phone: "+14155550199", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AssignNumber(ctx, worn.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	req := rotating(now, 10)
	req.Agent = a.ID
	cl, err = db.ClaimNumber(ctx, req)
	if err != nil || cl.Action != dialer.ClaimReused || cl.Number.ID != worn.ID || len(cl.AtRisk) == 0 || !strings.Contains(cl.Kept, "assigned") {
		t.Errorf("agent's own at-risk number: %+v %v; want it kept, saying why", cl, err)
	}
	if ns, _ := db.Numbers(ctx, dialer.NumberFilter{Statuses: []dialer.NumberStatus{dialer.StatusPending}}); len(ns) != 0 {
		t.Errorf("%d purchases started for kept numbers", len(ns))
	}
}

// Claims racing from many handles to rotate one at-risk number: exactly
// one starts the purchase, every other waits for it.
func testRacingRotationsBuyOnce(t *testing.T, e engine) {
	const n = 12
	dbs := openMany(t, e, n)
	now := t0.Add(5 * 24 * time.Hour)
	worn := wornArea(t, dbs[0], now)
	out := make([]dialer.Claim, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = dbs[i].ClaimNumber(context.Background(), rotating(now, 10))
		})
	}
	close(start)
	wg.Wait()
	buys, waits := 0, 0
	for i, cl := range out {
		switch {
		case errs[i] != nil:
			t.Errorf("claim %d: %v", i, errs[i])
		case cl.Action == dialer.ClaimBuy && cl.Replaces != nil && cl.Replaces.ID == worn.ID:
			buys++
		case cl.Action == dialer.ClaimWait:
			waits++
		default:
			t.Errorf("claim %d: %+v", i, cl)
		}
	}
	if buys != 1 || waits != n-1 {
		t.Errorf("%d racing rotations: %d bought, %d waited; want 1 and %d", n, buys, waits, n-1)
	}
}
