package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "0123456789abcdef0123456789abcdef"
)

var people = []dialer.Contact{
	{Name: "Walter Skinner", Phone: "+12125550143", Company: "Federal Supplies"},
	{Name: "Zoë Ångström", Phone: "+13035550112", Company: "Nordic Outdoor"},
	{Name: "Dee Enn-See", Phone: "+14045550155", Company: "Opted Out", DoNotCall: true},
	{Name: "Linus Busy", Phone: "+15125551111", Company: "Busy LLC"},
}

// fixedClock is 14:00 on a weekday in New York: inside calling hours.
var fixedNow = time.Date(2026, 11, 18, 19, 0, 0, 0, time.UTC)

// testDeps wires the UI to a temp-dir database and the emulator (200 times
// real speed) through the real Twilio adapter.
func testDeps(t *testing.T, agent dialer.Agent) Deps {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return testDepsOn(t, agent, db, testProvider(t))
}

// testProvider is the real Twilio adapter on an emulator (200 times real
// speed) of the test's own.
func testProvider(t *testing.T) *twilio.Provider {
	t.Helper()
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
	return prov
}

// testDepsOn wires the UI to db (its contacts made once: the first UI on a
// database makes them) and provider prov.
func testDepsOn(t *testing.T, agent dialer.Agent, db *store.DB, prov *twilio.Provider) Deps {
	t.Helper()
	clk := dialer.ClockFunc(func() time.Time { return fixedNow })
	ix, dir := search.New(0), search.NewDirectory(0)
	var entries []search.Entry
	for _, c := range people {
		c.CreatedAt, c.UpdatedAt = fixedNow, fixedNow
		saved, err := db.ContactByPhone(context.Background(), c.Phone)
		if dialer.ErrorKind(err) == dialer.ENOTFOUND {
			saved, err = db.CreateContact(context.Background(), c)
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.DoNotCall {
			if _, err := db.AddDNC(context.Background(), []string{c.Phone}, "asked not to be called", "test", fixedNow); err != nil {
				t.Fatal(err)
			}
		}
		entries = append(entries, search.Entry{ID: saved.ID, Name: saved.Name, Company: saved.Company, Phone: saved.Phone})
	}
	ix.AddBatch(entries)
	dir.AddBatch(entries)
	res := &dialer.Reservations{Store: db, Provider: prov, Clock: clk}
	calls := &dialer.Calls{Store: db, Provider: prov, Numbers: res, Clock: clk,
		PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond, BalanceEvery: time.Second}
	rev, err := db.ContactRevision(context.Background()) // the revision the index holds
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	return Deps{Store: db, Calls: calls, Numbers: res, Pricing: prov, Index: ix, Directory: dir, IndexRev: func() int64 { return rev }, Sandbox: true, Agent: agent,
		Clock: clk, Context: context.Background(),
		SaveAgent: func(a dialer.Agent) (dialer.Agent, error) {
			mu.Lock()
			defer mu.Unlock()
			if a.ID == 0 {
				a.CreatedAt = time.Now()
				return db.CreateAgent(context.Background(), a)
			}
			return db.UpdateAgent(context.Background(), a)
		}}
}

// driver runs a model the way Bubble Tea does, without a terminal:
// commands run in goroutines and their messages are fed back to Update.
// Timer commands (ticks, spinner frames) are simply never waited for.
type driver struct {
	t    *testing.T
	m    tea.Model
	msgs chan tea.Msg
	busy sync.WaitGroup
}

func newDriver(t *testing.T, m tea.Model, w, h int) *driver {
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 256)}
	d.run(m.Init())
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

// send delivers msg and runs what it asks for.
func (d *driver) send(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
		return
	case tickMsg:
		return // the clock does not move in these tests
	}
	var cmd tea.Cmd
	d.m, cmd = d.m.Update(msg)
	d.run(cmd)
}

