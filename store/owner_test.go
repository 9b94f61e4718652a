package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// A pending purchase keeps who runs it and when it asked the provider;
// asking is recorded only while it is pending.
func testPendingPurchaseKeepsItsOwnerAndWhenItAsked(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	owner := dialer.Owner{Machine: "host/boot/pid:[1]", PID: 4242, Start: "98765"}
	cl, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 10, Owner: owner})
	if err != nil || cl.Action != dialer.ClaimBuy {
		t.Fatal(cl, err)
	}
	if cl.Number.Owner != owner || !cl.Number.AskedAt.IsZero() {
		t.Errorf("claimed %+v", cl.Number)
	}
	if err := db.MarkAsked(ctx, cl.Number.ID, t0.Add(1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := db.Number(ctx, cl.Number.ID)
	if err != nil || n.Owner != owner || !n.AskedAt.Equal(t0.Add(1500*time.Millisecond)) {
		t.Errorf("read back %+v, %v", n, err)
	}
	d, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "212", Now: t0, MaxNumbers: 10, Owner: owner})
	if err != nil || d.Owner != owner {
		t.Errorf("dedicated purchase %+v, %v", d, err)
	}
	if err := db.FailNumber(ctx, cl.Number.ID, "x"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAsked(ctx, cl.Number.ID, t0); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("marking a failed purchase asked: %v, want a conflict", err)
	}
	if err := db.MarkAsked(ctx, 999, t0); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("marking an unknown purchase asked: %v, want not found", err)
	}
}

// A number canceled keeps working until its billing period's end; the
// cancellation can be taken back while it is canceling; other states say
// what they are.
func testCancelAndTakeBack(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	cl := claim(t, db, "415", 10)
	n, _ := activate(t, db, cl.Number.ID, "+14155550100", "PNc")
	end := t0.Add(20 * 24 * time.Hour)
	got, err := db.CancelNumber(ctx, n.ID, end)
	if err != nil || got.Status != dialer.StatusCanceling || !got.BillingPeriodEnd.Equal(end) {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	if _, err := db.CancelNumber(ctx, n.ID, end); dialer.ErrorKind(err) != dialer.ECONFLICT ||
		err.Error() != "+14155550100 is canceling: it cannot become canceling" {
		t.Errorf("canceling twice: %v", err)
	}
	if due, _ := db.DueReleases(ctx, end.Add(-time.Second)); len(due) != 0 {
		t.Errorf("due before the period ends: %+v", due)
	}
	if due, _ := db.DueReleases(ctx, end); len(due) != 1 {
		t.Errorf("not due when the period ends: %+v", due)
	}
	until := t0.Add(30 * 24 * time.Hour)
	got, err = db.UncancelNumber(ctx, n.ID, until)
	if err != nil || got.Status != dialer.StatusActive || !got.BillingPeriodEnd.IsZero() || !got.ReservedUntil.Equal(until) {
		t.Fatalf("take back: %+v, %v", got, err)
	}
	if _, err := db.UncancelNumber(ctx, n.ID, until); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("taking back twice: %v", err)
	}
	if _, err := db.CancelNumber(ctx, 999, end); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("canceling no number: %v", err)
	}
}

// A number's usage: calls today, in 7 and 30 days, answered, short, talk,
// last used; and its area code's calls to compare with.
func testNumberUsage(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	now := t0.Add(40 * 24 * time.Hour)
	day := now.Add(-2 * time.Hour)
	cl := claim(t, db, "415", 10)
	mine, _ := activate(t, db, cl.Number.ID, "+14155550100", "PNu1")
	c := mustContact(t, db, "Walter", "+12125550143")
	place := func(numberID int64, at time.Time, outcome dialer.Outcome, talk time.Duration) {
		t.Helper()
		call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, NumberID: numberID, AgentName: "A", AgentPhone: "+14155550199",
			CallerID: "+14155550100", Confirm: dialer.ConfirmAuto, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if outcome == dialer.OutcomeAnswered {
			db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprint("CAu", call.ID), To: c.Phone, Status: dialer.CallCompleted, Duration: talk})
		}
		db.FinishCall(ctx, call.ID, outcome, "", at.Add(time.Minute))
	}
	place(mine.ID, now.Add(-time.Hour), dialer.OutcomeAnswered, 20*time.Second)     // today, short
	place(mine.ID, now.Add(-3*24*time.Hour), dialer.OutcomeAnswered, 2*time.Minute) // this week
	place(mine.ID, now.Add(-20*24*time.Hour), dialer.OutcomeNoAnswer, 0)            // this month
	place(mine.ID, now.Add(-35*24*time.Hour), dialer.OutcomeAnswered, time.Minute)  // too old
	u, err := db.NumberUsage(ctx, mine.ID, day, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.Today != 1 || u.Week != 2 || u.Month != 3 || u.Answered != 2 || u.Short != 1 || u.Talk != 140*time.Second ||
		!u.LastUsed.Equal(now.Add(-time.Hour)) || u.AreaCalls != 3 || u.AreaAnswered != 2 {
		t.Errorf("usage %+v", u)
	}
	if u.AverageTalk() != 70*time.Second || u.AnswerRate() < 0.66 || u.AnswerRate() > 0.67 || u.ShortShare() != 0.5 {
		t.Errorf("average %s, answer rate %.2f, short share %.2f", u.AverageTalk(), u.AnswerRate(), u.ShortShare())
	}
}
