package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// dayCLI runs commands against one data directory and one home (so the
// agent profile is the same from run to run), as a person at one
// terminal would.
type dayCLI struct {
	t    *testing.T
	dir  string
	envv map[string]string
}

func newDayCLI(t *testing.T) *dayCLI { return newDayCLIOn(t, cmdEngines[0]) }

// newDayCLIOn is newDayCLI with its database on engine eng.
func newDayCLIOn(t *testing.T, eng cmdEngine) *dayCLI {
	dir := t.TempDir()
	c := &dayCLI{t: t, dir: dir, envv: map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": dir, "USER": "osuser"}}
	eng.use(t, c.envv)
	return c
}

// db is the database's --db target: its file, or its postgres:// URL.
func (c *dayCLI) db() string {
	if u := c.envv["DIALER_DATABASE_URL"]; u != "" {
		return u
	}
	return filepath.Join(c.dir, "dialer.db")
}

func (c *dayCLI) run(args ...string) (int, string, string) {
	c.t.Helper()
	return runWithEnv(c.t, c.envv, "", args...)
}

func (c *dayCLI) runInput(input string, args ...string) (int, string, string) {
	c.t.Helper()
	return runWithEnv(c.t, c.envv, input, args...)
}

// ok runs a command that must succeed and returns its stdout.
func (c *dayCLI) ok(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		c.t.Fatalf("dialer %q: exit %d\nstdout %s\nstderr %s", args, code, out, errOut)
	}
	return out
}

// json runs a command that must succeed and decodes its stdout into v.
func (c *dayCLI) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("dialer %q: %v\n%s", args, err, out)
	}
}

// fails runs a command that must fail with exit code and whose error
// line (after the SANDBOX notice, if any) must be "dialer: " + msg, with
// nothing on stdout.
func (c *dayCLI) fails(code int, msg string, args ...string) {
	c.t.Helper()
	got, out, errOut := c.run(args...)
	if line := errorLine(errOut); got != code || line != "dialer: "+msg || out != "" {
		c.t.Errorf("dialer %q: exit %d (want %d)\nerror line %q\nwant       %q\nstdout %q", args, got, code, line, "dialer: "+msg, out)
	}
}

