package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
)

// seedWornNumber buys an on-demand number for Walter's area code (212)
// whose 30 calls were answered once, beside a dedicated 212 number whose
// 30 calls were answered 15 times: the on-demand one is at risk.
func seedWornNumber(t *testing.T, d Deps) dialer.Number {
	t.Helper()
	ctx := context.Background()
	walter, err := d.Store.ContactByPhone(ctx, people[0].Phone)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Numbers.Acquire(ctx, walter, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "212"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		for _, n := range []dialer.Number{r.Number, other} {
			at := fixedNow.Add(-time.Duration(i+1) * time.Hour)
			call, err := d.Store.StartCall(ctx, dialer.Call{ContactID: walter.ID, NumberID: n.ID, AgentName: "A", AgentPhone: "+14155550199",
				CallerID: n.PhoneNumber, Confirm: dialer.ConfirmAuto, StartedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			outcome := dialer.OutcomeNoAnswer
			if (n.ID == r.Number.ID && i == 0) || (n.ID == other.ID && i%2 == 0) {
				outcome = dialer.OutcomeAnswered
			}
			if err := d.Store.FinishCall(ctx, call.ID, outcome, "", at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return r.Number
}

// With rotate_at_risk on, the call preview of a contact whose area code's
// number is at risk says the call buys a new number, its fee, and why;
// off, it says the number is reused.
func TestCallPreviewSaysItRotates(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(itoa(w)+"x"+itoa(h), func(t *testing.T) {
			deps := testDeps(t, agent)
			seedWornNumber(t, deps)
			d := newDriver(t, New(deps), w, h)
			d.until("Walter Skinner")
			d.keys("enter")
			d.until("No fee.") // off: the worn number is reused
			d.keys("esc")
			d.until("1 of 4")

			set, _ := deps.Store.Settings(context.Background())
			set.RotateAtRisk, set.ReservationFee = true, dialer.MustMoney("0.50", "USD")
			if err := deps.Store.SaveSettings(context.Background(), set); err != nil {
				t.Fatal(err)
			}
			d.keys("enter")
			s := d.until("canceling.")
			flat := strings.Join(strings.Fields(s), " ")
			if !strings.Contains(flat, "Caller ID: buys a new number for 212 (fee 0.50 USD, once):") ||
				!strings.Contains(flat, "is at risk (answered 3% of its calls against 27% for the area code's numbers)") {
				t.Errorf("preview:\n%s", s)
			}
			golden(t, "call-preview-rotate-"+itoa(w)+"x"+itoa(h), d.m.View().Content)
		})
	}
}

// The Settings screen turns rotate_at_risk on and off, refusing other words.
func TestSettingsRotateAtRisk(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.keys("tab", "tab", "tab")
	d.until("Rotate at-risk numbers")
	d.keys("G")
	for range 7 {
		d.keys("j")
	}
	edit := func(v string) {
		t.Helper()
		d.keys("enter")
		for range 5 {
			d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
		d.typeText(v)
		d.keys("enter")
	}
	edit("maybe")
	d.until(`rotate at-risk numbers "maybe": want on or off`)
	d.keys("esc")
	edit("on")
	d.until("Settings saved.")
	if set, _ := deps.Store.Settings(context.Background()); !set.RotateAtRisk {
		t.Error("rotate_at_risk still off after setting it on")
	}
	if s := d.screen(); !strings.Contains(s, "Rotate at-risk numbers on") {
		t.Errorf("settings screen:\n%s", s)
	}
}

// An agent's primary number is the caller ID the preview names for its
// area code (the claim uses it), even while it is canceling; another
// agent's preview does not offer it.
func TestCallPreviewNamesTheAgentsPrimaryNumber(t *testing.T) {
	ctx := context.Background()
	deps := testDeps(t, agent)
	me, err := deps.Store.CreateAgent(ctx, dialer.Agent{Name: agent.Name, Phone: agent.Phone, Role: dialer.RoleSupervisor, Active: true, CreatedAt: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	deps.Agent = me
	n, err := deps.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{AreaCode: "212"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deps.Numbers.Assign(ctx, n.ID, me.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := deps.Numbers.Cancel(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.keys("enter")
	s := d.until("Caller ID:")
	flat := strings.Join(strings.Fields(s), " ")
	if !strings.Contains(flat, "No fee.") || strings.Contains(flat, "buys a new number") {
		t.Errorf("the preview of a call in the agent's primary number's area code:\n%s", s)
	}
}

// A call the contact placed to us says so on the Calls screen, whole,
// at 80 and 120 columns.
func TestCallsScreenMarksInboundCalls(t *testing.T) {
	for _, w := range []int{80, 120} {
		deps := testDeps(t, agent)
		ctx := context.Background()
		walter, err := deps.Store.ContactByPhone(ctx, people[0].Phone)
		if err != nil {
			t.Fatal(err)
		}
		call, err := deps.Store.StartCall(ctx, dialer.Call{Direction: dialer.Inbound, ContactID: walter.ID, AgentName: "Fox Mulder",
			AgentPhone: agent.Phone, CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		if err := deps.Store.FinishCall(ctx, call.ID, dialer.OutcomeNoAnswer, "missed inbound call", fixedNow.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		d := newDriver(t, New(deps), w, 24)
		d.until("Walter Skinner")
		d.send(tea.KeyPressMsg{Code: '3', Mod: tea.ModAlt})
		if s := d.until("Walter"); !strings.Contains(s, "in: no answer ") {
			t.Errorf("at %d columns, the inbound call:\n%s", w, s)
		}
	}
}

// The Settings screen sets the inbound fallback (a phone, or the message)
// and the inbound message, checked as the command line checks them.
func TestSettingsInboundFallback(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.keys("tab", "tab", "tab")
	d.until("Inbound fallback")
	for range 8 {
		d.keys("j")
	}
	edit := func(v string) {
		t.Helper()
		d.keys("enter")
		for range 10 {
			d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
		d.typeText(v)
		d.keys("enter")
	}
	edit("the boss")
	d.until(`inbound_fallback "the boss": want a phone number, or "message"`)
	d.keys("esc")
	edit("(415) 555-0100")
	d.until("Settings saved.")
	if set, _ := deps.Store.Settings(context.Background()); set.InboundFallback != "+14155550100" {
		t.Errorf("inbound fallback %q after setting a phone", set.InboundFallback)
	}
	if s := d.screen(); !strings.Contains(s, "Inbound fallback       +14155550100") {
		t.Errorf("settings screen:\n%s", s)
	}
}
