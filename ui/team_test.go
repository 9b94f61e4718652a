package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Two agents' UIs on one PostgreSQL database: a number bought from one
// appears on the other's Numbers screen within a second, without a key
// pressed there (the change feed).
func TestTwoUIsOnOnePostgres(t *testing.T) {
	url := pgtest.URL(t)
	open := func() *store.DB {
		db, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	prov := testProvider(t)
	one := testDepsOn(t, agent, open(), prov)
	otherDB := open()
	two := testDepsOn(t, agent, otherDB, prov)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	two.Changes = otherDB.Watch(ctx, 0)

	d := newDriver(t, New(two), 120, 40)
	d.until("Walter Skinner")
	d.keys("esc", "2")
	d.until("0 of 50 numbers in use")

	r, err := one.Numbers.Acquire(context.Background(), people[0], nil)
	if err != nil || !r.Bought {
		t.Fatalf("buying from the first UI's engine: %+v, %v", r, err)
	}
	bought := time.Now()
	want := phoneCache(nil).format(r.Number.PhoneNumber)
	deadline := time.After(time.Second)
	for !strings.Contains(d.screen(), want) {
		select {
		case msg := <-d.msgs: // only what the program itself does: no key is sent
			d.send(msg)
		case <-deadline:
			t.Fatalf("%s, bought from the other UI, was not on this Numbers screen within 1 s:\n%s", want, d.screen())
		}
	}
	t.Logf("the number showed %v after its purchase committed", time.Since(bought).Round(time.Millisecond))
	if s := d.screen(); !strings.Contains(s, "1 of 50 numbers in use") {
		t.Errorf("the count did not follow:\n%s", s)
	}
}

// The Team screen for a supervisor: who is offline, idle, ringing their
// phone, on a call with whom and for how long; the day's figures; golden
// at 80x24 and 120x40.
func TestTeamScreen(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(itoa(w)+"x"+itoa(h), func(t *testing.T) {
			db, err := store.Open(context.Background(), t.TempDir()+"/dialer.db")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ctx, now := context.Background(), fixedNow
			sam, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Sam Supervisor", Phone: "+14155550100", CreatedAt: now})
			ann, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Ann Agent", Phone: "+14155550101", CreatedAt: now})
			bob, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Bob Agent", Phone: "+14155550102", CreatedAt: now})
			db.CreateAgent(ctx, dialer.Agent{Name: "Cy Away", Phone: "+14155550103", CreatedAt: now})
			d := testDepsOn(t, sam, db, testProvider(t))
			walter, _ := db.ContactByPhone(ctx, people[0].Phone)
			for _, a := range []dialer.Agent{sam, ann, bob} {
				db.TakeLease(ctx, dialer.PresenceLease(a.ID), "h"+a.Name, a.Name, now, time.Hour)
			}
			price := dialer.MustMoney("0.014", "USD")
			done, _ := db.StartCall(ctx, dialer.Call{ContactID: walter.ID, AgentID: ann.ID, AgentName: ann.Name, AgentPhone: ann.Phone,
				CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: now.Add(-time.Hour)})
			db.SaveLeg(ctx, done.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA1", To: ann.Phone, Status: dialer.CallCompleted, Duration: 130 * time.Second, Price: &price})
			db.SaveLeg(ctx, done.ID, dialer.Leg{Role: dialer.ContactLeg, SID: "CA2", To: walter.Phone, Status: dialer.CallCompleted, Duration: 125 * time.Second, Price: &price})
			db.FinishCall(ctx, done.ID, dialer.OutcomeAnswered, "", now.Add(-58*time.Minute))
			live, _ := db.StartCall(ctx, dialer.Call{ContactID: walter.ID, AgentID: ann.ID, AgentName: ann.Name, AgentPhone: ann.Phone,
				CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: now.Add(-95 * time.Second)})
			db.SaveLeg(ctx, live.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA3", To: ann.Phone, Status: dialer.CallInProgress})
			db.SaveLeg(ctx, live.ID, dialer.Leg{Role: dialer.ContactLeg, SID: "CA4", To: walter.Phone, Status: dialer.CallInProgress})
			ring, _ := db.StartCall(ctx, dialer.Call{ContactID: walter.ID, AgentID: bob.ID, AgentName: bob.Name, AgentPhone: bob.Phone,
				CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: now.Add(-4 * time.Second)})
			db.SaveLeg(ctx, ring.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA5", To: bob.Phone, Status: dialer.CallRinging})

			dr := newDriver(t, New(d), w, h)
			dr.until("Walter Skinner")
			dr.keys("esc", "5")
			s := dr.until("Team today: 3 of 4 online, 2 on a call")
			for _, want := range []string{"on call 1:35 with Walter Skinner", "ringing their phone for Walter", "offline", "2:05", "0.028"} {
				if !strings.Contains(s, want) {
					t.Errorf("the Team screen does not say %q:\n%s", want, s)
				}
			}
			golden(t, "team-live-"+itoa(w)+"x"+itoa(h), dr.m.View().Content)
		})
	}
}

// On a team's database the first run picks who you are among the agents a
// supervisor added; the machine is that agent from then on.
func TestFirstRunPicksATeamAgent(t *testing.T) {
	db, err := store.Open(context.Background(), t.TempDir()+"/dialer.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	db.CreateAgent(ctx, dialer.Agent{Name: "Sam Supervisor", Phone: "+14155550100", CreatedAt: fixedNow})
	db.CreateAgent(ctx, dialer.Agent{Name: "Ann Agent", Phone: "+14155550101", CreatedAt: fixedNow})
	d := testDepsOn(t, dialer.Agent{}, db, testProvider(t))
	d.TeamAgents = []string{"Ann Agent", "Sam Supervisor"}
	d.UseAgent = func(name string) (dialer.Agent, error) {
		agents, err := db.Agents(ctx, false)
		for _, a := range agents {
			if a.Name == name {
				return a, err
			}
		}
		return dialer.Agent{}, dialer.Errorf(dialer.ENOTFOUND, "no agent %q", name)
	}
	dr := newDriver(t, New(d), 80, 24)
	dr.until("Which of its agents are you?")
	dr.keys("down", "down", "enter") // wraps: Ann, Sam, Ann
	dr.until("Welcome, Ann Agent")
	if m := dr.m.(Model); m.d.Agent.Name != "Ann Agent" || m.d.Agent.ID == 0 || m.d.Agent.Phone != "+14155550101" {
		t.Errorf("agent %+v", m.d.Agent)
	}
}

// The Numbers screen cancels the selected number (after y) and takes the
// cancellation back (c again); an agent is refused.
func TestNumbersScreenCancelsAndTakesBack(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(itoa(size[0])+"x"+itoa(size[1]), func(t *testing.T) { testNumbersScreenCancels(t, size[0], size[1]) })
	}
}

func testNumbersScreenCancels(t *testing.T, w, h int) {
	d := testDeps(t, agent)
	n, err := d.Numbers.BuyDedicated(context.Background(), dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	dr := newDriver(t, New(d), w, h)
	dr.until("Walter Skinner")
	dr.keys("esc", "2")
	dr.until("1 of 50 numbers in use")
	dr.keys("c")
	if s := dr.until("Cancel " + n.PhoneNumber + "?"); !strings.Contains(s, "then it is released. y/n") {
		t.Errorf("the question is cut at %d columns:\n%s", w, s)
	}
	golden(t, "numbers-cancel-"+itoa(w)+"x"+itoa(h), dr.m.View().Content)
	dr.keys("n")
	dr.until(n.PhoneNumber + " was not canceled.")
	dr.keys("c", "y")
	dr.until(n.PhoneNumber + " is canceling: it keeps working until")
	if got, _ := d.Store.Number(context.Background(), n.ID); got.Status != dialer.StatusCanceling {
		t.Fatalf("after c, y: %s", got.Status)
	}
	dr.keys("c")
	dr.until(n.PhoneNumber + " is active again")
	if got, _ := d.Store.Number(context.Background(), n.ID); got.Status != dialer.StatusActive {
		t.Fatalf("after c on a canceling number: %s", got.Status)
	}

	ag := testDeps(t, dialer.Agent{ID: 7, Name: "Ann Agent", Phone: "+14155550101", Role: dialer.RoleAgent})
	da := newDriver(t, New(ag), 120, 40)
	if _, err := ag.Numbers.BuyDedicated(context.Background(), dialer.DedicatedRequest{Country: "US", AreaCode: "415"}); err != nil {
		t.Fatal(err)
	}
	da.until("Walter Skinner")
	da.keys("esc", "2")
	da.until("1 of 50 numbers in use")
	da.keys("c")
	da.until("only a supervisor may cancel a number; Ann Agent is an agent")
}

// The Numbers screen assigns the selected number to an agent (its AGENT
// column names them) and back to no one.
func TestNumbersScreenAssigns(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(itoa(size[0])+"x"+itoa(size[1]), func(t *testing.T) { testNumbersScreenAssigns(t, size[0], size[1]) })
	}
}

func testNumbersScreenAssigns(t *testing.T, w, h int) {
	d := testDeps(t, agent)
	ctx := context.Background()
	d.Store.CreateAgent(ctx, dialer.Agent{Name: "Sam Supervisor", Phone: "+14155550100", CreatedAt: fixedNow})
	ann, _ := d.Store.CreateAgent(ctx, dialer.Agent{Name: "Ann Agent", Phone: "+14155550101", CreatedAt: fixedNow})
	n, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	dr := newDriver(t, New(d), w, h)
	dr.until("Walter Skinner")
	dr.keys("esc", "2")
	dr.until("1 of 50 numbers in use")
	dr.keys("a")
	dr.until("Whose primary number is " + n.PhoneNumber + "?")
	golden(t, "numbers-assign-"+itoa(w)+"x"+itoa(h), dr.m.View().Content)
	dr.keys("enter") // the first: Ann Agent (by name)
	dr.until(n.PhoneNumber + " is Ann Agent's primary number.")
	if got, _ := d.Store.Number(ctx, n.ID); got.AgentID != ann.ID || !got.Primary {
		t.Fatalf("after assigning: %+v", got)
	}
	if s := dr.screen(); !strings.Contains(s, "Ann Agent") {
		t.Errorf("the AGENT column does not name her:\n%s", s)
	}
	dr.keys("a", "up", "enter") // up from the first wraps to "no one"
	dr.until(n.PhoneNumber + " is no one's")
	if got, _ := d.Store.Number(ctx, n.ID); got.AgentID != 0 {
		t.Fatalf("after unassigning: %+v", got)
	}
}

// The Numbers screen names the selected number (n, type, enter); letters
// typed there are the name, not commands (q does not quit).
func TestNumbersScreenNames(t *testing.T) {
	d := testDeps(t, agent)
	ctx := context.Background()
	n, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	dr := newDriver(t, New(d), 120, 40)
	dr.until("Walter Skinner")
	dr.keys("esc", "2")
	dr.until("1 of 50 numbers in use")
	dr.keys("n")
	dr.until("Name " + n.PhoneNumber)
	dr.typeText("Quiet 2")
	dr.keys("enter")
	dr.until(n.PhoneNumber + " is named Quiet 2.")
	if got, _ := d.Store.Number(ctx, n.ID); dialer.NumberName(got.FriendlyName) != "Quiet 2" {
		t.Fatalf("after naming: %q", got.FriendlyName)
	}
	if s := dr.screen(); !strings.Contains(s, "Quiet 2") || strings.Contains(s, "dialer:") {
		t.Errorf("the NAME column shows %q:\n%s", "Quiet 2", s)
	}
}

// The header says why no call goes out while numbers are past due.
func TestHeaderSaysPastDue(t *testing.T) {
	d := testDeps(t, agent)
	ctx := context.Background()
	if _, err := d.Numbers.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"}); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Store.SetPastDue(ctx, true); err != nil || n != 1 {
		t.Fatalf("past due: %d, %v", n, err)
	}
	dr := newDriver(t, New(d), 80, 24)
	dr.until("PAST DUE: the balance is not positive; 1 number places no calls until it is")
}

// d pressed while the selected contact's detail pane is being read asks
// once it is read, instead of doing nothing.
func TestDeleteAskedWhileTheDetailIsRead(t *testing.T) {
	noPoll(t)
	d := newDriver(t, New(testDeps(t, agent)), 100, 30)
	d.until("Walter Skinner")
	d.keys("esc")
	m := d.m.(Model)
	m.contacts.detail = nil // as a refresh leaves it while it re-reads the pane
	d.m = m
	d.send(keyMsg("d"))
	d.run(m.contacts.loadDetail(m.d))
	d.until("Delete Walter Skinner?")
}
