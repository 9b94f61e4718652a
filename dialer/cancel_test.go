package dialer_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

func TestBillingPeriodEnd(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ bought, now, want string }{
		{"2026-03-10 09:00", "2026-12-06 12:00", "2026-12-10 09:00"}, // this month's anniversary is ahead
		{"2026-03-10 09:00", "2026-12-10 09:00", "2027-01-10 09:00"}, // it is now: the next one
		{"2026-03-10 09:00", "2026-12-20 00:00", "2027-01-10 09:00"}, // passed this month
		{"2026-01-31 10:00", "2027-02-05 00:00", "2027-02-28 10:00"}, // no 31st in February: its last day
		{"2026-01-31 10:00", "2027-03-01 00:00", "2027-03-31 10:00"},
		{"2026-11-30 10:00", "2028-02-01 00:00", "2028-02-29 10:00"}, // a leap year
	} {
		if got := dialer.BillingPeriodEnd(d(c.bought), d(c.now)); !got.Equal(d(c.want)) {
			t.Errorf("bought %s, now %s: period ends %s, want %s", c.bought, c.now, got.Format("2006-01-02 15:04"), c.want)
		}
	}
}

// Canceling a number keeps it until its billing period ends, when the
// sweeper releases it at the provider; before that the cancellation can be
// taken back, and the sweep leaves it alone.
func TestCancelKeepsTheNumberUntilItsPeriodEnds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	canceled, err := e.res.Cancel(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	end := dialer.BillingPeriodEnd(n.ActivatedAt, e.clock.Now())
	if canceled.Status != dialer.StatusCanceling || !canceled.BillingPeriodEnd.Equal(end) {
		t.Fatalf("canceled: %s until %s; want canceling until %s", canceled.Status, canceled.BillingPeriodEnd, end)
	}
	if _, err := e.res.Cancel(ctx, n.ID); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("canceling twice: %v", err)
	}
	e.clock.Set(end.Add(-time.Hour))
	if res, err := e.res.Sweep(ctx); err != nil || len(res.Released) != 0 || e.prov.ownedCount() != 1 {
		t.Fatalf("a sweep an hour before the period ends released %d (%v); the provider owns %d", len(res.Released), err, e.prov.ownedCount())
	}
	back, err := e.res.Uncancel(ctx, n.ID)
	if err != nil || back.Status != dialer.StatusActive || !back.BillingPeriodEnd.IsZero() {
		t.Fatalf("taking the cancellation back: %+v, %v", back, err)
	}
	if _, err := e.res.Uncancel(ctx, n.ID); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("taking back a cancellation twice: %v", err)
	}
	if _, err := e.res.Cancel(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(end.Add(time.Hour))
	res, err := e.res.Sweep(ctx)
	if err != nil || len(res.Released) != 1 || e.prov.ownedCount() != 0 {
		t.Fatalf("the sweep after the period ended released %d (%v); the provider still owns %d", len(res.Released), err, e.prov.ownedCount())
	}
	if got, _ := e.db.Number(ctx, n.ID); got.Status != dialer.StatusReleased {
		t.Errorf("after the sweep: %s", got.Status)
	}
}

