package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
)

// The goldens show times (a number's purchase, its last call) in the local
// zone: UTC here, whatever the machine's zone, before any test runs.
func init() { time.Local = time.UTC }

// live counts the inventory's numbers in service (or being bought).
func live(t *testing.T, d Deps) []dialer.Number {
	t.Helper()
	ns, err := d.Store.Numbers(context.Background(), dialer.NumberFilter{Statuses: dialer.LiveStatuses})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// openBuy goes to the Numbers screen, opens the buy dialog, searches area
// code 415 and waits for the numbers for sale.
func openBuy(t *testing.T, dr *driver) {
	t.Helper()
	dr.keys("esc", "2")
	dr.until("numbers in use")
	dr.keys("b")
	dr.until("Buy a dedicated number")
	dr.typeText("415")
	dr.keys("enter")
	dr.until("Numbers for sale, US area code 415")
}

// The buy dialog: the form, the numbers for sale with their place and
// monthly price, the review; n and esc buy nothing, y buys exactly the
// number reviewed, and it shows on the list.
func TestBuyDialogReviewsThenBuys(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		sz := "-" + itoa(w) + "x" + itoa(h)
		t.Run(sz[1:], func(t *testing.T) {
			noPoll(t)
			d := testDeps(t, agent)
			dr := newDriver(t, New(d), w, h)
			browse(t, dr)
			dr.keys("2")
			dr.until("0 of 50 numbers in use")
			dr.keys("b")
			dr.until("Area code")
			golden(t, "number-buy-form"+sz, dr.m.View().Content)
			dr.keys("esc")
			if m := dr.m.(Model); m.numbers.buy != nil {
				t.Fatal("esc did not close the buy dialog")
			}

			openBuy(t, dr)
			s := dr.screen()
			if !strings.Contains(s, "1.15 USD") || !strings.Contains(s, "CA") {
				t.Errorf("the numbers for sale lack their monthly price or region:\n%s", s)
			}
			golden(t, "number-buy-results"+sz, dr.m.View().Content)
			picked := dr.m.(Model).numbers.buy.found[1].PhoneNumber
			dr.keys("down", "enter")
			dr.until("Buy it? y buys it now")
			s = dr.screen()
			for _, want := range []string{picked, "1.15 USD a month", "0 in use of the organization's maximum 50", "20.00 USD", "no reservation fee"} {
				if !strings.Contains(s, want) {
					t.Errorf("the review lacks %q:\n%s", want, s)
				}
			}
			golden(t, "number-buy-review"+sz, dr.m.View().Content)

			dr.keys("n")
			dr.until("Nothing was bought.")
			dr.keys("b")
			dr.typeText("415")
			dr.keys("enter")
			dr.until("Numbers for sale")
			dr.keys("enter")
			dr.until("Buy it?")
			dr.keys("esc") // back to the list
			dr.until("Numbers for sale")
			dr.keys("esc", "esc") // the form, then away
			dr.until("0 of 50 numbers in use")
			if ns := live(t, d); len(ns) != 0 {
				t.Fatalf("n and esc bought %d numbers", len(ns))
			}

			dr.keys("b")
			dr.typeText("415")
			dr.keys("enter")
			dr.until("Numbers for sale")
			dr.keys("down", "enter")
			dr.until("Buy it?")
			dr.keys("y")
			dr.until("Bought " + picked)
			dr.until("1 of 50 numbers in use")
			ns := live(t, d)
			if len(ns) != 1 || ns[0].PhoneNumber != picked || ns[0].Kind != dialer.Dedicated || ns[0].Status != dialer.StatusActive ||
				ns[0].MonthlyPrice.StringOr("") != "1.15 USD" {
				t.Fatalf("after y: %+v", ns)
			}
			if s := dr.screen(); !strings.Contains(s, "dedicated") || !strings.Contains(s, "active") {
				t.Errorf("the list does not show the number bought:\n%s", s)
			}
		})
	}
}

// Over the organization's maximum the review says why and offers no y:
// y buys nothing.
func TestBuyDialogRefusedOverTheMaximum(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		sz := "-" + itoa(w) + "x" + itoa(h)
		t.Run(sz[1:], func(t *testing.T) {
			noPoll(t)
			d := testDeps(t, agent)
			ctx := context.Background()
			if _, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "212"}); err != nil {
				t.Fatal(err)
			}
			set, _ := d.Store.Settings(ctx)
			set.MaxNumbers = 1
			if err := d.Store.SaveSettings(ctx, set); err != nil {
				t.Fatal(err)
			}
			dr := newDriver(t, New(d), w, h)
			browse(t, dr)
			openBuy(t, dr)
			dr.keys("enter")
			s := dr.until("It cannot be bought")
			if !strings.Contains(s, "maximum 1") || !strings.Contains(s, "1.15 USD a month") || strings.Contains(s, "Buy it? y") {
				t.Errorf("the refused review:\n%s", s)
			}
			golden(t, "number-buy-refused"+sz, dr.m.View().Content)
			dr.keys("y")
			dr.settle(100*time.Millisecond, time.Second)
			if ns := live(t, d); len(ns) != 1 {
				t.Fatalf("y on a refused review: %d numbers", len(ns))
			}
			if m := dr.m.(Model); m.numbers.buy == nil || m.numbers.buy.stage != buyReview {
				t.Error("y on a refused review left the review")
			}
		})
	}
}

// An agent pressing b is told buying is for supervisors; no dialog opens.
func TestBuyDialogIsForSupervisors(t *testing.T) {
	noPoll(t)
	d := testDeps(t, dialer.Agent{ID: 7, Name: "Ann Agent", Phone: "+14155550101", Role: dialer.RoleAgent})
	dr := newDriver(t, New(d), 120, 40)
	browse(t, dr)
	dr.keys("2")
	dr.until("numbers in use")
	dr.keys("b")
	dr.until("only a supervisor may buy numbers; Ann Agent is an agent")
	if m := dr.m.(Model); m.numbers.buy != nil {
		t.Fatal("an agent opened the buy dialog")
	}
}

