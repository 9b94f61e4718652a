package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

func mustContact(t *testing.T, db *DB, name, phone string) dialer.Contact {
	t.Helper()
	c, err := db.CreateContact(context.Background(), dialer.Contact{Name: name, Phone: phone, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keys(t *testing.T, db *DB, since int64) ([]dialer.ContactKey, int64) {
	t.Helper()
	var out []dialer.ContactKey
	rev, err := db.ContactKeys(context.Background(), since, func(k dialer.ContactKey) error {
		out = append(out, k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, rev
}

// One live contact per phone; deleting hides a contact from every read
// but Contact, keeps its calls, and frees its phone.
func testContactsOnePerPhoneAndDeleteKeepsCalls(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann := mustContact(t, db, "Ann", "+12125550143")
	_, err := db.CreateContact(ctx, dialer.Contact{Name: "Ann again", Phone: "+12125550143", CreatedAt: t0, UpdatedAt: t0})
	if dialer.ErrorKind(err) != dialer.ECONFLICT || err.Error() != "contact 1 (Ann) already has the phone number +12125550143" {
		t.Fatalf("second contact with one phone: %v", err)
	}
	bob := mustContact(t, db, "Bob", "+12125550144")
	bob.Phone = ann.Phone
	if _, err := db.UpdateContact(ctx, bob); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Fatalf("editing Bob onto Ann's phone: %v", err)
	}
	call, err := db.StartCall(ctx, dialer.Call{ContactID: ann.ID, AgentName: "Sam", AgentPhone: "+14155550111",
		CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, ann.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, ann.ID, t0.Add(time.Hour)); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
	if n, _ := db.CountContacts(ctx); n != 1 {
		t.Errorf("count after delete %d, want 1", n)
	}
	if _, err := db.ContactByPhone(ctx, ann.Phone); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("deleted contact found by phone: %v", err)
	}
	if cs, _ := db.ListContacts(ctx, dialer.ContactFilter{}); len(cs) != 1 || cs[0].ID != bob.ID {
		t.Errorf("list after delete: %+v", cs)
	}
	got, err := db.Contact(ctx, ann.ID)
	if err != nil || got.Name != "Ann" || got.Phone != "+12125550143" || !got.DeletedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("deleted contact read by id: %+v, %v", got, err)
	}
	if rec, err := db.Call(ctx, call.ID); err != nil || rec.ContactID != ann.ID {
		t.Errorf("the deleted contact's call: %+v, %v", rec, err)
	}
	if _, err := db.UpdateContact(ctx, got); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("editing a deleted contact: %v", err)
	}
	again := mustContact(t, db, "Ann (new)", "+12125550143")
	if again.ID == ann.ID {
		t.Error("a new contact reused the deleted one's id")
	}
}

// The search index asks for the changes after the revision it has: every
// create, edit and delete is seen once, in order, deletions marked.
func testContactKeysFollowRevisions(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann := mustContact(t, db, "Ann", "+12125550143")
	bob := mustContact(t, db, "Bob", "+12125550144")
	all, rev := keys(t, db, 0)
	if len(all) != 2 || all[0].Name != "Ann" || all[1].Name != "Bob" || rev != 2 {
		t.Fatalf("full read %+v rev %d", all, rev)
	}
	if r, _ := db.ContactRevision(ctx); r != rev {
		t.Errorf("ContactRevision %d, want %d", r, rev)
	}
	if ch, r := keys(t, db, rev); len(ch) != 0 || r != rev {
		t.Errorf("nothing changed, got %+v rev %d", ch, r)
	}
	ann.Name = "Ann Smith"
	if _, err := db.UpdateContact(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, bob.ID, t0); err != nil {
		t.Fatal(err)
	}
	cy := mustContact(t, db, "Cy", "+12125550145")
	ch, r := keys(t, db, rev)
	want := []dialer.ContactKey{
		{ID: ann.ID, Rev: 3, Name: "Ann Smith", Phone: "+12125550143"},
		{ID: bob.ID, Rev: 4, Name: "Bob", Phone: "+12125550144", Deleted: true},
		{ID: cy.ID, Rev: 5, Name: "Cy", Phone: "+12125550145"},
	}
	if !slices.Equal(ch, want) || r != 5 {
		t.Errorf("changes after %d:\n got %+v rev %d\nwant %+v rev 5", rev, ch, r, want)
	}
	if all, _ := keys(t, db, 0); len(all) != 2 {
		t.Errorf("a full read shows deleted contacts: %+v", all)
	}
}

// An import batch creates new contacts, skips or merges existing ones, and
// puts every row on the list; importing the same rows again changes
// nothing.
func testImportContactsSkipUpdateAndList(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	old, err := db.CreateContact(ctx, dialer.Contact{Name: "Ann", Phone: "+12125550143", Company: "Acme",
		Fields: map[string]string{"tier": "gold"}, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	batch := dialer.ImportBatch{List: "October leads", At: t0, Contacts: []dialer.Contact{
		{Name: "Ann Smith", Phone: "+12125550143", Email: "ann@example.com", Fields: map[string]string{"source": "fair"}},
		{Name: "Bob", Phone: "+12125550144", Company: "Globex", TimeZone: "America/Chicago"},
	}}
	res, err := db.ImportContacts(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Existing != 1 || res.Updated != 0 || res.IDs[0] != old.ID || res.IDs[1] == 0 {
		t.Fatalf("skip import: %+v", res)
	}
	if c, _ := db.Contact(ctx, old.ID); c.Name != "Ann" || c.Email != "" {
		t.Errorf("a skipped duplicate was changed: %+v", c)
	}
	rev, _ := db.ContactRevision(ctx)
	batch.Update = true
	res, err = db.ImportContacts(ctx, batch)
	if err != nil || res.Updated != 1 || res.Existing != 1 || res.Created != 0 {
		t.Fatalf("update import: %+v, %v", res, err)
	}
	c, _ := db.Contact(ctx, old.ID)
	if c.Name != "Ann Smith" || c.Company != "Acme" || c.Email != "ann@example.com" ||
		c.Fields["tier"] != "gold" || c.Fields["source"] != "fair" || !slices.Equal(c.Lists, []string{"October leads"}) {
		t.Errorf("merged contact %+v", c)
	}
	rev2, _ := db.ContactRevision(ctx)
	if rev2 != rev+1 {
		t.Errorf("revision went %d → %d for one update", rev, rev2)
	}
	res, err = db.ImportContacts(ctx, batch)
	if err != nil || res.Updated != 0 || res.Existing != 2 {
		t.Errorf("same rows again: %+v, %v", res, err)
	}
	if r, _ := db.ContactRevision(ctx); r != rev2 {
		t.Errorf("importing the same rows again changed revisions %d → %d", rev2, r)
	}
	lists, _ := db.Lists(ctx)
	if len(lists) != 1 || lists[0].Name != "October leads" || lists[0].Count != 2 {
		t.Errorf("lists %+v", lists)
	}
	twice := dialer.ImportBatch{At: t0, Contacts: []dialer.Contact{{Phone: "+13125550100"}, {Phone: "+13125550100"}}}
	if _, err := db.ImportContacts(ctx, twice); dialer.ErrorKind(err) != dialer.EINVALID {
		t.Errorf("one phone twice in a batch: %v", err)
	}
	if n, _ := db.CountContacts(ctx); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
}

func testListsMembership(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	a, b, c := mustContact(t, db, "A", "+12125550101"), mustContact(t, db, "B", "+12125550102"), mustContact(t, db, "C", "+12125550103")
	if err := db.AddToList(ctx, "hot", []int64{c.ID, a.ID}, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToList(ctx, "hot", []int64{a.ID, b.ID}, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToList(ctx, "  ", []int64{a.ID}, t0); dialer.ErrorKind(err) != dialer.EINVALID {
		t.Errorf("a list with no name: %v", err)
	}
	ids, err := db.ListMembers(ctx, "hot")
	if err != nil || !slices.Equal(ids, []int64{a.ID, b.ID, c.ID}) {
		t.Errorf("members %v, %v", ids, err)
	}
	if err := db.RemoveFromList(ctx, "hot", []int64{b.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteContact(ctx, c.ID, t0); err != nil {
		t.Fatal(err)
	}
	cs, err := db.ListContacts(ctx, dialer.ContactFilter{List: "hot"})
	if err != nil || len(cs) != 1 || cs[0].ID != a.ID {
		t.Errorf("contacts on hot: %+v, %v", cs, err)
	}
	if l, _ := db.Lists(ctx); len(l) != 1 || l[0].Count != 1 {
		t.Errorf("lists %+v", l)
	}
	if _, err := db.ListMembers(ctx, "cold"); dialer.ErrorKind(err) != dialer.ENOTFOUND || err.Error() != `no list named "cold"` {
		t.Errorf("unknown list: %v", err)
	}
	if _, err := db.ListContacts(ctx, dialer.ContactFilter{List: "cold"}); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("contacts of an unknown list: %v", err)
	}
}

// The do-not-call list keeps the first entry of a number and every event.
func testDNCListKeepsWhoWhenAndWhy(t *testing.T, eng engine) {
	db, ctx := eng.open(t), context.Background()
	n, err := db.AddDNC(ctx, []string{"+12125550143", "+12125550144"}, "registry", "Sam", t0)
	if err != nil || n != 2 {
		t.Fatalf("added %d, %v", n, err)
	}
	if n, _ := db.AddDNC(ctx, []string{"+12125550143"}, "asked", "Ann", t0.Add(time.Hour)); n != 0 {
		t.Errorf("re-adding counted %d as new", n)
	}
	e, err := db.DNC(ctx, "+12125550143")
	if err != nil || e.Reason != "registry" || e.AddedBy != "Sam" || !e.AddedAt.Equal(t0) {
		t.Errorf("entry %+v, %v", e, err)
	}
	if err := db.RemoveDNC(ctx, "+12125550143", "consented again", "Lee", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveDNC(ctx, "+12125550143", "again", "Lee", t0); dialer.ErrorKind(err) != dialer.ENOTFOUND ||
		err.Error() != "+12125550143 is not on the do-not-call list" {
		t.Errorf("removing a number not listed: %v", err)
	}
	if _, err := db.DNC(ctx, "+12125550143"); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("removed number still listed: %v", err)
	}
	if _, err := db.AddDNC(ctx, []string{"+13125550100"}, "asked", "Ann", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, _ := db.DNCList(ctx, 0)
	if len(list) != 2 || list[0].Phone != "+13125550100" || list[1].Phone != "+12125550144" {
		t.Errorf("list newest first: %+v", list)
	}
	evs, _ := db.DNCEvents(ctx, "+12125550143")
	if len(evs) != 2 || evs[0].Action != dialer.DNCAdded || evs[1].Action != dialer.DNCRemoved ||
		evs[1].By != "Lee" || evs[1].Reason != "consented again" || !evs[1].At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("events %+v", evs)
	}
	if all, _ := db.DNCEvents(ctx, ""); len(all) != 4 {
		t.Errorf("%d events in all, want 4", len(all))
	}
}

// A contact has one open callback; calling the contact completes it.
func testCallbacksReplaceAndCompleteOnCall(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann, bob := mustContact(t, db, "Ann", "+12125550143"), mustContact(t, db, "Bob", "+12125550144")
	sched := func(c dialer.Contact, due time.Time) dialer.Callback {
		t.Helper()
		cb, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: c.ID, Due: due, Note: "n", CreatedBy: "Sam", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return cb
	}
	sched(ann, t0.Add(time.Hour))
	second := sched(ann, t0.Add(3*time.Hour))
	sched(bob, t0.Add(2*time.Hour))
	open, _ := db.Callbacks(ctx, dialer.CallbackFilter{Open: true})
	if len(open) != 2 || open[0].ContactID != bob.ID || open[1].ID != second.ID {
		t.Fatalf("open callbacks, soonest first: %+v", open)
	}
	if n, _ := db.CountDueCallbacks(ctx, t0.Add(2*time.Hour)); n != 1 {
		t.Errorf("due by +2h: %d, want 1", n)
	}
	call, err := db.StartCall(ctx, dialer.Call{ContactID: ann.ID, AgentName: "Sam", AgentPhone: "+14155550111",
		CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: t0.Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	done, _ := db.Callbacks(ctx, dialer.CallbackFilter{ContactID: ann.ID})
	if len(done) != 1 || done[0].DoneCall != call.ID || !done[0].DoneAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("callback after the call: %+v", done)
	}
	if n, _ := db.CountDueCallbacks(ctx, t0.Add(24*time.Hour)); n != 1 {
		t.Errorf("due after Ann was called: %d, want 1 (Bob)", n)
	}
	if err := db.CancelCallback(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountDueCallbacks(ctx, t0.Add(24*time.Hour)); n != 0 {
		t.Errorf("due after cancelling Bob's: %d", n)
	}
	if _, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: 99, Due: t0}); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("callback for no contact: %v", err)
	}
}

// A day's figures: calls, connects, talk time, fees and priced legs,
// unpriced legs counted apart.
func testStatsAndHistories(t *testing.T, e engine) {
	db, ctx := e.open(t), context.Background()
	ann, bob := mustContact(t, db, "Ann", "+12125550143"), mustContact(t, db, "Bob", "+12125550144")
	usd := func(s string) *dialer.Money {
		m := dialer.Money{Amount: dialer.MustAmount(s), Currency: "USD"}
		return &m
	}
	place := func(c dialer.Contact, at time.Time, o dialer.Outcome, talk time.Duration, price *dialer.Money) {
		t.Helper()
		call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Sam", AgentPhone: "+14155550111",
			CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		leg := dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprintf("CA%032d", call.ID), To: c.Phone,
			Status: dialer.CallCompleted, Duration: talk, Price: price}
		if err := db.SaveLeg(ctx, call.ID, leg); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishCall(ctx, call.ID, o, "", at.Add(talk)); err != nil {
			t.Fatal(err)
		}
	}
	place(ann, t0.Add(-24*time.Hour), dialer.OutcomeAnswered, time.Minute, usd("0.0140")) // yesterday
	place(ann, t0, dialer.OutcomeNoAnswer, 0, usd("0"))
	place(ann, t0.Add(time.Hour), dialer.OutcomeAnswered, 90*time.Second, usd("0.0280"))
	place(bob, t0.Add(2*time.Hour), dialer.OutcomeAnswered, 30*time.Second, nil)
	d, err := db.Stats(ctx, t0, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if d.Calls != 3 || d.Connects != 2 || d.TalkTime != 2*time.Minute || d.CallSpend.String() != usd("0.028").String() || d.Unpriced != 1 {
		t.Errorf("stats %+v", d)
	}
	h, err := db.ContactHistories(ctx, []int64{ann.ID, bob.ID, 99})
	if err != nil {
		t.Fatal(err)
	}
	if a := h[ann.ID]; a.Attempts != 3 || a.LastOutcome != dialer.OutcomeAnswered || !a.LastCalled.Equal(t0.Add(time.Hour)) {
		t.Errorf("Ann's history %+v", a)
	}
	if _, ok := h[99]; ok || len(h) != 2 {
		t.Errorf("histories %+v", h)
	}
}

// Upgrading a database from before the agent's day: a contact marked do
// not call puts its number on the list, and of two contacts with one
// phone the newer is hidden (its calls kept).
func TestMigrationToTheAgentsDay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialer.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := embeddedMigrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.num > 5 {
			break
		}
		body, _ := migrations.ReadFile(m.name)
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatal(m.name, err)
		}
	}
	stamp := t0.Format(timeLayout)
	for _, q := range []string{
		"PRAGMA user_version = 5",
		"INSERT INTO contacts (name, phone, do_not_call, created_at, updated_at) VALUES ('Ann', '+12125550143', 1, '" + stamp + "', '" + stamp + "')",
		"INSERT INTO contacts (name, phone, created_at, updated_at) VALUES ('Ann twin', '+12125550143', '" + stamp + "', '" + stamp + "')",
		"INSERT INTO contacts (name, phone, created_at, updated_at) VALUES ('Bob', '+12125550144', '" + stamp + "', '" + stamp + "')",
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	raw.Close()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if n, _ := db.CountContacts(ctx); n != 2 {
		t.Errorf("%d live contacts, want 2", n)
	}
	c, err := db.ContactByPhone(ctx, "+12125550143")
	if err != nil || c.Name != "Ann" || !c.DoNotCall {
		t.Errorf("Ann after the upgrade: %+v, %v", c, err)
	}
	if e, err := db.DNC(ctx, "+12125550143"); err != nil || !e.AddedAt.Equal(t0) {
		t.Errorf("Ann's number on the list: %+v, %v", e, err)
	}
	if all, rev := keys(t, db, 0); len(all) != 2 || rev != 3 {
		t.Errorf("keys after the upgrade %+v rev %d", all, rev)
	}
}
