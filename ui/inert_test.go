package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
)

// nasty sets the terminal's title, clears the screen, turns the rest of
// the row red and reverses it, if it reaches the terminal as it is.
const nasty = "\x1b]0;pwned\x07Ann\x1b[2J\x1b[31m\u202eX"

// checkInert fails when a frame holds what the contact's text could have
// brought: an OSC, a BEL, a screen clear, the basic red SGR (the UI's own
// colours are 24-bit), a C1 or a bidi control.
func checkInert(t *testing.T, what, frame string) {
	t.Helper()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\x1b[31m", "\u202e", "\u009b"} {
		if strings.Contains(frame, bad) {
			t.Errorf("%s shows %q:\n%q", what, bad, frame)
		}
	}
}

// A contact, an agent and a disposition holding escape sequences and a
// bidi override: the contact list, the detail pane, the call screen, the
// call history and the header show them inert.
func TestContactTextIsInertOnEveryScreen(t *testing.T) {
	deps := testDeps(t, dialer.Agent{Name: "Fox" + nasty, Phone: agent.Phone})
	ctx := context.Background()
	c, err := deps.Store.ContactByPhone(ctx, people[0].Phone) // Walter Skinner, first in the list
	if err != nil {
		t.Fatal(err)
	}
	c.Name, c.Company, c.Notes = nasty, "Co\x1b[5m\u2066", "note\x1b[2J\u202e"
	c.Fields = map[string]string{"k\x1b[31m": "v\x1b]0;x\x07"}
	if c, err = deps.Store.UpdateContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	deps.Directory.Update(search.Entry{ID: c.ID, Name: c.Name, Company: c.Company, Phone: c.Phone})
	call, err := deps.Store.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Fox" + nasty, AgentPhone: agent.Phone,
		CallerID: "+12125550100", Confirm: dialer.ConfirmTerminal, StartedAt: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if err := deps.Store.FinishCall(ctx, call.ID, dialer.OutcomeAgentNoAnswer, "", fixedNow); err != nil {
		t.Fatal(err)
	}
	if err := deps.Store.SetDisposition(ctx, call.ID, "Call back\x1b[31m"); err != nil {
		t.Fatal(err)
	}

	d := newDriver(t, New(deps), 120, 30)
	s := d.until("(Call back)") // the detail pane has the call
	checkInert(t, "contacts", d.m.View().Content)
	for _, want := range []string{"AnnX", "FoxAnnX", "AnnX · Co", "Notes: note", "k: v", "agent didn't answer (Call back)"} {
		if !strings.Contains(s, want) {
			t.Errorf("contacts screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "agent_no_answer") {
		t.Errorf("snake_case outcome on the contacts screen:\n%s", s)
	}

	d.keys("enter") // the call preview
	s = d.until("Call AnnX")
	checkInert(t, "call preview", d.m.View().Content)
	d.keys("esc")
	d.until("1 of 4")

	d.keys("esc", "3")        // leave the search field; the call history
	s = d.until("agent didn") // the OUTCOME column may cut it
	checkInert(t, "calls", d.m.View().Content)
	if !strings.Contains(s, "AnnX") {
		t.Errorf("calls screen:\n%s", s)
	}
}

// The call screen shows the session's messages (which name the contact)
// and errors (which can quote it) inert.
func TestCallScreenMessagesAreInert(t *testing.T) {
	m := callModel{contact: dialer.Contact{Name: nasty, Phone: "+12125550143"}, stage: stageLive, phase: dialer.PhaseAwaitConfirm,
		message: "Confirm to dial " + nasty + ".", phones: phoneCache{}}
	frame := m.view(NewStyles(true), 100, 20, fixedNow)
	checkInert(t, "live call", frame)
	if !strings.Contains(ansi.Strip(frame), "Confirm to dial AnnX.") {
		t.Errorf("live call:\n%s", frame)
	}
	m.stage, m.err = stageFailed, dialer.Errorf(dialer.EINVALID, "contact %s: +18005550100 is a toll-free number", nasty)
	frame = m.view(NewStyles(true), 100, 20, fixedNow)
	checkInert(t, "failed call", frame)
	if !strings.Contains(ansi.Strip(frame), "contact AnnX: +18005550100") {
		t.Errorf("failed call:\n%s", frame)
	}
}

// A refusal whose sentence already says that nothing was charged does not
// get a second "Nothing was charged." under it.
func TestFailedCallSaysNothingWasChargedOnce(t *testing.T) {
	for _, err := range []error{
		dialer.Errorf(dialer.ELIMIT, "The organization already has 1 of its maximum 1 numbers; no new number was bought for area code 212 and nothing was charged"),
		dialer.Errorf(dialer.EREFUSED, "Contact is on the do-not-call list"),
	} {
		m := callModel{contact: dialer.Contact{Name: "Ann", Phone: "+12125550143"}, stage: stageFailed, err: err, phones: phoneCache{}}
		frame := strings.ToLower(ansi.Strip(m.view(NewStyles(true), 100, 20, fixedNow)))
		if n := strings.Count(frame, "nothing was charged"); n != 1 {
			t.Errorf("%v: %d times \"nothing was charged\":\n%s", err, n, frame)
		}
	}
	// An unconfirmed purchase may yet be charged: no promise of nothing.
	m := callModel{stage: stageFailed, err: &dialer.Error{Kind: dialer.EPURCHASEUNKNOWN}, phones: phoneCache{}}
	if frame := ansi.Strip(m.view(NewStyles(true), 100, 20, fixedNow)); strings.Contains(frame, "Nothing was charged") {
		t.Errorf("unconfirmed purchase:\n%s", frame)
	}
}

// The calls screen's count of unpriced calls is in good English.
func TestPendingPricesGrammar(t *testing.T) {
	for n, want := range map[int]string{1: "1 call's price pending", 2: "2 calls' prices pending"} {
		m := historyModel{loaded: true, pending: n}
		if s := ansi.Strip(m.view(NewStyles(true), 120, 10)); !strings.Contains(s, want) {
			t.Errorf("%d pending:\n%s", n, s)
		}
	}
}

// Rows with wide names keep their columns: every row of the contacts list
// is as wide as the header says, and pad gives exactly the cells asked.
func TestPadIsInertAndExact(t *testing.T) {
	for _, s := range []string{"", "a", "NAME", "Contact 0000001 Núñez", "日本語テキスト", "emoji 👍 ok", "👩‍👩‍👧 family", nasty, "\x1b[1mbold\x1b[0m"} {
		for w := 1; w <= 30; w++ {
			got := pad(s, w)
			if ansi.StringWidth(got) != w || strings.ContainsAny(got, "\x1b\x07\u202e") {
				t.Errorf("pad(%q, %d) = %q, %d cells", s, w, got, ansi.StringWidth(got))
			}
		}
	}
}
