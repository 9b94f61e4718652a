package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// fillSolo gives db a row of every kind, each made the way the program
// makes it: numbers claimed, bought, failed, released and expiring, with
// fees; an agent and a primary number; contacts edited, deleted and
// imported onto lists; calls with priced legs, a disposition and an open
// one; rates; settings; do-not-call additions and a removal; callbacks
// open and done.
func fillSolo(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	set := dialer.DefaultSettings()
	set.MaxNumbers, set.DailyCallCap, set.ReservationFee = 9, 70, dialer.MustMoney("1.25", "USD")
	must(db.SaveSettings(ctx, set))
	sam, err := db.CreateAgent(ctx, dialer.Agent{Name: "Sam Agent", Phone: "+14155550111", CreatedAt: t0})
	must(err)
	kim, err := db.CreateAgent(ctx, dialer.Agent{Name: "Kim", Phone: "+14155550112", Role: dialer.RoleAgent, CreatedAt: t0})
	must(err)
	kim.Active = false
	_, err = db.UpdateAgent(ctx, kim)
	must(err)

	// Numbers: an on-demand one bought with its fee, a dedicated one
	// assigned to the agent, a failed purchase, one released and one whose
	// reservation lapsed.
	cl, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, ReserveUntil: t0.Add(14 * 24 * time.Hour),
		MaxNumbers: 10, Agent: sam.ID})
	must(err)
	onDemand := cl.Number
	activate(t, db, onDemand.ID, "+14155550100", "PN01")
	must(db.SetMonthlyPrice(ctx, onDemand.ID, dialer.MustMoney("1.15", "USD")))
	ded, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "212", Now: t0, MaxNumbers: 10,
		Owner: dialer.Owner{Machine: "solo-host", PID: 4242, Start: "99"}})
	must(err)
	must(db.MarkAsked(ctx, ded.ID, t0.Add(time.Second)))
	_, _, err = db.ActivateNumber(ctx, ded.ID, dialer.Activation{SID: "PN02", PhoneNumber: "+12125550100",
		FriendlyName: dialer.Tag(db.InstanceID(), ded.ID), AreaCode: "212", Region: "NY", Locality: "New York", At: t0})
	must(err)
	_, err = db.db.ExecContext(ctx, "UPDATE numbers SET agent_id = ?, is_primary = 1 WHERE id = ?", sam.ID, ded.ID)
	must(err)
	must(db.FailNumber(ctx, claim(t, db, "303", 10).Number.ID, "no numbers in 303"))
	gone := claim(t, db, "617", 10).Number
	activate(t, db, gone.ID, "+16175550100", "PN03")
	must(db.MarkReleased(ctx, gone.ID, t0.Add(time.Hour)))
	lapse := claim(t, db, "718", 10).Number
	lapsed := dialer.Activation{SID: "PN04", PhoneNumber: "+17185550100", AreaCode: "718", At: t0, ReservedUntil: t0.Add(time.Hour)}
	_, _, err = db.ActivateNumber(ctx, lapse.ID, lapsed)
	must(err)
	_, err = db.ExpireReservations(ctx, t0.Add(2*time.Hour))
	must(err)

	// Contacts: made, edited, deleted, imported onto a list; lists.
	ann, err := db.CreateContact(ctx, dialer.Contact{Name: "Ann Lee", Phone: "+12125550143", Company: "Acme", Email: "ann@example.com",
		Notes: "likes mornings", TimeZone: "America/New_York", Fields: map[string]string{"tier": "gold"}, CreatedAt: t0, UpdatedAt: t0})
	must(err)
	ann.Notes = "likes mornings; call back"
	ann.UpdatedAt = t0.Add(time.Minute)
	_, err = db.UpdateContact(ctx, ann)
	must(err)
	bob := mustContact(t, db, "Bob", "+12125550144")
	gone2 := mustContact(t, db, "Gone Person", "+12125550145")
	must(db.DeleteContact(ctx, gone2.ID, t0.Add(3*time.Minute)))
	imp, err := db.ImportContacts(ctx, dialer.ImportBatch{List: "Week 49", At: t0.Add(time.Hour), Contacts: []dialer.Contact{
		{Name: "Cy", Phone: "+13125550100"}, {Name: "Di \x1b]0;x\a", Phone: "+13125550101", Fields: map[string]string{"src": "csv"}}}})
	must(err)
	must(db.AddToList(ctx, "Hot", []int64{ann.ID, bob.ID, imp.IDs[0]}, t0.Add(2*time.Hour)))
	must(db.RemoveFromList(ctx, "Hot", []int64{bob.ID}))
	must(db.AddToList(ctx, "Empty", nil, t0))

	// Calls: Ann's through the new on-demand number with its fee, both
	// legs priced, after a callback that the call completes; Bob's open.
	_, err = db.ScheduleCallback(ctx, dialer.Callback{ContactID: ann.ID, Due: t0.Add(time.Hour), Note: "after lunch", CreatedBy: "Sam", CreatedAt: t0})
	must(err)
	fee, _ := db.Charges(ctx, dialer.ChargeFilter{NumberID: onDemand.ID})
	call, err := db.StartCall(ctx, dialer.Call{ContactID: ann.ID, AgentID: sam.ID, AgentName: "Sam Agent", AgentPhone: "+14155550111",
		CallerID: "+14155550100", NumberID: onDemand.ID, NewNumber: true, FeeChargeID: fee[0].ID, Confirm: dialer.ConfirmTerminal,
		Account: "AC1", StartedAt: t0.Add(90 * time.Minute)})
	must(err)
	rate, price := dialer.MustMoney("0.014", "USD"), dialer.MustMoney("0.028", "USD")
	must(db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA01", To: "+14155550111", Status: dialer.CallCompleted,
		StartedAt: call.StartedAt, EndedAt: call.StartedAt.Add(2 * time.Minute), Duration: 2 * time.Minute, Rate: &rate, Price: &price}))
	must(db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: "CA02", To: ann.Phone, Status: dialer.CallCompleted,
		AnsweredBy: "human", StartedAt: call.StartedAt.Add(10 * time.Second), EndedAt: call.StartedAt.Add(2 * time.Minute),
		Duration: 110 * time.Second, Rate: &rate}))
	must(db.FinishCall(ctx, call.ID, dialer.OutcomeAnswered, "agent hung up", call.StartedAt.Add(2*time.Minute)))
	must(db.SetDisposition(ctx, call.ID, "interested"))
	open, err := db.StartCall(ctx, dialer.Call{ContactID: bob.ID, AgentName: "Sam Agent", AgentPhone: "+14155550111",
		CallerID: "+12125550100", NumberID: ded.ID, Confirm: dialer.ConfirmAuto, OverrideReason: "asked to", StartedAt: t0.Add(3 * time.Hour)})
	must(err)
	must(db.SaveLeg(ctx, open.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA03", To: "+14155550111", Status: dialer.CallRinging}))
	must(db.SaveRate(ctx, "+1212", rate, t0))
	must(db.SaveRate(ctx, "+1415", dialer.MustMoney("0.013", "USD"), t0.Add(time.Minute)))

	// Do-not-call: two added, one removed; an open callback.
	_, err = db.AddDNC(ctx, []string{"+19175550100", bob.Phone}, "asked", "Sam", t0)
	must(err)
	must(db.RemoveDNC(ctx, "+19175550100", "consented", "Lee", t0.Add(time.Hour)))
	_, err = db.ScheduleCallback(ctx, dialer.Callback{ContactID: bob.ID, Due: t0.Add(24 * time.Hour), Note: "tomorrow", CreatedBy: "Sam", CreatedAt: t0})
	must(err)
}

// readAll is everything a database says through the store's own reads, as
// text: two databases that read the same give the same text.
func readAll(t *testing.T, db *DB) string {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{"instance": db.InstanceID()}
	add := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = v
	}
	ns, err := db.Numbers(ctx, dialer.NumberFilter{})
	add("numbers", ns, err)
	chs, err := db.Charges(ctx, dialer.ChargeFilter{})
	add("charges", chs, err)
	live, err := db.ListContacts(ctx, dialer.ContactFilter{})
	add("live contacts", live, err)
	// Every contact, deleted ones too; the first ones one at a time, with
	// their lists.
	var maxID int64
	if err := db.db.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM contacts").Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for id := int64(1); id <= maxID; id++ {
		ids = append(ids, id)
	}
	every, err := db.Contacts(ctx, ids)
	add("contacts", every, err)
	var first []dialer.Contact
	for _, id := range ids[:min(len(ids), 20)] {
		if c, err := db.Contact(ctx, id); err == nil {
			first = append(first, c)
		}
	}
	out["first contacts"] = first
	calls, err := db.Calls(ctx, dialer.CallFilter{})
	add("calls", calls, err)
	lists, err := db.Lists(ctx)
	add("lists", lists, err)
	members := map[string][]int64{}
	for _, l := range lists {
		m, err := db.ListMembers(ctx, l.Name)
		if err != nil {
			t.Fatal(err)
		}
		members[l.Name] = m
	}
	out["members"] = members
	dnc, err := db.DNCList(ctx, 0)
	add("dnc", dnc, err)
	evs, err := db.DNCEvents(ctx, "")
	add("dnc events", evs, err)
	cbs, err := db.Callbacks(ctx, dialer.CallbackFilter{})
	add("callbacks", cbs, err)
	set, err := db.Settings(ctx)
	add("settings", set, err)
	rates := map[string]string{}
	for _, p := range []string{"+1212", "+1415", "+1617"} {
		if m, at, err := db.Rate(ctx, p); err == nil {
			rates[p] = m.String() + " " + at.Format(time.RFC3339Nano)
		}
	}
	out["rates"] = rates
	agents, err := db.Agents(ctx, true)
	add("agents", agents, err)
	// And every column of every row, as stored (times as instants), but
	// contacts' revisions: the destination numbers its own changes.
	raw := map[string][]string{}
	for _, spec := range copyTables {
		rows, err := db.db.QueryContext(ctx, "SELECT "+strings.Join(spec.cols, ", ")+" FROM "+spec.name+" ORDER BY "+strings.Join(spec.key, ", "))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(spec.cols))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range spec.cols {
				if c != spec.rev {
					fmt.Fprintf(&b, "%s=%v ", c, canonical(vals[i], slices.Contains(spec.times, c)))
				}
			}
			raw[spec.name] = append(raw[spec.name], b.String())
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	out["raw"] = raw
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameReads fails t unless a and b read alike, showing the first lines
// that differ.
func sameReads(t *testing.T, what, a, b string) {
	t.Helper()
	if a == b {
		return
	}
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			t.Fatalf("%s: line %d differs:\n  %s\n  %s", what, i+1, al[i], bl[i])
		}
	}
	t.Fatalf("%s: %d lines, then %d", what, len(al), len(bl))
}

