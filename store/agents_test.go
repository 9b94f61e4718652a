package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// The first agent is a supervisor; names are unique among active agents;
// the last supervisor cannot be demoted or removed; a removed agent is
// kept, inactive.
func testAgentsAreRecordsWithRoles(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	first, err := db.CreateAgent(ctx, dialer.Agent{Name: "Sam Super", Phone: "+14155550100", Role: dialer.RoleAgent, CreatedAt: t0})
	if err != nil || first.Role != dialer.RoleSupervisor || !first.Active || !first.CreatedAt.Equal(t0) {
		t.Fatalf("first agent %+v, %v; want a supervisor", first, err)
	}
	ann, err := db.CreateAgent(ctx, dialer.Agent{Name: "Ann", Phone: "+14155550101", CreatedAt: t0})
	if err != nil || ann.Role != dialer.RoleAgent {
		t.Fatalf("second agent %+v, %v; want an agent", ann, err)
	}
	if _, err := db.CreateAgent(ctx, dialer.Agent{Name: "Ann", Phone: "+14155550102", CreatedAt: t0}); dialer.ErrorKind(err) != dialer.ECONFLICT ||
		!strings.HasPrefix(err.Error(), "there is already an agent named Ann") {
		t.Errorf("a second Ann: %v", err)
	}
	demoted := first
	demoted.Role = dialer.RoleAgent
	if _, err := db.UpdateAgent(ctx, demoted); dialer.ErrorKind(err) != dialer.EREFUSED {
		t.Errorf("demoting the last supervisor: %v", err)
	}
	removed := first
	removed.Active = false
	if _, err := db.UpdateAgent(ctx, removed); dialer.ErrorKind(err) != dialer.EREFUSED {
		t.Errorf("removing the last supervisor: %v", err)
	}
	ann.Role = dialer.RoleSupervisor
	if ann, err = db.UpdateAgent(ctx, ann); err != nil || !ann.Supervisor() {
		t.Fatalf("promoting Ann: %+v, %v", ann, err)
	}
	if got, err := db.UpdateAgent(ctx, removed); err != nil || got.Active {
		t.Fatalf("removing Sam once Ann supervises: %+v, %v", got, err)
	}
	// Sam's name is free again; Sam's record stays.
	if _, err := db.CreateAgent(ctx, dialer.Agent{Name: "Sam Super", Phone: "+14155550109", CreatedAt: t0}); err != nil {
		t.Errorf("a new Sam Super after the old one left: %v", err)
	}
	active, _ := db.Agents(ctx, false)
	all, _ := db.Agents(ctx, true)
	if len(active) != 2 || len(all) != 3 || all[2].ID != first.ID || all[2].Active {
		t.Errorf("active %+v\nall %+v", active, all)
	}
	if _, err := db.Agent(ctx, 999); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("agent 999: %v", err)
	}

	// Calls name their agent and can be listed by agent; a fee names the
	// agent whose call bought the number.
	c := mustContact(t, db, "Carol", "+12125550143")
	for _, ag := range []dialer.Agent{ann, first, ann} {
		if _, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentID: ag.ID, AgentName: ag.Name, AgentPhone: ag.Phone,
			CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := db.Calls(ctx, dialer.CallFilter{AgentID: ann.ID})
	if err != nil || len(mine) != 2 || mine[0].AgentID != ann.ID {
		t.Errorf("Ann's calls: %+v, %v", mine, err)
	}
	cl, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "212", Now: t0, ReserveUntil: t0.Add(time.Hour), MaxNumbers: 5, Agent: ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, ch := activate(t, db, cl.Number.ID, "+12125550100", "PNann")
	if ch == nil || ch.AgentID != ann.ID {
		t.Errorf("fee %+v; want it to name Ann (%d)", ch, ann.ID)
	}
	if hers, err := db.Charges(ctx, dialer.ChargeFilter{AgentID: ann.ID}); err != nil || len(hers) != 1 {
		t.Errorf("Ann's fees: %+v, %v", hers, err)
	}
	if others, err := db.Charges(ctx, dialer.ChargeFilter{AgentID: first.ID}); err != nil || len(others) != 0 {
		t.Errorf("Sam's fees: %+v, %v", others, err)
	}
}

