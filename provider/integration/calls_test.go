package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// callWorld is a world with the call service on top, on a clock set to a
// weekday afternoon in North America so that calling hours allow calls.
type callWorld struct {
	*world
	calls *dialer.Calls
	agent dialer.Agent
}

var afternoon = time.Date(2026, 11, 18, 19, 0, 0, 0, time.UTC) // 11:00 in California, 14:00 in New York

func newCallWorld(t testing.TB, o opts) *callWorld {
	t.Helper()
	w := newWorld(t, o)
	w.clock.Set(afternoon)
	agent, err := dialer.NewAgent("Fox Mulder", "+12025550199")
	if err != nil {
		t.Fatal(err)
	}
	return &callWorld{world: w, agent: agent, calls: &dialer.Calls{
		Store: w.db, Provider: w.prov, Numbers: w.res, Clock: w.clock, Logger: w.res.Logger,
		PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond, BalanceEvery: 20 * time.Millisecond,
	}}
}

func (w *callWorld) contact(t testing.TB, name, phone string) dialer.Contact {
	t.Helper()
	c, err := w.db.CreateContact(context.Background(), dialer.Contact{Name: name, Phone: phone, CreatedAt: w.clock.Now(), UpdatedAt: w.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// place runs one call to its end. act is called with each event and may
// steer the session (confirm, hang up).
func (w *callWorld) place(t *testing.T, o dialer.CallOptions, act func(*dialer.Session, dialer.Event)) (dialer.Call, []dialer.Event, error) {
	t.Helper()
	if o.Agent.Name == "" {
		o.Agent = w.agent
	}
	s, err := w.calls.Start(context.Background(), o)
	if err != nil {
		return dialer.Call{}, nil, err
	}
	var events []dialer.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				c, err := s.Wait()
				return c, events, err
			}
			events = append(events, e)
			if act != nil {
				act(s, e)
			}
		case <-timeout:
			t.Fatalf("call did not end; events so far: %v", phases(events))
		}
	}
}

func phases(es []dialer.Event) []dialer.Phase {
	var out []dialer.Phase
	for _, e := range es {
		if len(out) == 0 || out[len(out)-1] != e.Phase {
			out = append(out, e.Phase)
		}
	}
	return out
}

// confirmWhenAsked is the agent confirming in the terminal.
func confirmWhenAsked(s *dialer.Session, e dialer.Event) {
	if e.Phase == dialer.PhaseAwaitConfirm {
		s.Confirm()
	}
}

func mustLeg(t *testing.T, c dialer.Call, role dialer.LegRole) dialer.Leg {
	t.Helper()
	l, ok := c.Leg(role)
	if !ok {
		t.Fatalf("call %d has no %s leg: %+v", c.ID, role, c.Legs)
	}
	return l
}

func TestBridgeCallFlows(t *testing.T) {
	cases := []struct {
		name      string
		agent     string // agent phone (the emulator's rules apply to it too)
		contact   string
		act       func(*dialer.Session, dialer.Event)
		outcome   dialer.Outcome
		legs      int
		contactSt dialer.CallStatus
	}{
		{name: "answered and completed", contact: "+12125550143", act: confirmWhenAsked,
			outcome: dialer.OutcomeAnswered, legs: 2, contactSt: dialer.CallCompleted},
		{name: "agent does not answer: contact never dialed", agent: "+12025552222", contact: "+12125550143",
			act: confirmWhenAsked, outcome: dialer.OutcomeAgentNoAnswer, legs: 1},
		{name: "contact busy", contact: "+12125551111", act: confirmWhenAsked,
			outcome: dialer.OutcomeBusy, legs: 2, contactSt: dialer.CallBusy},
		{name: "contact does not answer", contact: "+12125552222", act: confirmWhenAsked,
			outcome: dialer.OutcomeNoAnswer, legs: 2, contactSt: dialer.CallNoAnswer},
		{name: "voicemail", contact: "+12125553333", act: confirmWhenAsked,
			outcome: dialer.OutcomeVoicemail, legs: 2, contactSt: dialer.CallCompleted},
		{name: "agent hangs up while the contact rings", contact: "+12125552222",
			act: func(s *dialer.Session, e dialer.Event) {
				confirmWhenAsked(s, e)
				for _, l := range e.Legs {
					if l.Role == dialer.ContactLeg && l.Status == dialer.CallRinging {
						s.Hangup()
					}
				}
			},
			outcome: dialer.OutcomeCanceled, legs: 2, contactSt: dialer.CallCanceled},
		{name: "agent hangs up before confirming", contact: "+12125550143",
			act: func(s *dialer.Session, e dialer.Event) {
				if e.Phase == dialer.PhaseAwaitConfirm {
					s.Hangup()
				}
			},
			outcome: dialer.OutcomeNotDialed, legs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newCallWorld(t, opts{})
			if c.agent != "" {
				w.agent.Phone = c.agent
			}
			who := w.contact(t, "Walter Skinner", c.contact)
			call, events, err := w.place(t, dialer.CallOptions{Contact: who}, c.act)
			if err != nil {
				t.Fatalf("%v (events %v)", err, phases(events))
			}
			stored, err := w.db.Call(context.Background(), call.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Outcome != c.outcome || len(stored.Legs) != c.legs {
				t.Fatalf("outcome %s with %d legs, want %s with %d (events %v, legs %+v)", stored.Outcome, len(stored.Legs), c.outcome, c.legs, phases(events), stored.Legs)
			}
			if stored.ContactID != who.ID || stored.AgentName != "Fox Mulder" || stored.AgentPhone != w.agent.Phone || !stored.NewNumber || stored.FeeChargeID == 0 {
				t.Errorf("record %+v", stored)
			}
			if stored.EndedAt.IsZero() || stored.CallerID[:5] != "+1212" {
				t.Errorf("record ended %v from %s", stored.EndedAt, stored.CallerID)
			}
			agent := mustLeg(t, stored, dialer.AgentLeg)
			if agent.SID == "" || !agent.Status.Ended() || agent.To != w.agent.Phone || agent.Rate == nil {
				t.Errorf("agent leg %+v", agent)
			}
			if c.legs == 2 {
				contact := mustLeg(t, stored, dialer.ContactLeg)
				if contact.Status != c.contactSt || contact.To != c.contact || contact.Rate == nil || contact.SID == agent.SID {
					t.Errorf("contact leg %+v, want status %s", contact, c.contactSt)
				}
				if c.outcome == dialer.OutcomeAnswered && (contact.Duration <= 0 || agent.Duration < contact.Duration) {
					t.Errorf("durations: agent %v, contact %v", agent.Duration, contact.Duration)
				}
			}
			if ps := phases(events); ps[len(ps)-1] != dialer.PhaseEnded {
				t.Errorf("events end with %v", ps)
			}
		})
	}
}