func mustCopy(t *testing.T, from, to *DB) CopyResult {
	t.Helper()
	res, err := Copy(context.Background(), from, to, nil)
	if err != nil {
		t.Fatalf("copy %s -> %s: %v", from.Path(), to.Path(), err)
	}
	return res
}

// counts is a result as "table copied/there/differ ..." for the tables
// where anything happened.
func counts(r CopyResult) string {
	var parts []string
	for _, c := range r.Tables {
		if c.Copied+c.There+c.Differ > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d/%d", c.Table, c.Copied, c.There, c.Differ))
		}
	}
	return strings.Join(parts, " ")
}

// soloCounts has a settings row for each setting there is.
var soloCounts = "meta 1/0/0 agents 2/0/0 numbers 5/0/0 charges 2/0/0 contacts 5/0/0 lists 3/0/0 list_members 4/0/0 " +
	fmt.Sprintf("calls 2/0/0 legs 3/0/0 rates 2/0/0 settings %d/0/0 dnc 1/0/0 dnc_events 3/0/0 callbacks 2/0/0", len(dialer.SettingFields))

// A solo install copied into a new team database reads the same there,
// with the solo install's identity; copying again changes nothing; a row
// added to the source later is all a third copy copies; the team database
// then makes new rows past the copied ids.
func TestCopySoloIntoTeamDatabase(t *testing.T) {
	ctx := context.Background()
	solo := openTemp(t)
	fillSolo(t, solo)
	teamURL := pgtest.URL(t)
	team := openAt(t, teamURL)

	res := mustCopy(t, solo, team)
	if got := counts(res); got != soloCounts {
		t.Errorf("first copy:\n got %s\nwant %s", got, soloCounts)
	}
	if !res.Adopted || res.InstanceID != solo.InstanceID() || team.InstanceID() != solo.InstanceID() {
		t.Errorf("identity: adopted %v, result %s, team %s, solo %s", res.Adopted, res.InstanceID, team.InstanceID(), solo.InstanceID())
	}
	want := readAll(t, solo)
	sameReads(t, "team after the copy", want, readAll(t, team))
	// Reopened, the team database keeps the solo install's identity.
	if again := openAt(t, teamURL); again.InstanceID() != solo.InstanceID() {
		t.Errorf("reopened team database has instance %s, want %s", again.InstanceID(), solo.InstanceID())
	}

	// Again: nothing copied, all already there, nothing changed (the
	// contacts' revisions included).
	revBefore, _ := team.ContactRevision(ctx)
	res = mustCopy(t, solo, team)
	nset := len(dialer.SettingFields)
	wantThere := strings.NewReplacer(fmt.Sprintf("settings %d/0/0", nset), fmt.Sprintf("settings 0/%d/0", nset),
		"1/0/0", "0/1/0", "5/0/0", "0/5/0", "2/0/0", "0/2/0", "3/0/0", "0/3/0", "4/0/0", "0/4/0").Replace(soloCounts)
	if got := counts(res); got != wantThere || res.Adopted {
		t.Errorf("second copy (adopted %v):\n got %s\nwant %s", res.Adopted, got, wantThere)
	}
	sameReads(t, "team after copying twice", want, readAll(t, team))
	if rev, _ := team.ContactRevision(ctx); rev != revBefore {
		t.Errorf("copying again moved the contacts' revision from %d to %d", revBefore, rev)
	}

	// A contact added to the source since: the third copy copies it alone.
	mustContact(t, solo, "New Lead", "+15125550100")
	res = mustCopy(t, solo, team)
	if c := res.Totals(); c.Copied != 1 || tableCount(res, "contacts").Copied != 1 || c.Differ != 0 {
		t.Errorf("third copy: %s", counts(res))
	}
	sameReads(t, "team after a third copy", readAll(t, solo), readAll(t, team))
	// The search index of a team member that has read every revision
	// before sees the new contact: it gets a revision after them.
	if keys, _ := keys(t, team, revBefore); len(keys) != 1 || keys[0].Phone != "+15125550100" {
		t.Errorf("contacts changed after revision %d: %+v", revBefore, keys)
	}

	// New rows in the team database take ids past the copied ones.
	c, err := team.CreateContact(ctx, dialer.Contact{Name: "Team Lead", Phone: "+15125550101", CreatedAt: t0, UpdatedAt: t0})
	if err != nil || c.ID != 7 {
		t.Errorf("new contact in the team database: id %d, %v", c.ID, err)
	}
	cl := claim(t, team, "512", 20)
	if cl.Action != dialer.ClaimBuy || cl.Number.ID != 6 {
		t.Errorf("new number in the team database: %+v", cl)
	}
	if _, ch := activate(t, team, cl.Number.ID, "+15125550199", "PN09"); ch == nil || ch.ID != 3 {
		t.Errorf("new charge: %+v", ch)
	}
	if call, err := team.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Sam", AgentPhone: "+14155550111", CallerID: "+15125550199",
		Confirm: dialer.ConfirmAuto, StartedAt: t0}); err != nil || call.ID != 3 {
		t.Errorf("new call: %d, %v", call.ID, err)
	}
	if cb, err := team.ScheduleCallback(ctx, dialer.Callback{ContactID: c.ID, Due: t0, CreatedAt: t0}); err != nil || cb.ID != 3 {
		t.Errorf("new callback: %d, %v", cb.ID, err)
	}
	if n, err := team.AddDNC(ctx, []string{"+15125550102"}, "", "", t0); err != nil || n != 1 {
		t.Errorf("new do-not-call number: %d, %v", n, err)
	}
	if evs, _ := team.DNCEvents(ctx, "+15125550102"); len(evs) != 1 || evs[0].ID != 4 {
		t.Errorf("new do-not-call event: %+v", evs)
	}
	if err := team.AddToList(ctx, "Team", []int64{c.ID}, t0); err != nil {
		t.Errorf("new list: %v", err)
	}
	if ls, _ := team.Lists(ctx); len(ls) != 4 || !slices.ContainsFunc(ls, func(l dialer.List) bool { return l.Name == "Team" && l.ID == 4 }) {
		t.Errorf("lists: %+v", ls)
	}
	if a, err := team.CreateAgent(ctx, dialer.Agent{Name: "Lee", Phone: "+14155550113", CreatedAt: t0}); err != nil || a.ID != 3 {
		t.Errorf("new agent: %+v, %v", a, err)
	}
}

