package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// machine is another machine on the same database as c: its own home and
// configuration (so its own agent profile), the same data and database.
func (c *dayCLI) machine() *dayCLI {
	m := &dayCLI{t: c.t, dir: c.dir, envv: map[string]string{}}
	for k, v := range c.envv {
		m.envv[k] = v
	}
	m.envv["HOME"] = c.t.TempDir()
	return m
}

// The team's agents: the first is the supervisor, who adds the others;
// each machine says who it is; only supervisors add, edit or remove
// agents, buy dedicated numbers or release numbers; calls are listed by
// agent.
func TestAgentsAndRoles(t *testing.T) { forEngines(t, testAgentsAndRoles) }

func testAgentsAndRoles(t *testing.T, eng cmdEngine) {
	sam := newDayCLIOn(t, eng)
	if out := sam.ok("agents", "list"); !strings.HasPrefix(out, "No agents yet") {
		t.Errorf("agents list on a new database: %q", out)
	}
	if out := sam.ok("agent", "set", "--name", "Sam Super", "--phone", "+14155550100"); out != "Agent Sam Super (supervisor), phone +14155550100. Calls ring this phone first.\n" {
		t.Errorf("the first agent: %q", out)
	}
	sam.ok("agents", "add", "--name", "Ann Agent", "--phone", "+14155550101")
	sam.fails(1, `there is already an agent named Ann Agent (agent 2)`, "agents", "add", "--name", "Ann Agent", "--phone", "+14155550102")

	ann := sam.machine()
	ann.fails(1, "this machine is not one of the team's agents yet: run dialer agent use NAME (agents: Ann Agent, Sam Super)",
		"call", "--to", "+12125550143", "--confirm", "auto")
	ann.fails(1, "there is no agent named Zed in this team's database: a supervisor adds agents (dialer agents add --name NAME --phone NUMBER)",
		"agent", "set", "--name", "Zed", "--phone", "+14155550109")
	if out := ann.ok("agent", "use", "Ann Agent"); !strings.HasPrefix(out, "You are Ann Agent (agent) on this machine.") {
		t.Errorf("agent use: %q", out)
	}
	if out := ann.ok("agent", "show"); out != "Ann Agent\t+14155550101\tagent\n" {
		t.Errorf("agent show: %q", out)
	}
	for _, args := range [][]string{
		{"agents", "add", "--name", "Eve", "--phone", "+14155550103"},
		{"agents", "edit", "Sam Super", "--role", "agent"},
		{"agents", "rm", "Sam Super"},
		{"numbers", "buy", "--area-code", "415", "--yes"},
		{"numbers", "release", "+14155550100", "--yes"},
	} {
		what := map[string]string{"add": "add agents", "edit": "edit agents", "rm": "remove agents", "buy": "buy a dedicated number", "release": "release a number"}[args[1]]
		ann.fails(1, "only a supervisor may "+what+"; Ann Agent is an agent", args...)
	}
	var list []agentJSON
	ann.json(&list, "agents", "list", "--json")
	if len(list) != 2 || list[0].Name != "Ann Agent" || list[0].Role != "agent" || list[1].Role != "supervisor" {
		t.Errorf("agents list --json: %+v", list)
	}

	// Sam makes Ann a supervisor, then Ann may remove Sam, whose machine
	// then says so.
	sam.fails(1, "Sam Super is the team's last supervisor: make another agent a supervisor first", "agents", "edit", "Sam Super", "--role", "agent")
	sam.ok("agents", "edit", "Ann Agent", "--role", "supervisor")
	ann.ok("agents", "rm", "Sam Super")
	sam.fails(1, "agent Sam Super was removed from the team by a supervisor: run dialer agent use NAME to be another agent", "agent", "show")
	var all []agentJSON
	ann.json(&all, "agents", "list", "--all", "--json")
	if len(all) != 2 || all[1].Name != "Sam Super" || all[1].Active {
		t.Errorf("agents list --all --json: %+v", all)
	}

	// Calls by agent: none yet for either; --agent me names this machine's.
	var calls []json.RawMessage
	ann.json(&calls, "calls", "list", "--agent", "me", "--json")
	if len(calls) != 0 {
		t.Errorf("Ann's calls: %s", calls)
	}
	ann.fails(1, `no agent "Nobody" (see dialer agents list)`, "calls", "list", "--agent", "Nobody")
}
