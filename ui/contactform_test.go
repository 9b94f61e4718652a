package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
)

// noPoll stops the timer's polls after the first (at start): a change must
// then reach the index by the code under test, not by a poll.
func noPoll(t *testing.T) {
	old := contactPollEvery
	contactPollEvery = time.Hour
	t.Cleanup(func() { contactPollEvery = old })
}

func ctrl(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl} }

// clearField empties the focused text field.
func (d *driver) clearField() {
	d.send(tea.KeyPressMsg{Code: tea.KeyEnd})
	d.send(ctrl('u'))
}

// browse leaves the search field (empty at start) for the screen's keys.
func browse(t *testing.T, d *driver) {
	t.Helper()
	d.until("Walter Skinner")
	d.until("No calls yet.")
	d.keys("esc")
	if m := d.m.(Model); m.contacts.filtering {
		t.Fatal("esc did not leave the search field")
	}
}

func TestAddContactThenSearchFindsIt(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.keys("a")
	d.until("New contact")
	d.typeText("Mina Harker")
	d.keys("tab")
	d.typeText("(617) 555-0123")
	d.keys("tab")
	d.typeText("Carfax Abbey")
	d.keys("tab", "tab", "tab") // email, time zone, lists
	d.typeText("Hot leads, Boston, Hot leads")
	d.keys("enter")
	d.until("Added Mina Harker.")
	if m := d.m.(Model); m.contacts.modal() {
		t.Fatal("the form stayed open after saving")
	}

	c, err := deps.Store.ContactByPhone(context.Background(), "+16175550123") // normalised to E.164
	if err != nil {
		t.Fatal(err)
	}
	c, _ = deps.Store.Contact(context.Background(), c.ID)
	if c.Name != "Mina Harker" || c.Company != "Carfax Abbey" || !slices.Equal(c.Lists, []string{"Boston", "Hot leads"}) {
		t.Errorf("saved %+v", c)
	}
	d.keys("/")
	d.typeText("harker")
	s := d.until("1 of 1")
	if !strings.Contains(s, "Mina Harker") || !strings.Contains(s, "Carfax Abbey") {
		t.Errorf("search after adding:\n%s", s)
	}
}

// The form refuses what cannot be a contact, with the sentence under the
// row: a bad, a toll-free, a foreign number, a number another contact has
// (the store's sentence), a time zone that does not exist.
func TestContactFormChecks(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.keys("a")
	d.until("New contact")
	d.typeText("Renfield")
	d.keys("enter")
	d.until("A contact needs a phone number.")
	for _, c := range []struct{ phone, want string }{
		{"555", "short code"},
		{"+1 800 225 5288", "toll-free"},
		{"+44 20 7946 0958", "is in GB; local caller IDs are bought for US and"},
		{people[0].Phone, "already has the phone number +12125550143"},
	} {
		d.clearField() // the row in error has the keyboard
		d.typeText(c.phone)
		d.keys("enter")
		d.until(c.want)
	}
	d.clearField()
	d.typeText("617 555 0124")
	d.keys("tab", "tab", "tab") // company, email, time zone
	d.typeText("Mars/Olympus_Mons")
	d.keys("enter")
	d.until(`"Mars/Olympus_Mons" is not a known IANA time zone`)
	d.clearField()
	d.typeText("America/New_York")
	d.keys("enter")
	d.until("Added Renfield.")
	c, err := deps.Store.ContactByPhone(context.Background(), "+16175550124")
	if err != nil || c.TimeZone != "America/New_York" {
		t.Errorf("saved %+v %v", c, err)
	}
}

func TestEditContactAnyFieldAndLists(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	walter, _ := deps.Store.ContactByPhone(ctx, people[0].Phone)
	if err := deps.Store.AddToList(ctx, "Federal", []int64{walter.ID}, fixedNow); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.keys("e")
	d.until("Edit Walter Skinner")
	d.clearField()
	d.typeText("Walt Kowalski")
	for range fLists {
		d.keys("tab")
	}
	d.clearField()
	d.typeText("Detroit")
	d.keys("enter")
	d.until("Saved Walt Kowalski.")
	got, _ := deps.Store.Contact(ctx, walter.ID)
	if got.Name != "Walt Kowalski" || got.Phone != walter.Phone || !slices.Equal(got.Lists, []string{"Detroit"}) {
		t.Errorf("after the edit: %+v", got)
	}
	d.keys("/")
	d.typeText("kowalski")
	d.until("1 of 1")
	d.keys("esc")
	d.typeText("skinner")
	d.until(`No contact matches "skinner"`)
}