// errorLine is the one line of stderr that starts with "dialer: ": the
// error's first line ("" if none, or more than one).
func errorLine(stderr string) string {
	var found []string
	for l := range strings.Lines(stderr) {
		if strings.HasPrefix(l, "dialer: ") {
			found = append(found, strings.TrimSuffix(l, "\n"))
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// keys are the sorted keys of a decoded JSON object.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var contactKeys = []string{"company", "created_at", "do_not_call", "email", "fields", "id", "lists", "name", "notes", "phone", "time_zone", "updated_at"}

func TestContactsAddEditShowList(t *testing.T) { forEngines(t, testContactsAddEditShowList) }

func testContactsAddEditShowList(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	var ann map[string]any
	c.json(&ann, "contacts", "add", "--name", "Ann Smith", "--phone", "(212) 555-0143", "--company", "Acme",
		"--field", "Plan=Pro", "--list", "October", "--list", "VIP", "--json")
	if !slices.Equal(keys(ann), contactKeys) {
		t.Errorf("contacts add --json keys %v, want %v", keys(ann), contactKeys)
	}
	for k, want := range map[string]any{"id": 1.0, "name": "Ann Smith", "phone": "+12125550143", "company": "Acme", "do_not_call": false} {
		if ann[k] != want {
			t.Errorf("added %s = %v, want %v", k, ann[k], want)
		}
	}
	if fmt.Sprint(ann["lists"]) != "[October VIP]" || fmt.Sprint(ann["fields"]) != "map[Plan:Pro]" {
		t.Errorf("added lists %v, fields %v", ann["lists"], ann["fields"])
	}
	if out := c.ok("contacts", "add", "--name", "Bob Jones", "--phone", "+1 415 555 0100"); out != "Added Bob Jones (+14155550100) as contact 2.\n" {
		t.Errorf("contacts add: %q", out)
	}

	// Only the flags given change; --unlist takes it off a list.
	var edited map[string]any
	c.json(&edited, "contacts", "edit", "+12125550143", "--email", "ann@acme.example", "--field", "Plan=", "--unlist", "VIP", "--list", "Hot", "--json")
	if edited["name"] != "Ann Smith" || edited["company"] != "Acme" || edited["email"] != "ann@acme.example" ||
		fmt.Sprint(edited["fields"]) != "map[]" || fmt.Sprint(edited["lists"]) != "[Hot October]" {
		t.Errorf("edited %v", edited)
	}

	// list --json: every contact, with its lists; --list filters.
	var all []map[string]any
	c.json(&all, "contacts", "list", "--json")
	if len(all) != 2 || !slices.Equal(keys(all[0]), contactKeys) || fmt.Sprint(all[0]["lists"]) != "[Hot October]" || fmt.Sprint(all[1]["lists"]) != "[]" {
		t.Errorf("contacts list --json: %v", all)
	}
	var oct []map[string]any
	c.json(&oct, "contacts", "list", "--list", "October", "--json")
	if len(oct) != 1 || oct[0]["name"] != "Ann Smith" {
		t.Errorf("contacts list --list October: %v", oct)
	}
	if out := c.ok("contacts", "list", "--list", "VIP"); out != "No contacts on the list VIP.\n" {
		t.Errorf("contacts list --list VIP (emptied): %q", out)
	}
	var lists []map[string]any
	c.json(&lists, "contacts", "list", "--lists", "--json")
	if len(lists) != 3 || lists[0]["name"] != "Hot" || lists[1]["name"] != "October" || lists[1]["contacts"] != 1.0 || lists[2]["contacts"] != 0.0 ||
		!slices.Equal(keys(lists[0]), []string{"contacts", "created_at", "name"}) {
		t.Errorf("contacts list --lists --json: %v", lists)
	}
	if out := c.ok("contacts", "list", "--limit", "1"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "Ann Smith") {
		t.Errorf("contacts list --limit 1:\n%s", out)
	}
	if out := c.ok("contacts", "list", "--lists"); !strings.Contains(out, "October  1") {
		t.Errorf("contacts list --lists:\n%s", out)
	}

	var shown map[string]any
	c.json(&shown, "contacts", "show", "1", "--json")
	want := append(slices.Clone(contactKeys), "callback", "calls", "do_not_call_entry")
	slices.Sort(want)
	if !slices.Equal(keys(shown), want) || shown["callback"] != nil || shown["do_not_call_entry"] != nil ||
		fmt.Sprint(shown["calls"]) != "map[attempts:0 last_called:<nil> last_outcome:]" {
		t.Errorf("contacts show --json: %v", shown)
	}
	out := c.ok("contacts", "show", "1")
	for _, want := range []string{"\nName     Ann Smith\n", "\nEmail    ann@acme.example\n", "\nLists    Hot, October\n", "\nCalls    none yet\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("contacts show lacks %q:\n%s", want, out)
		}
	}
}

// Text from contacts reaches the terminal inert: in tables, messages and
// JSON alike.
func TestContactsOutputIsInert(t *testing.T) {
	c := newDayCLI(t)
	evil := "Eve\x1b]0;pwned\x07 \x1b[2JEvil\u202e"
	c.ok("contacts", "add", "--name", evil, "--phone", "+12125550143", "--notes", "line one\nline two\x9b")
	for _, args := range [][]string{
		{"contacts", "add", "--name", evil, "--phone", "+12125550144"},
		{"contacts", "list"}, {"contacts", "show", "1"}, {"contacts", "list", "--json"}, {"contacts", "show", "1", "--json"},
		{"contacts", "edit", "1", "--company", "x"}, {"callbacks", "add", "1", "--at", "2030-01-08 10:00"}, {"callbacks", "list"},
	} {
		_, out, errOut := c.run(args...)
		if strings.ContainsAny(out+errOut, "\x1b\x07\u202e\u009b") {
			t.Errorf("dialer %q let a control through:\n%q", args, out+errOut)
		}
	}
	var got []map[string]any
	c.json(&got, "contacts", "list", "--json")
	if got[0]["name"] != evil { // the data as stored, escaped
		t.Errorf("name in JSON %q, want %q", got[0]["name"], evil)
	}
}

func TestContactsBadInput(t *testing.T) {
	c := newDayCLI(t)
	c.ok("contacts", "add", "--name", "Ann", "--phone", "+12125550143", "--list", "October")
	for _, tc := range []struct {
		code int
		msg  string
		args []string
	}{
		{2, "contacts add needs --phone", []string{"contacts", "add", "--name", "Bob"}},
		{2, "contacts add takes flags only, such as --name and --phone", []string{"contacts", "add", "Bob"}},
		{1, `"nonsense" is not a phone number`, []string{"contacts", "add", "--phone", "nonsense"}},
		{1, "+18005550100 is a toll-free number; no local caller ID exists for it", []string{"contacts", "add", "--phone", "+18005550100"}},
		{1, `time zone "Mars/Base" is not a known IANA time zone (such as America/Chicago)`, []string{"contacts", "add", "--phone", "+12125550144", "--time-zone", "Mars/Base"}},
		{2, `--field "Plan" is not KEY=VALUE`, []string{"contacts", "add", "--phone", "+12125550144", "--field", "Plan"}},
		{2, "a list needs a name: --list and --unlist take one", []string{"contacts", "add", "--phone", "+12125550144", "--list", " "}},
		{1, "contact 1 (Ann) already has the phone number +12125550143", []string{"contacts", "add", "--phone", "212-555-0143"}},
		{2, "contacts edit takes one contact: an id or a phone number", []string{"contacts", "edit"}},
		{2, "contacts edit needs something to change, such as --name, --phone or --list; see 'dialer contacts edit --help'", []string{"contacts", "edit", "1"}},
		{1, "no contact with id 99", []string{"contacts", "edit", "99", "--name", "X"}},
		{1, `Ann is not on the list "VIP"`, []string{"contacts", "edit", "1", "--name", "Changed", "--unlist", "VIP"}},
		{1, `"abc" is neither a contact id nor a phone number`, []string{"contacts", "show", "abc"}},
		{1, `"0" is not a contact id: ids start at 1`, []string{"contacts", "show", "0"}},
		{2, "contacts show takes one contact: an id or a phone number", []string{"contacts", "show", "1", "2"}},
		{1, "no contact has the phone number +12125550199", []string{"contacts", "rm", "+12125550199"}},
		{2, "contacts list takes --lists (the lists) or --list NAME (one list's contacts), not both", []string{"contacts", "list", "--lists", "--list", "October"}},
		{1, `no list named "Nope"`, []string{"contacts", "list", "--list", "Nope"}},
		{2, "contacts list takes no arguments", []string{"contacts", "list", "x"}},
		{2, `dialer contacts has no subcommand "sell"; see 'dialer contacts --help'`, []string{"contacts", "sell"}},
	} {
		c.fails(tc.code, tc.msg, tc.args...)
	}
	// Nothing was written by the refused commands.
	var all []map[string]any
	c.json(&all, "contacts", "list", "--json")
	if len(all) != 1 || all[0]["name"] != "Ann" || fmt.Sprint(all[0]["lists"]) != "[October]" {
		t.Errorf("after refused commands: %v", all)
	}
}

// Deleting a contact hides it and cancels its open callback; its calls
// stay in the history, under its name.
func TestContactsRmKeepsCallHistory(t *testing.T) { forEngines(t, testContactsRmKeepsCallHistory) }

func testContactsRmKeepsCallHistory(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	ctx := context.Background()
	db, err := store.Open(ctx, c.db())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ann, err := db.CreateContact(ctx, dialer.Contact{Name: "Ann", Phone: "+12125550143", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	call, err := db.StartCall(ctx, dialer.Call{ContactID: ann.ID, AgentName: "Sam", AgentPhone: "+14155550111",
		CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishCall(ctx, call.ID, dialer.OutcomeAnswered, "", now.Add(-50*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: ann.ID, Due: now.Add(time.Hour), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if out := c.ok("contacts", "rm", "1"); out != "Deleted Ann (+12125550143); its calls are kept.\n" {
		t.Errorf("contacts rm: %q", out)
	}
	var calls []callJSON
	c.json(&calls, "calls", "list", "--json")
	if len(calls) != 1 || calls[0].Contact.Name != "Ann" || calls[0].Outcome != "answered" {
		t.Errorf("calls after contacts rm: %+v", calls)
	}
	var shown contactShowJSON
	c.json(&shown, "contacts", "show", "1", "--json")
	if shown.DeletedAt == nil || shown.Calls.Attempts != 1 || shown.Calls.LastOutcome != "answered" || shown.Callback != nil {
		t.Errorf("deleted contact shown: %+v", shown)
	}
	if out := c.ok("contacts", "list"); !strings.HasPrefix(out, "No contacts yet") {
		t.Errorf("contacts list after rm:\n%s", out)
	}
	var cbs []callbackJSON
	c.json(&cbs, "callbacks", "list", "--json")
	if len(cbs) != 0 {
		t.Errorf("callbacks of a deleted contact: %+v", cbs)
	}
	c.fails(1, "contact 1 (Ann) was deleted", "contacts", "rm", "1")
	c.fails(1, "no contact has the phone number +12125550143", "contacts", "rm", "+12125550143")
	c.fails(1, "contact 1 (Ann) was deleted", "callbacks", "add", "1", "--at", "tomorrow 10am")

	// Its number is free for a new contact, whose history starts empty.
	c.ok("contacts", "add", "--name", "Ann Again", "--phone", "+12125550143")
	var again contactShowJSON
	c.json(&again, "contacts", "show", "+12125550143", "--json")
	if again.ID != 2 || again.Calls.Attempts != 0 {
		t.Errorf("new contact with the old number: %+v", again)
	}
}
