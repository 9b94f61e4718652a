package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// A supervisor cancels a number's subscription: it stays, canceling, until
// its billing period ends; the cancellation can be taken back; an agent
// may do neither.
func TestNumbersCancel(t *testing.T) { forEngines(t, testNumbersCancel) }

func testNumbersCancel(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.envv["DIALER_SANDBOX_TIME_SCALE"] = "0.01"
	var bought numberJSON
	c.json(&bought, "numbers", "buy", "--area-code", "415", "--yes", "--json")
	out := c.ok("numbers", "cancel", bought.PhoneNumber)
	if !strings.HasPrefix(out, bought.PhoneNumber+" is canceling: it keeps working until ") || !strings.Contains(out, "--undo") {
		t.Errorf("numbers cancel: %q", out)
	}
	var listed []numberJSON
	c.json(&listed, "numbers", "list", "--json")
	if len(listed) != 1 || listed[0].Status != "canceling" {
		t.Fatalf("after cancel: %+v", listed)
	}
	c.fails(1, bought.PhoneNumber+" is canceling: it cannot become canceling", "numbers", "cancel", bought.PhoneNumber)
	if out := c.ok("numbers", "cancel", bought.PhoneNumber, "--undo"); out != bought.PhoneNumber+" is active again; its cancellation is taken back.\n" {
		t.Errorf("numbers cancel --undo: %q", out)
	}
	c.fails(1, bought.PhoneNumber+" is active: it cannot become active", "numbers", "cancel", bought.PhoneNumber, "--undo")
	c.fails(1, "+14155559999 is not in the inventory (see dialer numbers list)", "numbers", "cancel", "+14155559999")

	c.ok("agent", "set", "--name", "Sam Super", "--phone", "+14155550100")
	c.ok("agents", "add", "--name", "Ann Agent", "--phone", "+14155550101")
	ann := c.machine()
	ann.ok("agent", "use", "Ann Agent")
	ann.fails(1, "only a supervisor may cancel a number; Ann Agent is an agent", "numbers", "cancel", bought.PhoneNumber)
}

// A supervisor makes a number an agent's primary number, moves it to
// another, and makes it no one's; an agent may not.
func TestNumbersAssign(t *testing.T) { forEngines(t, testNumbersAssign) }

func testNumbersAssign(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.envv["DIALER_SANDBOX_TIME_SCALE"] = "0.01"
	c.ok("agent", "set", "--name", "Sam Super", "--phone", "+14155550100")
	c.ok("agents", "add", "--name", "Ann Agent", "--phone", "+14155550101")
	var n numberJSON
	c.json(&n, "numbers", "buy", "--area-code", "415", "--yes", "--json")
	if out := c.ok("numbers", "assign", n.PhoneNumber, "Ann Agent"); out != n.PhoneNumber+" is Ann Agent's primary number: their calls to area code 415 use it.\n" {
		t.Errorf("numbers assign: %q", out)
	}
	var listed []numberJSON
	c.json(&listed, "numbers", "list", "--json")
	if len(listed) != 1 || listed[0].AgentID != 2 {
		t.Errorf("after assign: %+v", listed)
	}
	if out := c.ok("numbers", "assign", n.PhoneNumber, "--none"); out != n.PhoneNumber+" is no one's: no call uses it until it is assigned.\n" {
		t.Errorf("numbers assign --none: %q", out)
	}
	c.fails(1, `no agent "Nobody" (see dialer agents list)`, "numbers", "assign", n.PhoneNumber, "Nobody")
	c.fails(2, "numbers assign needs a number and an agent, or a number and --none", "numbers", "assign", n.PhoneNumber)
	ann := c.machine()
	ann.ok("agent", "use", "Ann Agent")
	ann.fails(1, "only a supervisor may assign numbers; Ann Agent is an agent", "numbers", "assign", n.PhoneNumber, "Ann Agent")
}

// A number is named at the provider and in the inventory; the name shows
// alone, without dialer's tag.
func TestNumbersRename(t *testing.T) { forEngines(t, testNumbersRename) }