// settle feeds messages until none arrives for quiet, or until limit.
func (d *driver) settle(quiet, limit time.Duration) {
	deadline := time.After(limit)
	for {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-time.After(quiet):
			return
		case <-deadline:
			return
		}
	}
}

// until feeds messages until the screen shows want.
func (d *driver) until(want string) string {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if s := d.screen(); strings.Contains(s, want) {
			return s
		}
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("screen never showed %q:\n%s", want, d.screen())
		}
	}
}

func (d *driver) keys(ks ...string) {
	for _, k := range ks {
		d.send(keyMsg(k))
		d.settle(20*time.Millisecond, time.Second)
	}
}

func (d *driver) typeText(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	d.settle(30*time.Millisecond, 2*time.Second)
}

// screen is what the terminal would show, without colours.
func (d *driver) screen() string { return ansi.Strip(d.m.View().Content) }

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

var agent = dialer.Agent{Name: "Fox Mulder", Phone: "+12025550199"}

func TestFirstRunAsksForTheAgent(t *testing.T) {
	d := newDriver(t, New(testDeps(t, dialer.Agent{})), 80, 24)
	d.until("Welcome to dialer")
	d.typeText("Fox Mulder")
	d.keys("tab")
	d.typeText("555")
	d.keys("enter")
	if s := d.screen(); !strings.Contains(s, "not a valid phone number") && !strings.Contains(s, "short code") {
		t.Errorf("a bad phone was accepted:\n%s", s)
	}
	for range 3 {
		d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	d.typeText("(202) 555-0199")
	d.keys("enter")
	s := d.until("Welcome, Fox Mulder")
	if !strings.Contains(s, "Walter Skinner") || !strings.Contains(s, "SANDBOX") {
		t.Errorf("after setup:\n%s", s)
	}
	if m := d.m.(Model); m.d.Agent.Phone != "+12025550199" {
		t.Errorf("agent %+v", m.d.Agent)
	}
}

func TestContactsSearchAndMove(t *testing.T) {
	d := newDriver(t, New(testDeps(t, agent)), 80, 24)
	d.until("Walter Skinner")
	d.typeText("zoe")
	s := d.until("1 of 1")
	if !strings.Contains(s, "Zoë Ångström") || strings.Contains(s, "Walter") {
		t.Errorf("search 'zoe':\n%s", s)
	}
	d.keys("esc") // clears the search
	d.until("1 of 4")
	d.keys("esc") // leaves the field: vi keys browse
	d.keys("j", "j")
	m := d.m.(Model)
	if m.contacts.cursor != 2 {
		t.Errorf("cursor %d after j j", m.contacts.cursor)
	}
	s = d.until("do not call") // the detail pane of the third contact
	if !strings.Contains(s, "DNC") {
		t.Errorf("no DNC badge:\n%s", s)
	}
	d.keys("G")
	if m := d.m.(Model); m.contacts.cursor != 3 {
		t.Errorf("G: cursor %d", m.contacts.cursor)
	}
	d.keys("g")
	if m := d.m.(Model); m.contacts.cursor != 0 {
		t.Errorf("g: cursor %d", m.contacts.cursor)
	}
	d.keys("down") // arrows move while typing too
	d.typeText("nobody-like-this")
	d.until("No contact matches")
}

// Page keys move by the rows the screen shows, and rows scrolled into view
// get their badges (loaded for the rows on screen, wherever they are).
func TestContactsPageByTheScreen(t *testing.T) {
	deps := testDeps(t, agent)
	var entries []search.Entry
	for i := range 60 {
		c := dialer.Contact{Name: fmt.Sprintf("Person %02d", i), Phone: fmt.Sprintf("+1212555%04d", 2100+i),
			Company: "Paging Co", CreatedAt: fixedNow, UpdatedAt: fixedNow}
		saved, err := deps.Store.CreateContact(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if i == 45 {
			if _, err := deps.Store.AddDNC(context.Background(), []string{c.Phone}, "", "test", fixedNow); err != nil {
				t.Fatal(err)
			}
		}
		entries = append(entries, search.Entry{ID: saved.ID, Name: saved.Name, Company: saved.Company, Phone: saved.Phone})
	}
	deps.Index.AddBatch(entries)
	deps.Directory.AddBatch(entries)
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.typeText("person")
	d.until("1 of 60")
	rows := listRowsFor(d.m.(Model).bodyHeight()) // 25 at 120x40
	d.send(tea.KeyPressMsg{Code: tea.KeyPgDown})
	d.until(fmt.Sprintf("%d of 60", rows+1))
	d.send(tea.KeyPressMsg{Code: tea.KeyPgDown})
	d.until(fmt.Sprintf("%d of 60", 2*rows+1))
	s := d.until("DNC") // the rows now on screen were loaded
	var row45 string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "Person 45") {
			row45 = line
		}
	}
	if !strings.Contains(row45, "DNC") {
		t.Errorf("row of Person 45 (do not call), two pages down: %q\n%s", row45, s)
	}
	d.send(tea.KeyPressMsg{Code: tea.KeyPgUp})
	d.until(fmt.Sprintf("%d of 60", rows+1))
}