// openAt opens the database at target for the test.
func openAt(t *testing.T, target string) *DB {
	t.Helper()
	db, err := Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tableCount is what a copy did to one table.
func tableCount(r CopyResult, table string) CopyCount {
	for _, c := range r.Tables {
		if c.Table == table {
			return c
		}
	}
	return CopyCount{}
}

// The other way, PostgreSQL to SQLite, reads the same too: times arrive
// as time.Time and are written as the store's text.
func TestCopyTeamDatabaseIntoSQLite(t *testing.T) {
	solo := openTemp(t)
	fillSolo(t, solo)
	team := engines[1].open(t)
	mustCopy(t, solo, team)
	back := openTemp(t)
	if res := mustCopy(t, team, back); counts(res) != soloCounts {
		t.Errorf("copy back: %s", counts(res))
	}
	sameReads(t, "SQLite copied from PostgreSQL", readAll(t, solo), readAll(t, back))
	var at string
	if err := back.db.QueryRow("SELECT started_at FROM calls WHERE id = 1").Scan(&at); err != nil || at != "2026-05-04T11:00:00.123456Z" {
		t.Errorf("a time copied into SQLite is stored as %q (%v), want the store's text", at, err)
	}
	if res := mustCopy(t, team, back); res.Totals().Copied != 0 || res.Totals().Differ != 0 {
		t.Errorf("copying back again: %s", counts(res))
	}
}

// A destination holding another installation's rows is refused with a
// first line that says so, and is left as it was.
func TestCopyRefusesAnotherInstallationsDatabase(t *testing.T) {
	ctx := context.Background()
	solo := openTemp(t)
	fillSolo(t, solo)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			other := e.open(t)
			mustContact(t, other, "Someone Else", "+12125550199")
			if _, err := other.AddDNC(ctx, []string{"+12125550198"}, "", "", t0); err != nil {
				t.Fatal(err)
			}
			before := readAll(t, other)
			res, err := Copy(ctx, solo, other, nil)
			want := other.Path() + " holds another installation's data (contacts: 1, dnc: 1, dnc events: 1): nothing was written. "
			if dialer.ErrorKind(err) != dialer.ECONFLICT || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("copy into another installation's database: %v\nwant %s...", err, want)
			}
			if counts(res) != "" || res.Adopted {
				t.Errorf("refused copy reports %s", counts(res))
			}
			sameReads(t, "refused destination", before, readAll(t, other))
			if other.InstanceID() == solo.InstanceID() {
				t.Error("the refused destination took the source's instance id")
			}
		})
	}
	// The same database as source and destination is refused too.
	if _, err := Copy(ctx, solo, solo, nil); dialer.ErrorKind(err) != dialer.EINVALID ||
		!strings.HasPrefix(err.Error(), "the source and the destination are the same database") {
		t.Errorf("copy into itself: %v", err)
	}
}

