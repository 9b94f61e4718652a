package store

import (
	"context"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// The Team screen's figures: who is online (presence lease), who is on a
// call with whom (ringing their phone first), and each one's calls,
// connects, talk time and spend since the day began.
func testTeamStatesAndFigures(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Ann", Phone: "+14155550101", CreatedAt: t0})
	bob, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Bob", Phone: "+14155550102", CreatedAt: t0})
	cy, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Cy", Phone: "+14155550103", CreatedAt: t0})
	walter := mustContact(t, db, "Walter", "+12125550143")
	now := t0.Add(2 * time.Hour)
	// Ann and Bob have a dialer open; Cy's presence expired (a dead process).
	for _, a := range []dialer.Agent{ann, bob} {
		if _, _, err := db.TakeLease(ctx, dialer.PresenceLease(a.ID), "h"+a.Name, a.Name, now, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	db.TakeLease(ctx, dialer.PresenceLease(cy.ID), "hCy", "Cy", now.Add(-2*time.Minute), time.Minute)

	call := func(a dialer.Agent, at time.Time) dialer.Call {
		c, err := db.StartCall(ctx, dialer.Call{ContactID: walter.ID, AgentID: a.ID, AgentName: a.Name, AgentPhone: a.Phone,
			CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	price := dialer.MustMoney("0.014", "USD")
	// Bob: an answered call this morning (90 s with Walter, both legs
	// priced), and one on now, with Walter.
	done := call(bob, now.Add(-time.Hour))
	for _, l := range []dialer.Leg{
		{Role: dialer.AgentLeg, SID: "CA1", To: bob.Phone, Status: dialer.CallCompleted, Duration: 100 * time.Second, Price: &price},
		{Role: dialer.ContactLeg, SID: "CA2", To: walter.Phone, Status: dialer.CallCompleted, Duration: 90 * time.Second, Price: &price},
	} {
		if err := db.SaveLeg(ctx, done.ID, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.FinishCall(ctx, done.ID, dialer.OutcomeAnswered, "", now.Add(-58*time.Minute)); err != nil {
		t.Fatal(err)
	}
	live := call(bob, now.Add(-3*time.Minute))
	db.SaveLeg(ctx, live.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA3", To: bob.Phone, Status: dialer.CallInProgress})
	db.SaveLeg(ctx, live.ID, dialer.Leg{Role: dialer.ContactLeg, SID: "CA4", To: walter.Phone, Status: dialer.CallInProgress})
	// Ann: her phone is ringing.
	ringing := call(ann, now.Add(-5*time.Second))
	db.SaveLeg(ctx, ringing.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA5", To: ann.Phone, Status: dialer.CallRinging})
	// Dee answered her phone; her contact is being dialed.
	dee, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Dee", Phone: "+14155550104", CreatedAt: t0})
	db.TakeLease(ctx, dialer.PresenceLease(dee.ID), "hDee", "Dee", now, time.Minute)
	dialing := call(dee, now.Add(-20*time.Second))
	db.SaveLeg(ctx, dialing.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA6", To: dee.Phone, Status: dialer.CallInProgress})
	db.SaveLeg(ctx, dialing.ID, dialer.Leg{Role: dialer.ContactLeg, SID: "CA7", To: walter.Phone, Status: dialer.CallRinging})

	team, err := db.Team(ctx, t0, now, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if len(team) != 4 {
		t.Fatalf("team %+v", team)
	}
	byName := map[string]dialer.AgentStatus{}
	for _, s := range team {
		byName[s.Agent.Name] = s
	}
	if s := byName["Ann"]; s.State != dialer.AgentRinging || s.Contact != "Walter" || !s.Since.Equal(ringing.StartedAt) || s.Calls != 1 || s.Connects != 0 {
		t.Errorf("Ann %+v; want ringing her phone for Walter, 1 call", s)
	}
	if s := byName["Bob"]; s.State != dialer.AgentOnCall || s.Contact != "Walter" || !s.Since.Equal(live.StartedAt) ||
		s.Calls != 2 || s.Connects != 1 || s.TalkTime != 90*time.Second || s.Spend != dialer.MustMoney("0.028", "USD") {
		t.Errorf("Bob %+v; want on a call with Walter, 2 calls, 1 connect, 1:30 talk, 0.028 USD", s)
	}
	if s := byName["Dee"]; s.State != dialer.AgentDialing || s.Contact != "Walter" {
		t.Errorf("Dee %+v; want dialing Walter", s)
	}
	if s := byName["Cy"]; s.State != dialer.AgentOffline || s.Calls != 0 {
		t.Errorf("Cy %+v; want offline", s)
	}
}
