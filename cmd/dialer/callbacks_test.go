package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/store"
)

var callbackKeys = []string{"contact", "contact_id", "created_at", "created_by", "due", "due_now", "id", "note", "phone", "their_time"}

func TestCallbacksAddListCancel(t *testing.T) { forEngines(t, testCallbacksAddListCancel) }

func testCallbacksAddListCancel(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.ok("agent", "set", "--name", "Sam Agent", "--phone", "+14155550111")
	c.ok("contacts", "add", "--name", "Ann", "--phone", "+12125550143")      // New York
	c.ok("contacts", "add", "--name", "Bob", "--phone", "+14155550100")      // Los Angeles
	c.ok("contacts", "add", "--name", "Cy", "--phone", "+13035550100")       // Denver
	c.ok("callbacks", "add", "3", "--at", "2030-01-07 11:00", "--note", "x") // replaced below

	out := c.ok("callbacks", "add", "+1 212 555 0143", "--at", "2030-01-08 10am", "--note", "wants the pricing sheet", "--json")
	var cb map[string]any
	if err := json.Unmarshal([]byte(out), &cb); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(cb), callbackKeys) {
		t.Errorf("callbacks add --json keys %v, want %v", keys(cb), callbackKeys)
	}
	for k, want := range map[string]any{"contact_id": 1.0, "contact": "Ann", "phone": "+12125550143", "due": "2030-01-08T15:00:00Z",
		"due_now": false, "their_time": "Tue Jan 8 10:00 AM EST", "note": "wants the pricing sheet", "created_by": "Sam Agent"} {
		if cb[k] != want {
			t.Errorf("callback %s = %v, want %v", k, cb[k], want)
		}
	}
	if out := c.ok("callbacks", "add", "2", "--at", "2030-01-08 9:30"); out !=
		"Callback for Bob at Tue Jan 8 9:30 AM their time (America/Los_Angeles), "+localTime(time.Date(2030, 1, 8, 17, 30, 0, 0, time.UTC))+" your time.\n" {
		t.Errorf("callbacks add: %q", out)
	}
	// A contact has one open callback: a new one replaces it.
	c.ok("callbacks", "add", "3", "--at", "2030-01-09 noon")

	// One overdue, straight through the store.
	ctx := context.Background()
	db, err := store.Open(ctx, c.db())
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	dave, err := db.CreateContact(ctx, dialer.Contact{Name: "Dave", Phone: "+13125550100", CreatedAt: past, UpdatedAt: past})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: dave.ID, Due: past, CreatedBy: "Sam Agent", CreatedAt: past}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var all []callbackJSON
	c.json(&all, "callbacks", "list", "--json")
	var order []string
	for _, cb := range all {
		order = append(order, cb.Contact)
	}
	if !slices.Equal(order, []string{"Dave", "Ann", "Bob", "Cy"}) || !all[0].DueNow || all[1].DueNow || all[3].Due != time.Date(2030, 1, 9, 19, 0, 0, 0, time.UTC) {
		t.Errorf("callbacks list (soonest first): %+v", all)
	}
	var due []callbackJSON
	c.json(&due, "callbacks", "list", "--due", "--json")
	if len(due) != 1 || due[0].Contact != "Dave" {
		t.Errorf("callbacks list --due: %+v", due)
	}
	out = c.ok("callbacks", "list", "--due")
	if !strings.Contains(out, "overdue  Dave") || strings.Contains(out, "Ann") {
		t.Errorf("callbacks list --due:\n%s", out)
	}

	if out := c.ok("callbacks", "cancel", "1"); out != "Canceled the callback for Ann at "+localTime(time.Date(2030, 1, 8, 15, 0, 0, 0, time.UTC))+".\n" {
		t.Errorf("callbacks cancel: %q", out)
	}
	c.fails(1, "Ann has no open callback", "callbacks", "cancel", "+12125550143")
	c.json(&all, "callbacks", "list", "--json")
	if len(all) != 3 {
		t.Errorf("after cancel: %+v", all)
	}

	var shown contactShowJSON
	c.json(&shown, "contacts", "show", "2", "--json")
	if shown.Callback == nil || shown.Callback.Due != time.Date(2030, 1, 8, 17, 30, 0, 0, time.UTC) {
		t.Errorf("contacts show's callback: %+v", shown.Callback)
	}
}