// Stopped part way (Ctrl-C cancels the context), a copy leaves whole
// chunks; the same copy again finishes the job without a duplicate.
func TestCopyCanceledThenResumed(t *testing.T) {
	solo := openTemp(t)
	fillSolo(t, solo)
	batch := dialer.ImportBatch{At: t0, List: "Big"}
	for i := range 2500 {
		batch.Contacts = append(batch.Contacts, dialer.Contact{Name: fmt.Sprintf("Lead %d", i), Phone: fmt.Sprintf("+1646555%04d", i)})
	}
	if _, err := solo.ImportContacts(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	team := engines[1].open(t)

	ctx, cancel := context.WithCancel(context.Background())
	var canceledAt time.Time
	_, err := Copy(ctx, solo, team, func(table string, n int) {
		if table == "contacts" && n >= 1000 && canceledAt.IsZero() {
			cancel()
			canceledAt = time.Now()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled copy: %v", err)
	}
	if d := time.Since(canceledAt); d > 2*time.Second {
		t.Errorf("the copy took %v to stop", d)
	}
	var n int
	if err := team.db.QueryRow("SELECT count(*) FROM contacts").Scan(&n); err != nil || n != 1000 {
		t.Errorf("%d contacts in the destination after the first chunk (%v), want 1000", n, err)
	}
	if lists, _ := team.Lists(context.Background()); len(lists) != 0 {
		t.Errorf("tables after contacts were copied before the cancel: %+v", lists)
	}

	res := mustCopy(t, solo, team)
	if contacts := tableCount(res, "contacts"); contacts.Copied != 1505 || contacts.There != 1000 || contacts.Differ != 0 || res.Adopted {
		t.Errorf("resumed copy: %s", counts(res))
	}
	sameReads(t, "after the resumed copy", readAll(t, solo), readAll(t, team))
	if res := mustCopy(t, solo, team); res.Totals().Copied != 0 {
		t.Errorf("a third copy copied %s", counts(res))
	}
}

// A row whose key the destination has with other values (both databases
// changed since the last copy) is left as the destination has it and
// counted as different, never overwritten or counted as already there.
func TestCopyCountsRowsThatDiffer(t *testing.T) {
	ctx := context.Background()
	solo := openTemp(t)
	fillSolo(t, solo)
	team := openTemp(t)
	mustCopy(t, solo, team)
	ann, _ := solo.Contact(ctx, 1)
	ann.Name = "Ann Lee-Smith"
	ann.UpdatedAt = t0.Add(time.Hour)
	if _, err := solo.UpdateContact(ctx, ann); err != nil {
		t.Fatal(err)
	}
	res := mustCopy(t, solo, team)
	if got := tableCount(res, "contacts"); got.Differ != 1 || got.There != 4 || got.FirstDiffer != "id 1" {
		t.Errorf("contacts after an edit in the source: %+v", got)
	}
	if c, _ := team.Contact(ctx, 1); c.Name != "Ann Lee" {
		t.Errorf("the destination's contact became %q", c.Name)
	}

	// The team edits a contact many times (its revisions pass the solo
	// install's), then the solo install adds one: the copy gives the new
	// contact a revision after every one the team's search index has read.
	bob, _ := team.Contact(ctx, 2)
	for i := range 10 {
		bob.Notes = fmt.Sprint("edit ", i)
		if _, err := team.UpdateContact(ctx, bob); err != nil {
			t.Fatal(err)
		}
	}
	seen, _ := team.ContactRevision(ctx)
	if soloRev, _ := solo.ContactRevision(ctx); seen <= soloRev+1 {
		t.Fatalf("the team's revision %d is not past the solo install's %d", seen, soloRev)
	}
	mustContact(t, solo, "New Lead", "+15125550100")
	res = mustCopy(t, solo, team)
	if got := tableCount(res, "contacts"); got.Copied != 1 || got.Differ != 2 {
		t.Errorf("contacts after edits on both sides and a new one: %+v", got)
	}
	if ks, _ := keys(t, team, seen); len(ks) != 1 || ks[0].Phone != "+15125550100" {
		t.Errorf("contacts changed after revision %d: %+v", seen, ks)
	}
}

// Copying into a team database is its owner's work: a supervisor's login
// (which may not move id sequences) and an agent's are refused before
// anything is written, with a sentence that says who may.
func TestCopyIntoTeamDatabaseNeedsItsOwner(t *testing.T) {
	ctx := context.Background()
	admin := pgtest.URL(t)
	owner := openAt(t, admin) // migrates: makes the roles and grants
	solo := openTemp(t)
	fillSolo(t, solo)
	for _, role := range []string{"dialer_supervisor", "dialer_agent"} {
		name := fmt.Sprintf("copy_%s_%d", strings.TrimPrefix(role, "dialer_"), time.Now().UnixNano())
		if _, err := owner.db.ExecContext(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN IN ROLE %s", name, role)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { owner.db.ExecContext(context.Background(), "DROP ROLE IF EXISTS "+name) })
		u, _ := url.Parse(admin)
		u.User = url.User(name)
		login := openAt(t, u.String())
		_, err := Copy(ctx, solo, login, nil)
		want := "the PostgreSQL user " + name + " may not copy into " + login.Path() + ": it may not write "
		if dialer.ErrorKind(err) != dialer.EREFUSED || !strings.HasPrefix(err.Error(), want) ||
			!strings.Contains(err.Error(), ": nothing was written. Run the copy as the database's owner") {
			t.Errorf("%s's login copying: %v\nwant %s...", role, err, want)
		}
	}
	if id, _ := owner.instanceID(ctx); id == solo.InstanceID() {
		t.Error("a refused copy gave the team database the solo install's identity")
	}
	if res := mustCopy(t, solo, owner); counts(res) != soloCounts {
		t.Errorf("the owner's copy: %s", counts(res))
	}
}

// One copy at a time writes into a PostgreSQL database: a second is
// refused while the first runs.
func TestCopyOneAtATime(t *testing.T) {
	ctx := context.Background()
	solo := openTemp(t)
	mustContact(t, solo, "Ann", "+12125550143")
	team := engines[1].open(t)
	unlock, err := team.copyLock(ctx) // a copy running
	if err != nil {
		t.Fatal(err)
	}
	_, err = Copy(ctx, solo, team, nil)
	if want := "another copy into " + team.Path() + " is running"; dialer.ErrorKind(err) != dialer.ECONFLICT || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("a second copy while one runs: %v\nwant %s...", err, want)
	}
	if n, _ := team.CountContacts(ctx); n != 0 || team.InstanceID() == solo.InstanceID() {
		t.Errorf("the refused copy wrote: %d contacts, instance %s", n, team.InstanceID())
	}
	unlock()
	if res := mustCopy(t, solo, team); tableCount(res, "contacts").Copied != 1 {
		t.Errorf("the copy after the first ended: %s", counts(res))
	}
}

// copyTables name every table (but those left out on purpose) and column
// of both engines' schemas, the time columns as PostgreSQL types them, and
// parents before children: a migration that adds one fails here until
// Copy moves it or says why not.
func TestCopyTablesCoverTheSchema(t *testing.T) {
	ctx := context.Background()
	specs := map[string]copySpec{}
	order := map[string]int{}
	for i, s := range copyTables {
		specs[s.name], order[s.name] = s, i
	}
	lite := openTemp(t)
	rows, err := lite.db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := collect(rows, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(copyTables)+len(copyLeftOut) {
		t.Errorf("SQLite tables %v, copied %d, left out %d", tables, len(copyTables), len(copyLeftOut))
	}
	for _, name := range tables {
		s, ok := specs[name]
		if _, out := copyLeftOut[name]; out {
			if ok {
				t.Errorf("table %s is both copied and left out", name)
			}
			continue
		}
		if !ok {
			t.Errorf("table %s is neither copied nor left out on purpose (copyLeftOut)", name)
			continue
		}
		rows, err := lite.db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?) ORDER BY cid", name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := collect(rows, func(r scanner) (string, error) {
			var n string
			return n, r.Scan(&n)
		})
		if !slices.Equal(cols, s.cols) {
			t.Errorf("%s: SQLite columns %v, copied %v", name, cols, s.cols)
		}
		rows, err = lite.db.QueryContext(ctx, `SELECT "table" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			t.Fatal(err)
		}
		parents, _ := collect(rows, func(r scanner) (string, error) {
			var n string
			return n, r.Scan(&n)
		})
		for _, p := range parents {
			if order[p] >= order[name] {
				t.Errorf("%s refers to %s but is copied first", name, p)
			}
		}
	}
	pg := engines[1].open(t)
	for _, s := range copyTables {
		rows, err := pg.db.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, s.name)
		if err != nil {
			t.Fatal(err)
		}
		var cols, times []string
		for rows.Next() {
			var c, typ string
			if err := rows.Scan(&c, &typ); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
			if typ == "timestamp with time zone" {
				times = append(times, c)
			}
		}
		rows.Close()
		if !slices.Equal(cols, s.cols) {
			t.Errorf("%s: PostgreSQL columns %v, copied %v", s.name, cols, s.cols)
		}
		if !slices.Equal(times, s.times) {
			t.Errorf("%s: PostgreSQL time columns %v, copied as times %v", s.name, times, s.times)
		}
	}
}

// Into a new SQLite file the copy works as into PostgreSQL, and says how
// far it got in each table.
func TestCopyIntoNewSQLiteFile(t *testing.T) {
	solo := openTemp(t)
	fillSolo(t, solo)
	dst, err := Open(context.Background(), filepath.Join(t.TempDir(), "new", "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var calls []string
	res, err := Copy(context.Background(), solo, dst, func(table string, n int) { calls = append(calls, fmt.Sprint(table, " ", n)) })
	if err != nil {
		t.Fatal(err)
	}
	if counts(res) != soloCounts {
		t.Errorf("copy into a new SQLite file: %s", counts(res))
	}
	if !slices.Contains(calls, "contacts 5") || !slices.Contains(calls, fmt.Sprintf("settings %d", len(dialer.SettingFields))) {
		t.Errorf("progress: %v", calls)
	}
	sameReads(t, "SQLite copied from SQLite", readAll(t, solo), readAll(t, dst))
}