// The Call key end to end in the model: preview with the fee, spinner while
// the number is bought, the agent answers, confirm, both legs connect, hang
// up, pick an outcome; the database has the call with two legs, the fee and
// the disposition.
func TestCallFlow(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.keys("enter")
	d.until("will be bought: fee")
	d.keys("enter")
	d.until("Confirm to dial")
	d.keys("enter")
	d.until("Connected.")
	// Notes and a custom field edited during the call land on the contact.
	d.keys("n")
	d.typeText(" Wants a demo.")
	d.keys("enter")
	d.until("Notes saved")
	d.keys("f")
	d.typeText("Budget: 10k")
	d.keys("enter")
	d.until("Field Budget saved")
	who, _ := deps.Store.Contact(context.Background(), 1)
	if !strings.Contains(who.Notes, "Wants a demo.") || who.Fields["Budget"] != "10k" {
		t.Errorf("contact after editing during the call: %+v", who)
	}
	d.keys("h")
	s := d.until("How did it go?")
	if !strings.Contains(s, "Contact completed") || !strings.Contains(s, "price pending") {
		t.Errorf("end screen:\n%s", s)
	}
	d.keys("j", "enter")
	// Call back asks when: a quick pick, saved with the note.
	d.until("Call back Walter Skinner: when?")
	d.keys("1")
	d.until("Callback: Wed Nov 18 3:00 PM for Walter Skinner, their time (America/New_York)")
	d.keys("enter")
	d.until("Callback saved: Wed Nov 18 3:00 PM")
	d.until("1 of 4")
	// The contact's row shows the last outcome; its detail, the call.
	s = d.until("(Call back)")
	if !strings.Contains(s, "answered") {
		t.Errorf("contacts after the call:\n%s", s)
	}
	calls, err := deps.Store.Calls(context.Background(), dialer.CallFilter{})
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %v %v", calls, err)
	}
	c := calls[0]
	if len(c.Legs) != 2 || !c.NewNumber || c.FeeChargeID == 0 || c.Disposition != "Call back" || c.Outcome != dialer.OutcomeAnswered {
		t.Errorf("recorded call %+v", c)
	}
	// A second call in the same area code: the preview says no fee.
	d.keys("enter")
	d.until("No fee.")
	d.keys("esc")
	d.until("1 of 4")
}

func TestCallRefusalsSayWhyAndChargeNothing(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 80, 24)
	d.until("Walter Skinner")
	d.keys("down", "down") // Dee Enn-See, do not call
	d.keys("enter")
	s := d.until("do-not-call")
	if !strings.Contains(s, "Nothing was charged") {
		t.Errorf("refusal screen:\n%s", s)
	}
	d.keys("esc")
	d.until("3 of 4")
	if ns, _ := deps.Store.Numbers(context.Background(), dialer.NumberFilter{}); len(ns) != 0 {
		t.Errorf("a refused call bought %d numbers", len(ns))
	}
}