// A search that finds nothing, and a bad area code, say so on the form.
func TestBuyDialogSearchProblems(t *testing.T) {
	noPoll(t)
	dr := newDriver(t, New(testDeps(t, agent)), 80, 24)
	browse(t, dr)
	dr.keys("2", "b")
	dr.typeText("41")
	dr.keys("enter")
	dr.until(`area code "41": want three digits`)
	dr.typeText("5")
	dr.keys("tab") // to the digits
	dr.typeText("99999")
	dr.keys("enter")
	dr.until("No numbers for sale match US area code 415 containing 99999")
}

// callsOn records calls placed from number n: answered ones talk for talk.
func callsOn(t *testing.T, d Deps, n dialer.Number, count, answered int, talk time.Duration) {
	t.Helper()
	ctx := context.Background()
	c, err := d.Store.ContactByPhone(ctx, people[3].Phone)
	if err != nil {
		t.Fatal(err)
	}
	for i := range count {
		at := fixedNow.Add(-time.Duration(i) * 7 * time.Hour)
		call, err := d.Store.StartCall(ctx, dialer.Call{ContactID: c.ID, NumberID: n.ID, AgentName: agent.Name, AgentPhone: agent.Phone,
			CallerID: n.PhoneNumber, Confirm: dialer.ConfirmAuto, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		outcome := dialer.OutcomeNoAnswer
		if i < answered {
			outcome = dialer.OutcomeAnswered
			if err := d.Store.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprint("CAt", call.ID), To: c.Phone,
				Status: dialer.CallCompleted, Duration: talk}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Store.FinishCall(ctx, call.ID, outcome, "", at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
}

// The details pane (i, or enter) tells the selected number's place, agent,
// costs and calls; a number whose calls are rarely answered, beside one of
// the same area code whose calls are, is marked at risk on the list and
// says why in its pane.
func TestNumberDetailsPane(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		sz := "-" + itoa(w) + "x" + itoa(h)
		t.Run(sz[1:], func(t *testing.T) {
			noPoll(t)
			d := testDeps(t, agent)
			ctx := context.Background()
			worn, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
			if err != nil {
				t.Fatal(err)
			}
			good, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Numbers.FillMonthlyPrices(ctx, d.Pricing); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Numbers.Rename(ctx, good.ID, "Bay Area"); err != nil {
				t.Fatal(err)
			}
			callsOn(t, d, worn, 24, 2, 45*time.Second)
			callsOn(t, d, good, 24, 20, 2*time.Minute)
			dr := newDriver(t, New(d), w, h)
			browse(t, dr)
			dr.keys("2")
			s := dr.until("1 at risk")
			wornRow, goodRow := rowOf(s, nationalFormat(worn.PhoneNumber)), rowOf(s, nationalFormat(good.PhoneNumber))
			if !strings.HasPrefix(wornRow, "! ") || strings.HasPrefix(goodRow, "! ") {
				t.Errorf("the at-risk mark: %q, %q\n%s", wornRow, goodRow, s)
			}
			if strings.Contains(s, "average talk") {
				t.Fatalf("the details pane shows before i:\n%s", s)
			}
			dr.keys("i")
			s = dr.until("average talk")
			sel := dr.m.(Model).numbers.shown()[0]
			for _, want := range []string{"24 in 30 days", "1.15 USD a month", "dedicated, active", "no purchase fee", "area code 415"} {
				if !strings.Contains(s, want) {
					t.Errorf("the pane of %s lacks %q:\n%s", sel.PhoneNumber, want, s)
				}
			}
			// the list is newest first: the good number, then the worn one
			if sel.ID != good.ID {
				t.Fatalf("selected %s, want the newest, %s", sel.PhoneNumber, good.PhoneNumber)
			}
			if !strings.Contains(s, "Bay Area") || !strings.Contains(s, "healthy") || !strings.Contains(s, "answered") {
				t.Errorf("the good number's pane:\n%s", s)
			}
			golden(t, "number-details"+sz, dr.m.View().Content)
			dr.keys("down")
			s = dr.until("! at risk: answered 8% of its calls against 46% for the")
			golden(t, "number-details-at-risk"+sz, dr.m.View().Content)
			dr.keys("i")
			if s := dr.screen(); strings.Contains(s, "average talk") {
				t.Errorf("i again did not hide the pane:\n%s", s)
			}
		})
	}
}

// rowOf is the line of screen s that holds text.
func rowOf(s, text string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// esc while the provider is searched stops the search: the form is back at
// once, and the late answer does not open a list.
func TestBuyDialogSearchStops(t *testing.T) {
	noPoll(t)
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: testSID, AuthToken: testToken, TimeScale: 0.005})
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	prov, err := twilio.New(twilio.Config{AccountSID: testSID, AuthToken: testToken, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dr := newDriver(t, New(testDepsOn(t, agent, db, prov)), 80, 24)
	browse(t, dr)
	dr.keys("2", "b")
	emu.SetLatency(500 * time.Millisecond)
	dr.typeText("415")
	dr.keys("enter")
	dr.until("Searching numbers for sale, US area code 415")
	dr.keys("esc")
	dr.until("Digits in it")
	dr.settle(time.Second, 3*time.Second) // the late answer (had it not been stopped) comes, and is dropped
	if s := dr.screen(); strings.Contains(s, "Numbers for sale") || !strings.Contains(s, "Area code") {
		t.Errorf("after esc, the late search:\n%s", s)
	}
}