// On PostgreSQL the database itself refuses an agent's login what only
// supervisors may do, whatever the program asks: settings, dedicated
// purchases, assignments, agents. Placing calls works.
func TestPostgresAgentRoleIsRefusedSupervisorsWork(t *testing.T) {
	admin := pgtest.URL(t)
	owner, err := Open(context.Background(), admin) // migrates: makes the roles and grants
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	ctx := context.Background()
	sup, err := owner.CreateAgent(ctx, dialer.Agent{Name: "Sam", Phone: "+14155550100", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	login := func(role string) *DB {
		t.Helper()
		name := fmt.Sprintf("%s_%d", strings.TrimPrefix(role, "dialer_"), time.Now().UnixNano())
		if _, err := owner.db.ExecContext(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN IN ROLE %s", name, role)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { owner.db.ExecContext(context.Background(), "DROP ROLE IF EXISTS "+name) })
		u, _ := url.Parse(admin)
		u.User = url.User(name)
		db, err := Open(ctx, u.String())
		if err != nil {
			t.Fatalf("%s opens the team database: %v", role, err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	agent, supervisor := login("dialer_agent"), login("dialer_supervisor")

	refused := func(what string, err error) {
		t.Helper()
		if dialer.ErrorKind(err) != dialer.EREFUSED || !strings.HasPrefix(err.Error(), "the database refused: this user is not allowed to do that") {
			t.Errorf("an agent's login: %s: %v; want the database to refuse", what, err)
		}
	}
	set := dialer.DefaultSettings()
	set.MaxNumbers = 3
	refused("saving settings", agent.SaveSettings(ctx, set))
	_, err = agent.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 10})
	refused("buying a dedicated number", err)
	_, err = agent.CreateAgent(ctx, dialer.Agent{Name: "Eve", Phone: "+14155550199", CreatedAt: t0})
	refused("adding an agent", err)
	_, err = agent.db.ExecContext(ctx, "UPDATE numbers SET agent_id = ?, is_primary = 1", sup.ID)
	if err == nil || !strings.Contains(err.Error(), "42501") {
		t.Errorf("an agent's login assigning numbers: %v; want permission denied", err)
	}

	// What calls need works for the agent's login.
	c, err := agent.CreateContact(ctx, dialer.Contact{Name: "Carol", Phone: "+12125550143", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatalf("agent creating a contact: %v", err)
	}
	cl, err := agent.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "212", Now: t0, ReserveUntil: t0.Add(time.Hour), MaxNumbers: 5})
	if err != nil || cl.Action != dialer.ClaimBuy {
		t.Fatalf("agent claiming an on-demand number: %+v, %v", cl, err)
	}
	activate(t, agent, cl.Number.ID, "+12125550100", "PNa")
	if _, err := agent.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentID: sup.ID, AgentName: "Sam", AgentPhone: sup.Phone,
		CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: t0}); err != nil {
		t.Errorf("agent recording a call: %v", err)
	}
	if _, err := agent.ExpireReservations(ctx, t0.Add(2*time.Hour)); err != nil {
		t.Errorf("agent's sweeper expiring reservations: %v", err)
	}

	// A supervisor's login does all of it.
	if err := supervisor.SaveSettings(ctx, set); err != nil {
		t.Errorf("supervisor saving settings: %v", err)
	}
	if _, err := supervisor.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 10}); err != nil {
		t.Errorf("supervisor buying a dedicated number: %v", err)
	}
	if _, err := supervisor.CreateAgent(ctx, dialer.Agent{Name: "Eve", Phone: "+14155550199", CreatedAt: t0}); err != nil {
		t.Errorf("supervisor adding an agent: %v", err)
	}
}

// A number assigned to an agent is their primary: their calls to its area
// code use it, nobody else's do; one primary a agent, one agent a number.
func testAssignedNumbersArePrimary(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Ann", Phone: "+14155550101", CreatedAt: t0})
	bob, _ := db.CreateAgent(ctx, dialer.Agent{Name: "Bob", Phone: "+14155550102", CreatedAt: t0})
	req := func(a dialer.Agent, area string) dialer.ClaimRequest {
		return dialer.ClaimRequest{Country: "US", AreaCode: area, Now: t0.Add(time.Hour), ReserveUntil: t0.Add(48 * time.Hour), MaxNumbers: 10, Agent: a.ID}
	}
	// A dedicated 212 number, assigned to Ann.
	p, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "212", Now: t0, MaxNumbers: 10})
	if err != nil {
		t.Fatal(err)
	}
	ded, _, err := db.ActivateNumber(ctx, p.ID, dialer.Activation{SID: "PNd", PhoneNumber: "+12125550100", AreaCode: "212", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.AssignNumber(ctx, ded.ID, ann.ID); err != nil || got.AgentID != ann.ID || !got.Primary {
		t.Fatalf("assign: %+v, %v", got, err)
	}
	cl, err := db.ClaimNumber(ctx, req(ann, "212"))
	if err != nil || cl.Action != dialer.ClaimReused || cl.Number.ID != ded.ID || !cl.Number.ReservedUntil.IsZero() {
		t.Fatalf("Ann's call to 212: %+v, %v; want her primary number, with no reservation", cl, err)
	}
	if cl, err := db.ClaimNumber(ctx, req(bob, "212")); err != nil || cl.Action != dialer.ClaimBuy {
		t.Fatalf("Bob's call to 212: %+v, %v; want a purchase of his own, not Ann's number", cl, err)
	}
	// An on-demand 415 number: anyone's until assigned to Bob.
	c415, _ := db.ClaimNumber(ctx, req(ann, "415"))
	od, _ := activate(t, db, c415.Number.ID, "+14155550100", "PNo")
	if cl, _ := db.ClaimNumber(ctx, req(ann, "415")); cl.Action != dialer.ClaimReused || cl.Number.ID != od.ID {
		t.Fatalf("Ann's call to 415 before the assignment: %+v", cl)
	}
	if _, err := db.AssignNumber(ctx, od.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if cl, _ := db.ClaimNumber(ctx, req(ann, "415")); cl.Action == dialer.ClaimReused && cl.Number.ID == od.ID {
		t.Errorf("Ann's call to 415 used Bob's number")
	}
	// Ann gets the 415 number: Bob's assignment ends; her 212 stays hers
	// no more (one primary a agent).
	if _, err := db.AssignNumber(ctx, od.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Number(ctx, ded.ID); got.AgentID != 0 || got.Primary {
		t.Errorf("Ann's previous primary number is still hers: %+v", got)
	}
	if got, err := db.AssignNumber(ctx, od.ID, 0); err != nil || got.AgentID != 0 || got.Primary {
		t.Errorf("unassign: %+v, %v", got, err)
	}
	if _, err := db.AssignNumber(ctx, p.ID+100, ann.ID); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("assigning no number: %v", err)
	}
}