func TestTabsNumbersCallsSettings(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.keys("tab")
	d.until("0 of 50 numbers in use")
	d.keys("3") // away from the search field, digits pick screens
	d.until("No calls yet.")
	d.keys("4")
	d.until("Organization maximum")
	// Edit the organization maximum: a bad value is refused, a good one saved.
	d.keys("G")
	for range 6 {
		d.keys("j")
	}
	d.keys("enter")
	for range 3 {
		d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	d.typeText("-4")
	d.keys("enter")
	d.until("negative")
	d.keys("esc", "enter")
	for range 3 {
		d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	d.typeText("12")
	d.keys("enter")
	d.until("Settings saved.")
	set, _ := deps.Store.Settings(context.Background())
	if set.MaxNumbers != 12 {
		t.Errorf("max numbers %d after edit", set.MaxNumbers)
	}
	d.keys("tab")
	d.until("No agents yet") // the Team screen
	d.keys("tab")
	d.until("Walter Skinner") // tab wraps to contacts
	d.keys("esc", "?")        // leave the search field; ? is help there
	if m := d.m.(Model); !m.fullHelp {
		t.Error("? did not open full help")
	}
}

func TestQuitDuringALiveCallAsksAndHangsUp(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 80, 24)
	d.until("Walter Skinner")
	d.keys("enter")
	d.until("will be bought")
	d.keys("enter")
	d.until("Confirm to dial")
	d.send(keyMsg("ctrl+c"))
	d.until("Hang up and quit?")
	d.keys("n")
	if s := d.screen(); strings.Contains(s, "Hang up and quit?") {
		t.Error("n did not dismiss the question")
	}
	d.send(keyMsg("ctrl+c"))
	d.keys("y")
	deadline := time.Now().Add(5 * time.Second)
	for {
		calls, _ := deps.Store.Calls(context.Background(), dialer.CallFilter{})
		if len(calls) == 1 && !calls[0].EndedAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live call was not hung up")
		}
		d.settle(20*time.Millisecond, 100*time.Millisecond)
	}
}

// countingStore counts the row loads of the contacts screen.
type countingStore struct {
	dialer.Store
	mu       sync.Mutex
	contacts int // row loads (Store.Contacts)
	contact  int // single reads (Store.Contact)
}

func (s *countingStore) Contact(ctx context.Context, id int64) (dialer.Contact, error) {
	s.mu.Lock()
	s.contact++
	s.mu.Unlock()
	return s.Store.Contact(ctx, id)
}

func (s *countingStore) singleReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contact
}

func (s *countingStore) Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error) {
	s.mu.Lock()
	s.contacts++
	s.mu.Unlock()
	return s.Store.Contacts(ctx, ids)
}

func (s *countingStore) rowLoads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contacts
}