// A time outside the contact's calling hours is refused, naming the next
// allowed time; --fit takes it. Quick picks always fit.
func TestCallbacksAddOutsideCallingHours(t *testing.T) {
	forEngines(t, testCallbacksAddOutsideCallingHours)
}

func testCallbacksAddOutsideCallingHours(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	c.ok("contacts", "add", "--name", "Ann", "--phone", "+12125550143")

	c.fails(1, "Tue Jan 8 10:00 PM is outside calling hours (08:00-21:00) for Ann in America/New_York; "+
		"the next allowed time is Wed Jan 9 8:00 AM there: add --fit to take it, or choose another time",
		"callbacks", "add", "1", "--at", "2030-01-08 22:00")
	if out := c.ok("callbacks", "list"); out != "No callbacks scheduled.\n" {
		t.Errorf("a refused callback was scheduled:\n%s", out)
	}

	out := c.ok("callbacks", "add", "1", "--at", "2030-01-08 22:00", "--fit")
	if !strings.HasPrefix(out, "Moved into calling hours: 10:00 PM is outside calling hours (08:00-21:00) for Ann in America/New_York; moved to Wed Jan 9 8:00 AM.\n"+
		"Callback for Ann at Wed Jan 9 8:00 AM their time (America/New_York)") {
		t.Errorf("--fit: %q", out)
	}
	var all []callbackJSON
	c.json(&all, "callbacks", "list", "--json")
	if len(all) != 1 || all[0].Due != time.Date(2030, 1, 9, 13, 0, 0, 0, time.UTC) {
		t.Errorf("fitted callback: %+v", all)
	}

	// Calling hours of one hour that starts three hours from now in New
	// York: "1h" falls outside them and is moved, not refused.
	z, _ := time.LoadLocation("America/New_York")
	open := time.Now().In(z).Add(3 * time.Hour)
	start := min(open.Hour()*60+open.Minute(), 23*60-1)
	hours := dialer.CallingHours{Start: start, End: start + 60}
	ctx := context.Background()
	db, err := store.Open(ctx, c.db())
	if err != nil {
		t.Fatal(err)
	}
	set, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set.CallingHours = hours
	if err := db.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, pick := range []string{"1h", "morning", "business"} {
		var cb callbackJSON
		c.json(&cb, "callbacks", "add", "1", "--at", pick, "--json")
		if l := cb.Due.In(z); !hours.Contains(l) || !cb.Due.After(time.Now()) {
			t.Errorf("--at %s: due %v (%v there), outside %s", pick, cb.Due, l, hours)
		}
	}
}

func TestCallbacksBadInput(t *testing.T) {
	c := newDayCLI(t)
	c.ok("contacts", "add", "--name", "Ann", "--phone", "+12125550143")
	for _, tc := range []struct {
		code int
		msg  string
		args []string
	}{
		{2, "callbacks add takes one contact: an id or a phone number", []string{"callbacks", "add", "--at", "tomorrow"}},
		{2, `callbacks add needs --at WHEN, such as --at "tomorrow 10am"`, []string{"callbacks", "add", "1"}},
		{1, `callback time "someday": want ` + day.WhenHelp, []string{"callbacks", "add", "1", "--at", "someday"}},
		{1, `callback time "2020-01-08 10:00": that time has passed`, []string{"callbacks", "add", "1", "--at", "2020-01-08 10:00"}},
		{1, "no contact with id 99", []string{"callbacks", "add", "99", "--at", "tomorrow"}},
		{1, "no contact has the phone number +12125550199", []string{"callbacks", "cancel", "+12125550199"}},
		{2, "callbacks cancel takes one contact: an id or a phone number", []string{"callbacks", "cancel"}},
		{2, "callbacks list takes no arguments", []string{"callbacks", "list", "1"}},
	} {
		got, out, errOut := c.run(tc.args...)
		if line := errorLine(errOut); got != tc.code || !strings.HasPrefix(line, "dialer: "+tc.msg) || out != "" {
			t.Errorf("dialer %q: exit %d (want %d), error line %q, want it to start %q", tc.args, got, tc.code, line, "dialer: "+tc.msg)
		}
	}
}