func TestCallPurchaseFailureDialsNothingChargesNothing(t *testing.T) {
	w := newCallWorld(t, opts{})
	w.emu.FailNextPurchase(21631)
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Ann", "+12125550143")}, confirmWhenAsked)
	if dialer.ErrorKind(err) != dialer.EADDRESS || call.ID != 0 {
		t.Fatalf("call %+v, %v; want an address error and no call", call, err)
	}
	if n := countRequests(w.emu, "POST", "Calls.json"); n != 0 {
		t.Errorf("%d calls created after a failed purchase", n)
	}
	if cs, _ := w.db.Calls(context.Background(), dialer.CallFilter{}); len(cs) != 0 || len(w.charges(t)) != 0 {
		t.Errorf("%d call records, %d fees", len(cs), len(w.charges(t)))
	}
}

func TestSecondCallReusesNumberAndPricesAreBackfilled(t *testing.T) {
	w := newCallWorld(t, opts{})
	ctx := context.Background()
	ann := w.contact(t, "Ann", "+12125550143")
	first, _, err := w.place(t, dialer.CallOptions{Contact: ann, Confirm: dialer.ConfirmAuto, HangupAfter: 100 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Set(afternoon.Add(2 * 24 * time.Hour))
	second, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Bob", "+12125550188"), Confirm: dialer.ConfirmAuto, HangupAfter: 100 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.NewNumber || second.FeeChargeID != 0 || second.CallerID != first.CallerID || len(w.charges(t)) != 1 {
		t.Errorf("second call %+v: want the first's number, no fee", second)
	}
	n, _ := w.db.Number(ctx, second.NumberID)
	if !n.ReservedUntil.Equal(afternoon.Add(16 * 24 * time.Hour)) {
		t.Errorf("reserved until %v, want 14 days after the second call", n.ReservedUntil)
	}
	if first.EndReason != "hang-up timer" || first.Outcome != dialer.OutcomeAnswered {
		t.Errorf("first call %s / %q", first.Outcome, first.EndReason)
	}

	// Prices arrive some (emulated) seconds after the calls end.
	unpriced, _ := w.db.UnpricedLegs(ctx, 0)
	if len(unpriced) == 0 {
		t.Log("every leg was already priced when the call ended (fast machine)")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := w.calls.Backfill(ctx); err != nil {
			t.Fatal(err)
		}
		if left, _ := w.db.UnpricedLegs(ctx, 0); len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("prices never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, _ := w.db.Call(ctx, first.ID)
	total, known, err := got.Total()
	if err != nil || !known || total.Amount <= 0 || total.Currency != "USD" {
		t.Errorf("total %v known=%v err=%v", total, known, err)
	}
	for _, l := range got.Legs {
		// The emulator charges 0.014 per started minute; a short call is
		// one minute on each leg.
		if l.Price == nil || l.Price.Amount.String() != "0.014" {
			t.Errorf("%s leg price %v, want 0.014", l.Role, l.Price)
		}
	}
}

func TestBalanceTurningNegativeEndsTheCall(t *testing.T) {
	w := newCallWorld(t, opts{emu: twilioemu.Config{Balance: "1.20"}})
	ctx := context.Background()
	s, _ := w.db.Settings(ctx)
	s.BalanceGrace = 50 * time.Millisecond
	w.db.SaveSettings(ctx, s)
	spent := false
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Ann", "+12125550143")}, func(s *dialer.Session, e dialer.Event) {
		confirmWhenAsked(s, e)
		if e.Phase == dialer.PhaseConnected && !spent {
			spent = true // someone buys a number meanwhile: the balance goes below zero
			if _, err := w.prov.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "303"}); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if call.EndReason != "balance negative" || call.Outcome != dialer.OutcomeAnswered {
		t.Errorf("call ended %s / %q, want answered / balance negative", call.Outcome, call.EndReason)
	}
	if mustLeg(t, call, dialer.ContactLeg).Duration >= 90*time.Second {
		t.Errorf("the call ran its full length despite the balance")
	}
	// And the next call is refused before anything is dialed.
	if _, err := w.calls.Start(ctx, dialer.CallOptions{Contact: w.contact(t, "Bob", "+13035550100"), Agent: w.agent}); dialer.ErrorKind(err) != dialer.EREFUSED {
		t.Errorf("call with a negative balance: %v", err)
	}
}

func TestGuards(t *testing.T) {
	ctx := context.Background()
	t.Run("daily cap", func(t *testing.T) {
		w := newCallWorld(t, opts{})
		s, _ := w.db.Settings(ctx)
		s.DailyCallCap = 1
		w.db.SaveSettings(ctx, s)
		if _, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Ann", "+12125550143"), Confirm: dialer.ConfirmAuto, HangupAfter: 50 * time.Millisecond}, nil); err != nil {
			t.Fatal(err)
		}
		_, err := w.calls.Start(ctx, dialer.CallOptions{Contact: w.contact(t, "Bob", "+12125550144"), Agent: w.agent})
		if dialer.ErrorKind(err) != dialer.EREFUSED || !strings.Contains(err.Error(), "cap of 1") {
			t.Errorf("second call: %v", err)
		}
	})
	t.Run("do not call", func(t *testing.T) {
		w := newCallWorld(t, opts{})
		c := w.contact(t, "Ann", "+12125550143")
		if _, err := w.db.AddDNC(ctx, []string{"+12125550143"}, "asked by letter", "Sam", w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := w.calls.Start(ctx, dialer.CallOptions{Contact: c, Agent: w.agent})
		if dialer.ErrorKind(err) != dialer.EREFUSED || w.purchases() != 0 ||
			err.Error() != "Ann (+12125550143) is on the do-not-call list: asked by letter" {
			t.Errorf("do-not-call: %v, %d purchases", err, w.purchases())
		}
	})
	t.Run("outside calling hours, then overridden with a reason", func(t *testing.T) {
		w := newCallWorld(t, opts{})
		w.clock.Set(time.Date(2026, 11, 18, 6, 30, 0, 0, time.UTC)) // 01:30 in New York
		ann := w.contact(t, "Ann", "+12125550143")
		_, err := w.calls.Start(ctx, dialer.CallOptions{Contact: ann, Agent: w.agent})
		if dialer.ErrorKind(err) != dialer.EHOURS || !strings.Contains(err.Error(), "01:30") || w.purchases() != 0 {
			t.Fatalf("at 01:30: %v, %d purchases", err, w.purchases())
		}
		call, _, err := w.place(t, dialer.CallOptions{Contact: ann, OverrideReason: "customer asked for a call back tonight",
			Confirm: dialer.ConfirmAuto, HangupAfter: 50 * time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stored, _ := w.db.Call(ctx, call.ID); stored.OverrideReason != "customer asked for a call back tonight" {
			t.Errorf("override reason %q not recorded", stored.OverrideReason)
		}
	})
	t.Run("an area code spanning time zones takes the most restrictive", func(t *testing.T) {
		w := newCallWorld(t, opts{})
		// 907 (Alaska) spans Anchorage (UTC-9) and Adak (UTC-10). At 06:30
		// UTC it is 21:30 in Anchorage, outside hours, and 20:30 in Adak,
		// inside: refused.
		zones, err := dialer.CalleeZones("+19075550100")
		if err != nil || len(zones) != 2 {
			t.Fatalf("zones of 907: %v, %v", zones, err)
		}
		w.clock.Set(time.Date(2026, 11, 19, 6, 30, 0, 0, time.UTC))
		ann := w.contact(t, "Ann", "+19075550100")
		_, err = w.calls.Start(ctx, dialer.CallOptions{Contact: ann, Agent: w.agent})
		if dialer.ErrorKind(err) != dialer.EHOURS || !strings.Contains(err.Error(), "Anchorage") {
			t.Errorf("at 21:30 Anchorage / 20:30 Adak: %v", err)
		}
		// At 17:30 UTC it is 08:30 in Anchorage but 07:30 in Adak: refused.
		w.clock.Set(time.Date(2026, 11, 19, 17, 30, 0, 0, time.UTC))
		_, err = w.calls.Start(ctx, dialer.CallOptions{Contact: ann, Agent: w.agent})
		if dialer.ErrorKind(err) != dialer.EHOURS || !strings.Contains(err.Error(), "Adak") {
			t.Errorf("at 08:30 Anchorage / 07:30 Adak: %v", err)
		}
	})
}
