package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// movingClock is a test clock the UI reads; the test moves it.
type movingClock struct{ t atomic.Int64 }

func newMovingClock(t time.Time) *movingClock {
	c := &movingClock{}
	c.t.Store(t.UnixNano())
	return c
}
func (c *movingClock) Now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *movingClock) advance(d time.Duration) { c.t.Add(int64(d)) }

// The day's screens, as the terminal receives them: the header with the
// day's figures, the callback picker with a moved time, the pre-dial card
// and the session's summary.
func TestGoldenDayScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		sz := itoa(w) + "x" + itoa(h)
		t.Run(sz, func(t *testing.T) {
			d := newDriver(t, New(testDeps(t, agent)), w, h)
			d.until("Walter Skinner")
			d.until("No calls yet.")
			d.until("0 callbacks due")
			d.settle(50*time.Millisecond, 2*time.Second)
			usd := func(s string) dialer.Money { return dialer.MustMoney(s, "USD") }
			d.send(dayMsg{gen: d.m.(Model).day.asked.Add(1), at: fixedNow, due: 3, stats: dialer.DayStats{Calls: 12, Connects: 5,
				TalkTime: 35*time.Minute + 10*time.Second, NumberFees: usd("2.00"), CallSpend: usd("0.4213"), Unpriced: 1}})
			d.until("3 callbacks due")
			golden(t, "header-figures-"+sz, d.m.View().Content)

			d.keys("esc", "b")
			d.until("Call back Walter Skinner: when?")
			d.keys("t")
			d.typeText("today 10pm")
			d.keys("enter")
			d.until("moved to Thu Nov 19")
			golden(t, "callback-picker-"+sz, d.m.View().Content)
			d.keys("esc", "esc", "esc") // the typed time, the picks, the picker
			d.until("1 of 4")

			d.keys("p")
			d.until("will be bought: fee")
			golden(t, "session-card-"+sz, d.m.View().Content)
			d.keys("s") // Walter
			d.until("Zoë Ångström · Nordic Outdoor")
			d.keys("x")
			d.until("Power-dial session over all contacts: done")
			golden(t, "session-summary-"+sz, d.m.View().Content)
		})
	}
}

// The callback picker from the contacts screen: a quick pick and a typed
// time moved into calling hours, the note said before saving; then the
// header's count and the row's badge as the callback comes due, the
// contact listed first, and the callback canceled.
func TestCallbackPicker(t *testing.T) {
	deps := testDeps(t, agent)
	clk := newMovingClock(fixedNow) // 1 PM in Austin, Linus' area code
	deps.Clock = clk
	d := newDriver(t, New(deps), 120, 40)
	d.until("Linus Busy")
	d.until("0 callbacks due")
	d.keys("esc", "G", "b")
	s := d.until("Call back Linus Busy: when?")
	if !strings.Contains(s, "Their time now: Wed 1:00 PM America/Chicago") {
		t.Errorf("picker:\n%s", s)
	}
	d.keys("t")
	d.until("in the contact's time")
	d.typeText("tomorrow 7am")
	d.keys("enter")
	s = d.until("Callback: 7:00 AM is outside calling hours (08:00-21:00) for Linus Busy in America/Chicago; moved to Thu Nov 19 8:00 AM")
	if cbs, _ := deps.Store.Callbacks(context.Background(), dialer.CallbackFilter{}); len(cbs) != 0 {
		t.Fatalf("saved before enter: %v", cbs)
	}
	d.keys("esc", "esc") // change the typed time, then back to the picks
	d.keys("1")   // in 1 hour
	d.until("Callback: Wed Nov 18 2:00 PM for Linus Busy, their time (America/Chicago)")
	d.keys("enter")
	d.until("Callback saved: Wed Nov 18 2:00 PM")
	cbs, err := deps.Store.Callbacks(context.Background(), dialer.CallbackFilter{Open: true})
	if err != nil || len(cbs) != 1 || !cbs[0].Due.Equal(fixedNow.Add(time.Hour)) || cbs[0].CreatedBy != agent.Name {
		t.Fatalf("callbacks %+v, %v", cbs, err)
	}
	row := func(s, name string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, name) {
				return l
			}
		}
		return ""
	}
	s = d.until("↻ " + localTime(cbs[0].Due))
	if !strings.Contains(row(s, "Linus Busy"), "↻ "+localTime(cbs[0].Due)) || !strings.Contains(s, "0 callbacks due") {
		t.Errorf("scheduled, not due:\n%s", s)
	}

	// Due: the header counts it, the row says so, and it comes first.
	clk.advance(90 * time.Minute)
	d.send(dayTickMsg{})
	s = d.until("1 callback due")
	if !strings.Contains(row(s, "Linus Busy"), "↻ due") {
		t.Errorf("due:\n%s", s)
	}
	if m := d.m.(Model); m.contacts.res.Matches[0].ID != cbs[0].ContactID || m.contacts.cursor != 0 {
		t.Errorf("Linus is not first, or the cursor left him: %v, cursor %d", m.contacts.res.Matches[:2], m.contacts.cursor)
	}
	clk.advance(2 * time.Hour)
	d.send(dayTickMsg{})
	d.until("↻ overdue")

	// b again: the open callback is shown, and x cancels it.
	d.keys("b")
	s = d.until("Open callback: Wed Nov 18 2:00 PM their time")
	if !strings.Contains(s, "x cancel callback") {
		t.Errorf("no cancel key in help:\n%s", s)
	}
	d.keys("x")
	d.until("Callback for Linus Busy canceled.")
	s = d.until("0 callbacks due")
	if strings.Contains(s, "↻") {
		t.Errorf("badge after cancel:\n%s", s)
	}
}