func TestSavedCallingHoursReachTheContactsBadges(t *testing.T) {
	deps := testDeps(t, agent)
	cs := &countingStore{Store: deps.Store}
	deps.Store = cs
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.settle(50*time.Millisecond, 2*time.Second)
	if s := d.screen(); strings.Contains(s, "⏾") {
		t.Fatalf("14:00 in New York is inside the default hours, yet:\n%s", s)
	}
	loads := cs.rowLoads()
	d.keys("esc", "4") // leave the search field; 4 is Settings
	d.until("Calling hours")
	for range 4 {
		d.keys("j")
	}
	d.keys("enter")
	for range len("08:00-21:00") {
		d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	d.typeText("06:00-07:00")
	d.keys("enter")
	d.until("Settings saved.")
	d.keys("1")
	s := d.until("⏾")
	if n := strings.Count(s, "⏾"); n != len(people) {
		t.Errorf("%d contacts badged outside hours, want %d:\n%s", n, len(people), s)
	}
	if n := cs.rowLoads(); n != loads {
		t.Errorf("the badges needed %d new row loads", n-loads)
	}
}

func TestHistoryNamesEveryCalledContact(t *testing.T) {
	deps := testDeps(t, agent)
	ctx := context.Background()
	var want []string
	for i, p := range people[:3] {
		c, err := deps.Store.ContactByPhone(ctx, p.Phone)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 - i%2 { // some contacts called twice
			if _, err := deps.Store.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: agent.Name, AgentPhone: agent.Phone, CallerID: "+12125550100",
				Confirm: dialer.ConfirmTerminal, StartedAt: fixedNow}); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, c.Label())
	}
	msg, ok := historyModel{}.load(deps)().(historyMsg)
	if !ok || msg.err != nil {
		t.Fatalf("history load: %#v", msg)
	}
	if len(msg.calls) != 5 || len(msg.names) != 3 {
		t.Fatalf("%d calls, %d names: %v", len(msg.calls), len(msg.names), msg.names)
	}
	for _, c := range msg.calls {
		if !slices.Contains(want, msg.names[c.ContactID]) {
			t.Errorf("call %d: name %q, want one of %q", c.ID, msg.names[c.ContactID], want)
		}
	}
}

func TestCursorMovesReadOnlyWhatTheyNeed(t *testing.T) {
	deps := testDeps(t, agent)
	cs := &countingStore{Store: deps.Store}
	deps.Store = cs
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.until("No calls yet.") // the detail pane
	d.settle(50*time.Millisecond, 2*time.Second)

	// Up at the top moves nothing: no reads, and the detail stays.
	before := d.screen()
	m, cmd := d.m.Update(keyMsg("up"))
	if cmd != nil {
		t.Error("up at the top asked for work")
	}
	if got := ansi.Strip(m.View().Content); got != before {
		t.Errorf("up at the top changed the screen:\n%s", got)
	}

	// Down to a row already loaded: the detail comes from the cache.
	reads := cs.singleReads()
	d.keys("down")
	d.until("2 of 4")
	d.until("Zoë Ångström · Nordic Outdoor") // the detail pane
	d.settle(50*time.Millisecond, time.Second)
	if n := cs.singleReads(); n != reads {
		t.Errorf("moving to a loaded row read %d contacts one by one", n-reads)
	}

	// After a call the contact is read again: the detail shows what changed.
	c, err := deps.Store.Contact(context.Background(), d.m.(Model).contacts.res.Matches[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Notes = "Prefers mornings"
	if _, err := deps.Store.UpdateContact(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	d.send(callEndedMsg{})
	d.until("Notes: Prefers mornings")
}

// With more matches than the screen lists, the count fits 80 columns whole
// (the name column gives way) and says how many there are.
func TestContactCountFitsNarrowScreens(t *testing.T) {
	deps := testDeps(t, agent)
	var batch []dialer.Contact
	for i := range 1200 {
		batch = append(batch, dialer.Contact{Name: fmt.Sprintf("Lead %04d", i), Phone: fmt.Sprintf("+1303556%04d", i)})
	}
	res, err := deps.Store.ImportContacts(context.Background(), dialer.ImportBatch{Contacts: batch, At: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	var es []search.Entry
	for i, c := range batch {
		es = append(es, search.Entry{ID: res.IDs[i], Name: c.Name, Phone: c.Phone})
	}
	deps.Index.AddBatch(es)
	deps.Directory.AddBatch(es)
	total := fmt.Sprintf("1 of %d", len(people)+len(batch))
	for _, w := range []int{80, 120} {
		d := newDriver(t, New(deps), w, 24)
		s := d.until(total)
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, "NAME") && !strings.HasSuffix(strings.TrimRight(line, " "), total) {
				t.Errorf("%d columns: the header line does not end with %q:\n%s", w, total, line)
			}
		}
	}
}
