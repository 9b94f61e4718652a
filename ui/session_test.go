package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
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
	d.keys("1")          // in 1 hour
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

// dialCard dials the contact on the card through the call screen, hangs
// up once connected (if it still is), and picks the outcome: down moves
// from the suggested one, then enter saves it.
func dialCard(t *testing.T, d *driver, name string, answered bool, down int) {
	t.Helper()
	s := d.until("Up because:")
	if !strings.Contains(s, name+" · ") && !strings.Contains(s, "\n"+name+"\n") {
		t.Fatalf("the card is not %s's:\n%s", name, s)
	}
	for deadline := time.Now().Add(10 * time.Second); d.m.(Model).session.card == nil; { // the card's preview
		if time.Now().After(deadline) {
			t.Fatalf("the card's preview never came:\n%s", d.screen())
		}
		d.settle(10*time.Millisecond, 100*time.Millisecond)
	}
	d.keys("enter")
	d.until("Confirm to dial")
	d.keys("enter")
	if answered {
		d.until("Contact in-progress") // answered: hanging up earlier cancels the contact's leg
		d.keys("h")
	}
	d.until("How did it go?")
	for range down {
		d.keys("j")
	}
	d.keys("enter")
}

// A whole power-dial session over ten contacts through the emulator: the
// due callback first, then those never called, then the one tried before;
// a do-not-call number, a contact whose time zone is outside calling hours
// and one at the attempt limit skipped with their reasons; an agent skip,
// a pause, a "Call back" outcome that asks when; the dispositions recorded
// and the summary.
func TestPowerDialSession(t *testing.T) {
	deps := testDeps(t, agent)
	ctx := context.Background()
	add := func(name, phone, zone string) dialer.Contact {
		c, err := deps.Store.CreateContact(ctx, dialer.Contact{Name: name, Phone: phone, TimeZone: zone, CreatedAt: fixedNow, UpdatedAt: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		e := []search.Entry{{ID: c.ID, Name: c.Name, Phone: c.Phone}}
		deps.Index.AddBatch(e)
		deps.Directory.AddBatch(e)
		return c
	}
	calls := func(c dialer.Contact, n int) {
		for range n {
			if _, err := deps.Store.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: agent.Name, AgentPhone: agent.Phone,
				CallerID: "+12125550100", Confirm: dialer.ConfirmTerminal, StartedAt: fixedNow.Add(-48 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	eve := add("Eve Early", "+12125550105", "")
	add("Tom Tokyo", "+12125550106", "Asia/Tokyo") // 4 AM there
	calls(add("Ada Attempts", "+12125550107", ""), 5)
	calls(add("Rex Retry", "+12125550108", ""), 1)
	add("Vic Voicemail", "+12125553333", "")
	add("Nat New", "+12125550110", "")
	if _, err := deps.Store.ScheduleCallback(ctx, dialer.Callback{ContactID: eve.ID, Due: fixedNow.Add(-2 * time.Hour),
		CreatedBy: agent.Name, CreatedAt: fixedNow.Add(-24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Dee Enn-See's number is on the do-not-call list (testDeps: Store.AddDNC).
	all, _ := deps.Store.ListContacts(ctx, dialer.ContactFilter{})
	if len(all) != 10 {
		t.Fatalf("%d contacts", len(all))
	}
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.until("1 callback due")
	s := d.until("↻ overdue")
	if rows := strings.Split(s, "\n"); !strings.HasPrefix(rows[4], "Eve Early") || !strings.Contains(rows[4], "↻ overdue") || !strings.Contains(s, "1 of 10") {
		t.Errorf("the due callback is not listed first with its badge:\n%s", s)
	}
	d.keys("esc", "p")
	s = d.until("Up because: callback due")
	for _, want := range []string{"Eve Early", "Power dial over all contacts · 10 planned, 7 to go", "Skipped (3)",
		"Dee Enn-See              on the do-not-call list",
		"Tom Tokyo                outside calling hours (08:00-21:00): it is Thu 4:00 AM in Asia/Tokyo",
		"Ada Attempts             5 of 5 attempts", "Session · dialed 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("first card lacks %q:\n%s", want, s)
		}
	}
	dialCard(t, d, "Eve Early", true, 0) // Interested

	// Walter: pause and resume keep him on the card; then Call back.
	d.until("Walter Skinner · Federal Supplies")
	d.keys("p")
	d.until("PAUSED")
	d.keys("enter")
	d.until("The session is paused: p resumes.")
	d.keys("p")
	d.until("Session resumed.")
	if e, ok := d.m.(Model).session.s.Current(); !ok || e.Contact.Name != "Walter Skinner" {
		t.Fatalf("after resume: %v %v", e.Contact.Name, ok)
	}
	dialCard(t, d, "Walter Skinner", true, 1) // Call back
	d.until("Call back Walter Skinner: when?")
	d.keys("2") // tomorrow morning
	d.until("Callback: Thu Nov 19 9:00 AM for Walter Skinner")
	d.keys("enter")
	d.until("Callback saved")

	d.until("Zoë Ångström · Nordic Outdoor")
	d.keys("s")
	dialCard(t, d, "Linus Busy", false, 0)    // busy: Busy
	dialCard(t, d, "Vic Voicemail", false, 0) // voicemail: as suggested
	dialCard(t, d, "Nat New", true, 2)        // Not interested
	d.until("Up because: called 1 time")
	dialCard(t, d, "Rex Retry", true, 0) // Interested
	s = d.until("Power-dial session over all contacts: done")

	m := d.m.(Model)
	sum := m.session.s.Summary()
	var order []string
	for _, r := range sum.Calls {
		order = append(order, r.Contact.Name)
	}
	if got, want := strings.Join(order, ", "), "Eve Early, Walter Skinner, Linus Busy, Vic Voicemail, Nat New, Rex Retry"; got != want {
		t.Errorf("calls in order %s\nwant %s", got, want)
	}
	var skipped []string
	for _, sk := range sum.Skipped {
		skipped = append(skipped, sk.Contact.Name+": "+string(sk.Kind))
	}
	if got, want := strings.Join(skipped, ", "), "Dee Enn-See: do_not_call, Tom Tokyo: outside_hours, Ada Attempts: attempt_limit, Zoë Ångström: agent"; got != want {
		t.Errorf("skipped %s\nwant %s", got, want)
	}

	// The dispositions recorded, and the summary's figures from them.
	recorded, err := deps.Store.Calls(ctx, dialer.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[int64]string{}
	for _, c := range all {
		byName[c.ID] = c.Name
	}
	disp := map[string]string{}
	answered := 0
	for _, c := range recorded {
		if c.StartedAt.Before(fixedNow.Add(-time.Hour)) {
			continue // the history made before the session
		}
		disp[byName[c.ContactID]] = c.Disposition
		if c.Outcome == dialer.OutcomeAnswered {
			answered++
		}
	}
	wantDisp := map[string]string{"Eve Early": "Interested", "Walter Skinner": "Call back", "Linus Busy": "Busy",
		"Nat New": "Not interested", "Rex Retry": "Interested"}
	for name, want := range wantDisp {
		if disp[name] != want {
			t.Errorf("%s: disposition %q, want %q (all: %v)", name, disp[name], want, disp)
		}
	}
	if disp["Vic Voicemail"] == "" || len(disp) != 6 {
		t.Errorf("dispositions %v", disp)
	}
	if sum.Dialed != 6 || sum.Connected != answered || answered < 4 || sum.Remaining != 0 {
		t.Errorf("summary dialed %d, connected %d (answered %d), remaining %d", sum.Dialed, sum.Connected, answered, sum.Remaining)
	}
	for _, want := range []string{"dialed:       6", "connected:    " + itoa(answered), "skipped:      4", "remaining:    0",
		"Rex Retry", "skipped by the agent", "Calls"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	// Eve's callback was done by the call; Walter's is set for tomorrow.
	open, _ := deps.Store.Callbacks(ctx, dialer.CallbackFilter{Open: true})
	if len(open) != 1 || byName[open[0].ContactID] != "Walter Skinner" || open[0].CreatedBy != agent.Name {
		t.Errorf("open callbacks %+v", open)
	}
	d.keys("enter")
	s = d.until("0 callbacks due · calls 6 ")
	if d.m.(Model).session != nil {
		t.Error("the session's screen did not close")
	}
}

// A contact whose name and notes hold escape sequences, on the callback
// picker (with its note), the pre-dial card, the session's header and its
// summary: inert. The alt+ keys reach both while the search field has the
// keyboard, and the session is over the search's results.
func TestDayScreensAreInert(t *testing.T) {
	deps := testDeps(t, agent)
	ctx := context.Background()
	c, err := deps.Store.ContactByPhone(ctx, people[0].Phone) // Walter Skinner
	if err != nil {
		t.Fatal(err)
	}
	c.Name, c.Notes = "Walt"+nasty, "note\x1b[2J\u202e"
	if c, err = deps.Store.UpdateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	deps.Directory.Update(search.Entry{ID: c.ID, Name: c.Name, Company: c.Company, Phone: c.Phone})
	deps.Index.AddBatch([]search.Entry{{ID: c.ID, Name: c.Name, Company: c.Company, Phone: c.Phone}})
	d := newDriver(t, New(deps), 120, 40)
	d.until("WaltAnnX")
	d.typeText("walt")
	d.until("1 of 1")
	d.send(tea.KeyPressMsg{Code: 'b', Mod: tea.ModAlt})
	d.until("Call back WaltAnnX: when?")
	d.keys("3")
	d.until("for WaltAnnX, their time")
	checkInert(t, "callback picker", d.m.View().Content)
	d.keys("enter")
	d.until("Callback saved")
	checkInert(t, "status line", d.m.View().Content)
	// A callback not due yet holds its contact back from a session: cancel it.
	d.send(tea.KeyPressMsg{Code: 'b', Mod: tea.ModAlt})
	d.until("Open callback:")
	d.keys("x")
	d.until("Callback for WaltAnnX canceled.")

	if m := d.m.(Model); !m.contacts.filtering || m.contacts.input.Value() != "walt" {
		t.Fatal("the search field lost the keyboard or its query")
	}
	d.send(tea.KeyPressMsg{Code: 'p', Mod: tea.ModAlt})
	s := d.until("Power dial over the 1 contact matching \"walt\"")
	if !strings.Contains(s, "Notes: note") || !strings.Contains(s, "WaltAnnX · Federal Supplies") {
		t.Errorf("card:\n%s", s)
	}
	checkInert(t, "pre-dial card", d.m.View().Content)
	d.keys("s")
	s = d.until(": done")
	if !strings.Contains(s, "WaltAnnX") {
		t.Errorf("summary:\n%s", s)
	}
	checkInert(t, "session summary", d.m.View().Content)
}