// During a call the same form edits the contact: e opens it, and the
// change is searchable when the call ends.
func TestCallScreenEditsWithTheSameForm(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.keys("enter")
	d.until("will be bought: fee")
	d.keys("enter")
	d.until("Confirm to dial")
	d.keys("e")
	d.until("Edit Walter Skinner")
	d.clearField()
	d.typeText("Walter S. Skinner")
	d.keys("enter")
	d.until("Saved Walter S. Skinner.")
	if m := d.m.(Model); m.call == nil || m.call.form != nil || m.call.contact.Name != "Walter S. Skinner" {
		t.Fatal("the call screen did not take the saved contact")
	}
	d.keys("h")
	d.until("Nobody was reached")
	d.keys("enter")
	d.typeText("s. skinner")
	d.until("1 of 1")
}

func TestDeleteAsksThenKeepsTheCalls(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	walter, _ := deps.Store.ContactByPhone(ctx, people[0].Phone)
	call, err := deps.Store.StartCall(ctx, dialer.Call{ContactID: walter.ID, AgentName: agent.Name, AgentPhone: agent.Phone,
		CallerID: "+12125550100", Confirm: dialer.ConfirmTerminal, StartedAt: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := deps.Store.FinishCall(ctx, call.ID, dialer.OutcomeAgentNoAnswer, "", fixedNow); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.until("agent didn't answer") // the detail pane has the call
	d.keys("esc")
	d.keys("d")
	s := d.until("Delete Walter Skinner?")
	if !strings.Contains(s, "Its calls stay in the call history.") || !strings.Contains(s, "y delete") {
		t.Errorf("confirmation:\n%s", s)
	}
	d.keys("n")
	if _, err := deps.Store.ContactByPhone(ctx, walter.Phone); err != nil {
		t.Fatal("n deleted the contact")
	}
	d.until("1 of 4")
	d.keys("d", "y")
	d.until("Deleted Walter Skinner.")
	d.until("1 of 3")
	d.keys("/")
	d.typeText("walter")
	d.until(`No contact matches "walter"`)
	gone, err := deps.Store.Contact(ctx, walter.ID)
	if err != nil || gone.DeletedAt.IsZero() {
		t.Errorf("not deleted: %+v %v", gone, err)
	}
	if calls, _ := deps.Store.Calls(ctx, dialer.CallFilter{ContactID: walter.ID}); len(calls) != 1 {
		t.Errorf("the deleted contact's calls: %d", len(calls))
	}
}

func TestListFilter(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	var ids []int64
	for _, p := range []string{people[1].Phone, people[3].Phone} { // Zoë, Linus
		c, _ := deps.Store.ContactByPhone(ctx, p)
		ids = append(ids, c.ID)
	}
	if err := deps.Store.AddToList(ctx, "Hot", ids, fixedNow); err != nil {
		t.Fatal(err)
	}
	if err := deps.Store.AddToList(ctx, "Cold", ids[:1], fixedNow); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.keys("l")
	s := d.until("Show a list")
	if !strings.Contains(s, "Every contact") || !strings.Contains(s, "Cold  1") || !strings.Contains(s, "Hot  2") {
		t.Errorf("picker:\n%s", s)
	}
	d.keys("down", "down", "enter") // Cold, Hot
	s = d.until("1 of 2")
	if !strings.Contains(s, "List Hot (2)") || strings.Contains(s, "Walter") || !strings.Contains(s, "Linus Busy") {
		t.Errorf("the Hot list:\n%s", s)
	}
	d.keys("/")
	d.typeText("linus")
	d.until("1 of 1")
	d.keys("esc") // the search text first
	d.until("1 of 2")
	d.keys("esc") // then the list
	s = d.until("1 of 4")
	if strings.Contains(s, "List Hot") {
		t.Errorf("esc kept the list:\n%s", s)
	}
	// ctrl+l picks from the search field too; the first row shows all.
	d.send(ctrl('l'))
	d.until("Every contact")
	d.keys("enter")
	d.until("1 of 4")
}

// The do-not-call key puts the number on the organization's list with a
// reason and the agent's name, the pane shows them, Call is refused; the
// same key takes it off, with a reason too.
func TestDoNotCallFromTheContactScreen(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.keys("!")
	d.until("Put Walter Skinner on the do-not-call list")
	d.keys("enter")
	d.until("Type a reason")
	d.typeText("asked by email")
	d.keys("enter")
	d.until("Walter Skinner is on the do-not-call list.")
	s := d.until("Do not call: asked by email · by Fox Mulder")
	if !strings.Contains(s, "DNC") {
		t.Errorf("no DNC badge on the row:\n%s", s)
	}
	d.keys("enter")
	s = d.until("is on the do-not-call list: asked by email")
	if !strings.Contains(s, "Walter Skinner (+12125550143) is on the do-not-call list") {
		t.Errorf("call refused without the sentence:\n%s", s)
	}
	d.keys("esc")
	d.until("1 of 4")
	d.keys("!")
	d.until("Take Walter Skinner off the do-not-call list")
	d.typeText("gave consent in writing")
	d.keys("enter")
	d.until("Walter Skinner is off the do-not-call list.")
	if _, err := deps.Store.DNC(ctx, people[0].Phone); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("still listed: %v", err)
	}
	evs, err := deps.Store.DNCEvents(ctx, people[0].Phone)
	if err != nil || len(evs) != 2 {
		t.Fatalf("events %+v %v", evs, err)
	}
	if evs[0].Action != dialer.DNCAdded || evs[0].Reason != "asked by email" || evs[0].By != agent.Name ||
		evs[1].Action != dialer.DNCRemoved || evs[1].Reason != "gave consent in writing" || evs[1].By != agent.Name {
		t.Errorf("events %+v", evs)
	}
}

// Changes made by another program (an import in another terminal) reach
// the index by the poll of ContactKeys.
func TestPollAppliesOtherProgramsChanges(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	d := newDriver(t, New(deps), 100, 30)
	browse(t, d)
	d.settle(50*time.Millisecond, time.Second) // the first poll, at start
	if _, err := deps.Store.CreateContact(ctx, dialer.Contact{Name: "Quincey Morris", Phone: "+15125550177",
		CreatedAt: fixedNow, UpdatedAt: fixedNow}); err != nil {
		t.Fatal(err)
	}
	zoe, _ := deps.Store.ContactByPhone(ctx, people[1].Phone)
	if err := deps.Store.DeleteContact(ctx, zoe.ID, fixedNow); err != nil {
		t.Fatal(err)
	}
	d.keys("/")
	d.typeText("quincey")
	d.until(`No contact matches "quincey"`) // not polled yet
	d.send(contactPollMsg{})
	d.until("1 of 1")
	d.keys("esc")
	d.typeText("zoe")
	d.until(`No contact matches "zoe"`)
}

// A contact whose text holds escape sequences and a bidi override shows
// inert in the form, the delete confirmation and the do-not-call dialog;
// saving the form without touching a row keeps the stored text as it was.
func TestContactDialogsShowTextInert(t *testing.T) {
	noPoll(t)
	deps := testDeps(t, agent)
	ctx := context.Background()
	c, _ := deps.Store.ContactByPhone(ctx, people[0].Phone)
	c.Name, c.Company, c.Notes = nasty, "Co\x1b[5m\u2066", "note\x1b[2J\u202e"
	c.Fields = map[string]string{"k\x1b[31m": "v\x1b]0;x\x07"}
	c, err := deps.Store.UpdateContact(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := deps.Store.AddToList(ctx, "L\x1b[31m", []int64{c.ID}, fixedNow); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 120, 30)
	d.send(contactPollMsg{}) // the directory learns the new name
	d.until("Ann")
	d.keys("esc")
	d.keys("e")
	d.until("Edit ")
	d.until("New field")
	checkInert(t, "the contact form", d.m.View().Content)
	d.keys("enter")
	d.until("Saved ")
	got, _ := deps.Store.Contact(ctx, c.ID)
	if got.Name != c.Name || got.Company != c.Company || got.Notes != c.Notes || got.Fields["k\x1b[31m"] != c.Fields["k\x1b[31m"] ||
		!slices.Equal(got.Lists, []string{"L\x1b[31m"}) {
		t.Errorf("an untouched form changed the contact: %#v", got)
	}
	d.keys("d")
	d.until("Delete ")
	checkInert(t, "the delete confirmation", d.m.View().Content)
	d.keys("n", "!")
	d.until("do-not-call list")
	checkInert(t, "the do-not-call dialog", d.m.View().Content)
	d.keys("esc", "l")
	d.until("Every contact")
	d.until("  1")
	checkInert(t, "the list picker", d.m.View().Content)
}