// A number's name goes to the provider before the tag reconcile knows it
// by; reconcile still recognises the number; the screen shows the name
// alone; bad names are refused with nothing changed.
func TestRenameKeepsTheTagReconcileKnows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	tag := dialer.Tag(e.db.InstanceID(), n.ID)
	got, err := e.res.Rename(ctx, n.ID, "  Sales West  ")
	if err != nil || got.FriendlyName != "Sales West "+tag || dialer.NumberName(got.FriendlyName) != "Sales West" {
		t.Fatalf("rename: %q, %v", got.FriendlyName, err)
	}
	owned, _ := e.prov.ListNumbers(ctx)
	if len(owned) != 1 || owned[0].FriendlyName != "Sales West "+tag {
		t.Fatalf("at the provider: %+v", owned)
	}
	if inst, id, ok := dialer.ParseTag(owned[0].FriendlyName); !ok || inst != e.db.InstanceID() || id != n.ID {
		t.Fatalf("the tag after a name: %s %d %v", inst, id, ok)
	}
	// Reconcile finds it ours and in order: nothing adopted, released or lost.
	res, err := e.res.Reconcile(ctx)
	if err != nil || len(res.Adopted)+len(res.Released)+len(res.Vanished)+len(res.Unmanaged) != 0 {
		t.Fatalf("reconcile after a rename: %+v, %v", res, err)
	}
	for _, bad := range []string{"a name far too long for the provider to keep", "tab\there", "x dialer:abc:1"} {
		if _, err := e.res.Rename(ctx, n.ID, bad); dialer.ErrorKind(err) != dialer.EINVALID {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	if got, err := e.res.Rename(ctx, n.ID, ""); err != nil || got.FriendlyName != tag || dialer.NumberName(got.FriendlyName) != "" {
		t.Errorf("taking the name away: %q, %v", got.FriendlyName, err)
	}
	if dialer.NumberName(tag) != "" || dialer.NumberName("Old name") != "Old name" {
		t.Errorf("NumberName of a bare tag %q, of a name without tag %q", dialer.NumberName(tag), dialer.NumberName("Old name"))
	}
}

// pricing is a provider's pricing as a test sets it.
type pricing struct{ balance, monthly dialer.Money }

func (p pricing) Balance(context.Context) (dialer.Money, error) { return p.balance, nil }
func (p pricing) NumberMonthlyPrice(context.Context, string) (dialer.Money, error) {
	return p.monthly, nil
}
func (p pricing) VoiceRate(context.Context, string, string) (dialer.Money, error) {
	return dialer.Money{}, nil
}

// A purchase's review says what it costs, and refuses a purchase the
// balance cannot pay for, before anything is bought.
func TestReviewSaysWhatItCostsAndRefusesAnEmptyBalance(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rv, err := e.res.Review(ctx, dialer.DedicatedRequest{AreaCode: "415"},
		pricing{dialer.MustMoney("20.00", "USD"), dialer.MustMoney("1.15", "USD")})
	if err != nil || rv.MonthlyPrice == nil || *rv.MonthlyPrice != dialer.MustMoney("1.15", "USD") || rv.Candidate == nil ||
		rv.Live != 0 || rv.Max != 50 || rv.Where != "area code 415 (San Francisco, CA)" {
		t.Fatalf("review %+v, %v", rv, err)
	}
	_, err = e.res.Review(ctx, dialer.DedicatedRequest{AreaCode: "415"}, pricing{dialer.MustMoney("0.00", "USD"), dialer.MustMoney("1.15", "USD")})
	if dialer.ErrorKind(err) != dialer.EREFUSED || err.Error() != "the account balance is 0.00 USD: add funds before buying a number; nothing was bought" {
		t.Errorf("with no balance: %v", err)
	}
	if e.prov.purchases() != 0 {
		t.Errorf("a review bought %d numbers", e.prov.purchases())
	}
}

func TestProratedRental(t *testing.T) {
	monthly := dialer.MustMoney("1.15", "USD")
	at := func(s string) time.Time {
		v, _ := time.Parse("2006-01-02 15:04", s)
		return v
	}
	for _, c := range []struct {
		held, until, now string
		want             string
	}{
		{"2026-11-21 09:00", "", "2026-11-30 18:00", "0.383333"},                 // 10 days of a 30-day month
		{"2026-09-02 09:00", "", "2026-11-30 18:00", "1.15"},                     // the whole month
		{"2026-11-01 00:00", "2026-11-05 12:00", "2026-11-30 18:00", "0.191666"}, // released on the 5th: 5 days
		{"2026-12-01 10:00", "", "2026-11-30 18:00", "0"},                        // not yet held
	} {
		var until time.Time
		if c.until != "" {
			until = at(c.until)
		}
		if got := dialer.ProratedRental(monthly, at(c.held), until, at(c.now)); got != dialer.MustMoney(c.want, "USD") {
			t.Errorf("held %s-%s, now %s: %s, want %s", c.held, c.until, c.now, got, c.want)
		}
	}
}

func TestAtRisk(t *testing.T) {
	set := dialer.DefaultSettings()
	healthy := dialer.NumberUsage{Month: 40, Answered: 16, Short: 4, AreaCalls: 400, AreaAnswered: 160}
	if why := healthy.AtRisk(set); len(why) != 0 {
		t.Errorf("a number answered like its area code's: %v", why)
	}
	few := dialer.NumberUsage{Month: 10, Answered: 0, AreaCalls: 400, AreaAnswered: 200}
	if why := few.AtRisk(set); len(why) != 0 {
		t.Errorf("10 calls are too few to judge: %v", why)
	}
	ignored := dialer.NumberUsage{Month: 40, Answered: 6, Short: 1, AreaCalls: 400, AreaAnswered: 160}
	if why := ignored.AtRisk(set); len(why) != 1 || why[0] != "answered 15% of its calls against 40% for the area code's numbers" {
		t.Errorf("answered far less than its area code's numbers: %v", why)
	}
	short := dialer.NumberUsage{Month: 40, Answered: 20, Short: 15, AreaCalls: 400, AreaAnswered: 200}
	if why := short.AtRisk(set); len(why) != 1 || why[0] != "75% of its answered calls lasted under 30 s" {
		t.Errorf("mostly short calls: %v", why)
	}
	set.NumberDailyCap = 50
	busy := dialer.NumberUsage{Today: 51, Month: 51, Answered: 20, AreaCalls: 51, AreaAnswered: 20}
	if why := busy.AtRisk(set); len(why) != 1 || why[0] != "51 calls today, over the cap of 50 a number" {
		t.Errorf("over the daily cap: %v", why)
	}
}