func testNumbersRename(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.envv["DIALER_SANDBOX_TIME_SCALE"] = "0.01"
	var n numberJSON
	c.json(&n, "numbers", "buy", "--area-code", "415", "--yes", "--json")
	if n.Name != "" || !strings.HasPrefix(n.FriendlyName, "dialer:") {
		t.Fatalf("a number just bought: name %q, friendly name %q", n.Name, n.FriendlyName)
	}
	if out := c.ok("numbers", "rename", n.PhoneNumber, "Sales West"); out != n.PhoneNumber+" is named Sales West.\n" {
		t.Errorf("numbers rename: %q", out)
	}
	var listed []numberJSON
	c.json(&listed, "numbers", "list", "--json")
	if len(listed) != 1 || listed[0].Name != "Sales West" || listed[0].FriendlyName != "Sales West "+n.FriendlyName {
		t.Errorf("after rename: %+v", listed)
	}
	c.fails(1, `a number's name is at most 32 characters; "a name far too long for the provider to keep" has 44`,
		"numbers", "rename", n.PhoneNumber, "a name far too long for the provider to keep")
	if out := c.ok("numbers", "rename", n.PhoneNumber, ""); out != n.PhoneNumber+" has no name now.\n" {
		t.Errorf("numbers rename to nothing: %q", out)
	}
	// Reconcile still knows it as this installation's.
	c.ok("numbers", "rename", n.PhoneNumber, "Sales East")
	if out := c.ok("numbers", "reconcile"); strings.Contains(out, "Left alone") || strings.Contains(out, "Released") || strings.Contains(out, "Marked") {
		t.Errorf("reconcile after renames: %q", out)
	}
}

// numbers buy shows where, the monthly price, the count against the
// maximum and the balance, and buys only on yes; over the maximum it says
// so before anything is bought.
func TestNumbersBuyReview(t *testing.T) {
	c := newCallEnv(t)
	code, out, errOut := c.run("no\n", "numbers", "buy", "--area-code", "415")
	if code != 1 || out != "" || !strings.Contains(errOut, "Buy a dedicated number: area code 415 (") ||
		!strings.Contains(errOut, "  price         ") || !strings.Contains(errOut, "  numbers       0 in use of the organization's 50") ||
		!strings.Contains(errOut, "  balance       ") || !strings.Contains(errOut, "dialer: nothing was bought (answer yes, or pass --yes)") {
		t.Fatalf("numbers buy, answered no: %d %q\n%s", code, out, errOut)
	}
	if code, out, _ := c.run("", "numbers", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("after no: %s", out)
	}
	if code, out, errOut := c.run("yes\n", "numbers", "buy", "--area-code", "415"); code != 0 || !strings.HasPrefix(out, "Bought +1415") {
		t.Fatalf("numbers buy, answered yes: %d %q %s", code, out, errOut)
	}
	c.run("", "settings", "set", "max_numbers", "1")
	code, _, errOut = c.run("yes\n", "numbers", "buy", "--area-code", "212")
	if code != 1 || strings.Contains(errOut, "Buy it?") || !strings.Contains(errOut, "dialer: The organization already has 1 of its maximum 1 numbers") {
		t.Errorf("over the maximum: %d\n%s", code, errOut)
	}
}

// numbers show: a number's details, costs and how its calls went; its
// health says when there are too few calls to tell.
func TestNumbersShow(t *testing.T) {
	c := newCallEnv(t)
	c.run("", "agent", "set", "--name", "Fox Mulder", "--phone", "+12025550199")
	if code, out, errOut := c.run("", "call", "--to", "+14155550143", "--confirm", "auto", "--hangup-after", "1s", "--override-hours", "test"); code != 0 {
		t.Fatalf("call: %d %s %s", code, out, errOut)
	}
	_, list, _ := c.run("", "numbers", "list", "--json")
	var ns []numberJSON
	if err := json.Unmarshal([]byte(list), &ns); err != nil || len(ns) != 1 {
		t.Fatalf("numbers: %s", list)
	}
	c.run("", "numbers", "rename", ns[0].PhoneNumber, "Bay Area")
	code, out, errOut := c.run("", "numbers", "show", ns[0].PhoneNumber)
	for _, want := range []string{"name               Bay Area", "kind, status       on-demand, active", "purchase fee       1.00 USD",
		"calls              1 today, 1 in 7 days, 1 in 30 days", "health             too few calls to tell"} {
		if !strings.Contains(out, want) {
			t.Errorf("numbers show lacks %q: %d\n%s%s", want, code, out, errOut)
		}
	}
	var d numberDetailJSON
	_, js, _ := c.run("", "numbers", "show", ns[0].PhoneNumber, "--json")
	if err := json.Unmarshal([]byte(js), &d); err != nil || d.Calls30Days != 1 || d.Name != "Bay Area" || d.Fee == nil || *d.Fee != "1.00 USD" ||
		d.AtRisk == nil || len(d.AtRisk) != 0 {
		t.Errorf("numbers show --json: %v\n%s", err, js)
	}
	if code, _, errOut := c.run("", "numbers", "show", "+14155559999"); code != 1 || !strings.Contains(errOut, "is not in the inventory") {
		t.Errorf("an unknown number: %d %s", code, errOut)
	}
}
