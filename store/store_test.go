package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/dialer-dev/dialer/dialer"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 5, 4, 9, 30, 0, 123456000, time.UTC)

func TestOpenMakesAPrivateWALDatabase(t *testing.T) {
	db := openTemp(t)
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %o, want 600", mode)
	}
	ctx := context.Background()
	// Every pooled connection gets the pragmas, not just the first: hold
	// several at once and ask each.
	conns := make([]interface{ Close() error }, 0, 4)
	for i := 0; i < 4; i++ {
		c, err := db.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var fk, busy int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
		if mode != "wal" || fk != 1 || busy < 1000 {
			t.Errorf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d", i, mode, fk, busy)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func testMigrationsRunOnceAndReopenKeepsData(t *testing.T, e engine) {
	path := e.target(t)
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := db.SchemaVersion(ctx)
	inst := db.InstanceID()
	set := dialer.DefaultSettings()
	set.MaxNumbers = 7
	if err := db.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v2, _ := db.SchemaVersion(ctx)
	if v1 < 1 || v1 != v2 {
		t.Errorf("schema version %d then %d", v1, v2)
	}
	if db.InstanceID() != inst || len(inst) != 12 {
		t.Errorf("instance id %q then %q", inst, db.InstanceID())
	}
	got, err := db.Settings(ctx)
	if err != nil || got.MaxNumbers != 7 {
		t.Errorf("settings after reopen: %+v, %v", got, err)
	}
}

func TestOpenRefusesAPathItCannotUse(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	_, err := Open(context.Background(), filepath.Join(blocker, "dialer.db"))
	if err == nil || !strings.Contains(err.Error(), "database") {
		t.Fatalf("error %v, want one naming the database", err)
	}
}

func testSettingsRoundTripAndValidation(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	got, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != dialer.DefaultSettings() {
		t.Errorf("new database settings %+v, want defaults", got)
	}
	want := dialer.Settings{ReservationFee: dialer.MustMoney("2.50", "USD"), ReservationDays: 30, MaxNumbers: 3, RegionFallback: false,
		CallingHours: dialer.CallingHours{Start: 9*60 + 30, End: 17 * 60}, Confirm: dialer.ConfirmKeypad, DailyCallCap: 40, BalanceGrace: 45 * time.Second,
		InboundMessage: "Call back later.", InboundFallback: "+14155550100", WebhookURL: "https://dialer.example.com/hooks"}
	if err := db.SaveSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Settings(ctx); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	bad := want
	bad.ReservationDays = 0
	if err := db.SaveSettings(ctx, bad); dialer.ErrorKind(err) != dialer.EINVALID {
		t.Errorf("saving 0 reservation days: %v", err)
	}
	if got, _ := db.Settings(ctx); got != want {
		t.Errorf("a refused save changed the settings to %+v", got)
	}
}

// The attempt limit of a power-dial session is kept: a limit round-trips,
// a saved 0 (no limit) is not turned back into the default, a database
// saved before the setting existed reads the default, and a negative
// limit is refused.
func testAttemptLimitRoundTrips(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	if got, err := db.Settings(ctx); err != nil || got.AttemptLimit != 5 {
		t.Fatalf("new database attempt limit %d, %v; want the default 5", got.AttemptLimit, err)
	}
	for _, limit := range []int{7, 0, 1} {
		set := dialer.DefaultSettings()
		set.AttemptLimit = limit
		if err := db.SaveSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Settings(ctx); err != nil || got.AttemptLimit != limit {
			t.Errorf("saved attempt limit %d, read back %d, %v", limit, got.AttemptLimit, err)
		}
	}
	// Saved by a version without the setting: no row, the default.
	if _, err := db.db.ExecContext(ctx, "DELETE FROM settings WHERE key = 'attempt_limit'"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Settings(ctx); err != nil || got.AttemptLimit != 5 {
		t.Errorf("without a stored attempt limit: %d, %v; want the default 5", got.AttemptLimit, err)
	}
	bad := dialer.DefaultSettings()
	bad.AttemptLimit = -1
	if err := db.SaveSettings(ctx, bad); dialer.ErrorKind(err) != dialer.EINVALID || !strings.HasPrefix(err.Error(), "attempt limit -1 is negative") {
		t.Errorf("saving a negative attempt limit: %v", err)
	}
}

func claim(t *testing.T, db *DB, area string, max int) dialer.Claim {
	t.Helper()
	cl, err := db.ClaimNumber(context.Background(), dialer.ClaimRequest{
		Country: "US", AreaCode: area, Now: t0, ReserveUntil: t0.Add(14 * 24 * time.Hour), MaxNumbers: max})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func activate(t *testing.T, db *DB, id int64, phone, sid string) (dialer.Number, *dialer.Charge) {
	t.Helper()
	fee := dialer.MustMoney("1.00", "USD")
	n, ch, err := db.ActivateNumber(context.Background(), id, dialer.Activation{
		SID: sid, PhoneNumber: phone, AreaCode: phone[2:5], At: t0,
		ReservedUntil: t0.Add(14 * 24 * time.Hour), Fee: &fee, FeeKey: "reservation:" + sid})
	if err != nil {
		t.Fatal(err)
	}
	return n, ch
}

func testClaimActivateAndTimesRoundTripExactly(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	cl := claim(t, db, "415", 10)
	if cl.Action != dialer.ClaimBuy || cl.Number.Status != dialer.StatusPending || !cl.Number.CreatedAt.Equal(t0) {
		t.Fatalf("first claim %+v", cl)
	}
	if again := claim(t, db, "415", 10); again.Action != dialer.ClaimWait || again.Number.ID != cl.Number.ID {
		t.Fatalf("second claim while pending: %+v", again)
	}
	n, ch := activate(t, db, cl.Number.ID, "+14155550100", "PN01")
	if n.Status != dialer.StatusActive || ch == nil || ch.Amount.String() != "1.00 USD" {
		t.Fatalf("activated %+v charge %+v", n, ch)
	}
	if n.CreatedAt.Location() != time.UTC || !n.ReservedUntil.Equal(t0.Add(14*24*time.Hour)) {
		t.Errorf("times: created %v reserved %v", n.CreatedAt, n.ReservedUntil)
	}
	// Activating the same purchase again (a reconcile racing the buyer)
	// changes nothing and charges nothing.
	n2, ch2 := activate(t, db, cl.Number.ID, "+14155550100", "PN01")
	if n2.ID != n.ID || ch2.ID != ch.ID {
		t.Errorf("second activation: %+v %+v", n2, ch2)
	}
	if cs, _ := db.Charges(ctx, dialer.ChargeFilter{}); len(cs) != 1 {
		t.Errorf("%d charges, want 1", len(cs))
	}
	// A reuse claim extends the reservation, never shortens it.
	later := claim(t, db, "415", 10)
	if later.Action != dialer.ClaimReused || !later.Number.ReservedUntil.Equal(t0.Add(14*24*time.Hour)) {
		t.Errorf("reuse %+v", later)
	}
	// Failing an active number is refused.
	if err := db.FailNumber(ctx, n.ID, "x"); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("failing an active number: %v", err)
	}
}

func testClaimRefusesOverTheMaximumAndCountsPending(t *testing.T, e engine) {
	db := e.open(t)
	claim(t, db, "415", 2)
	claim(t, db, "212", 2) // pending purchases count too
	_, err := db.ClaimNumber(context.Background(), dialer.ClaimRequest{Country: "US", AreaCode: "303", Now: t0, MaxNumbers: 2})
	if dialer.ErrorKind(err) != dialer.ELIMIT {
		t.Fatalf("third claim with maximum 2: %v", err)
	}
	if ns, _ := db.Numbers(context.Background(), dialer.NumberFilter{}); len(ns) != 2 {
		t.Errorf("refused claim left a row: %d numbers", len(ns))
	}
}

// The schema holds the invariants even against a caller that skips the
// store's methods and writes SQL of its own.
func testConstraintsHoldAgainstBuggyCallers(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	now := t0.Format(timeLayout)
	exec := func(q string, args ...any) error {
		_, err := db.db.ExecContext(ctx, q, args...)
		return err
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(exec(`INSERT INTO agents (id, name, phone, created_at) VALUES (1, 'Ann', '+14155550111', ?)`, now))
	must(exec(`INSERT INTO numbers (kind, status, country, serves_area_code, created_at) VALUES ('on_demand', 'pending', 'US', '415', ?)`, now))
	must(exec(`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code, serves_area_code, reserved_until, agent_id, is_primary, created_at)
		VALUES ('on_demand', 'active', 'US', '+14155550100', 'PN1', '415', '415', ?, 1, 1, ?)`, now, now))
	must(exec(`INSERT INTO charges (kind, phone_number, amount, currency, idempotency_key, created_at) VALUES ('reservation_fee', '+14155550100', 1000000, 'USD', 'k1', ?)`, now))

	violations := []struct {
		name string
		sql  string
	}{
		{"second pending purchase for one area code",
			`INSERT INTO numbers (kind, status, country, serves_area_code, created_at) VALUES ('on_demand', 'pending', 'US', '415', '` + now + `')`},
		{"the same live phone number twice",
			`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code, serves_area_code, reserved_until, created_at) VALUES ('on_demand', 'active', 'US', '+14155550100', 'PN2', '415', '415', '` + now + `', '` + now + `')`},
		{"the same provider SID twice",
			`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, created_at) VALUES ('dedicated', 'active', 'US', '+14155550101', 'PN1', '` + now + `')`},
		{"a second primary number for one agent",
			`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, agent_id, is_primary, created_at) VALUES ('dedicated', 'active', 'US', '+14155550102', 'PN3', 1, 1, '` + now + `')`},
		{"a charge with a used idempotency key",
			`INSERT INTO charges (kind, phone_number, amount, currency, idempotency_key, created_at) VALUES ('reservation_fee', '+1', 1000000, 'USD', 'k1', '` + now + `')`},
		{"an active number without a phone number",
			`INSERT INTO numbers (kind, status, country, provider_sid, created_at) VALUES ('dedicated', 'active', 'US', 'PN4', '` + now + `')`},
		{"an on-demand active number without a reservation",
			`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, serves_area_code, created_at) VALUES ('on_demand', 'active', 'US', '+14155550103', 'PN5', '415', '` + now + `')`},
		{"an unknown status",
			`INSERT INTO numbers (kind, status, country, created_at) VALUES ('dedicated', 'lost', 'US', '` + now + `')`},
		{"a negative charge",
			`INSERT INTO charges (kind, phone_number, amount, currency, idempotency_key, created_at) VALUES ('reservation_fee', '+1', -5, 'USD', 'k2', '` + now + `')`},
		{"a number assigned to an agent who does not exist",
			`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, agent_id, created_at) VALUES ('dedicated', 'active', 'US', '+14155550104', 'PN6', 99, '` + now + `')`},
	}
	for _, v := range violations {
		if err := exec(v.sql); err == nil {
			t.Errorf("%s: accepted", v.name)
		} else if kind := dialer.ErrorKind(storeErr(err)); kind != dialer.ECONFLICT {
			t.Errorf("%s: error kind %s (%v), want conflict", v.name, kind, err)
		}
	}
	// Released numbers free their phone number for a later purchase.
	must(exec(`UPDATE numbers SET status = 'released', released_at = ? WHERE provider_sid = 'PN1'`, now))
	must(exec(`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code, serves_area_code, reserved_until, created_at)
		VALUES ('on_demand', 'active', 'US', '+14155550100', 'PN7', '415', '415', ?, ?)`, now, now))
}

func testSweepQueries(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	a := claim(t, db, "415", 10)
	activate(t, db, a.Number.ID, "+14155550100", "PN1")
	b := claim(t, db, "212", 10)
	activate(t, db, b.Number.ID, "+12125550100", "PN2")
	// Call 212 a day later: its reservation moves on.
	if _, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "212", Now: t0.Add(24 * time.Hour), ReserveUntil: t0.Add(15 * 24 * time.Hour), MaxNumbers: 10}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(14*24*time.Hour + time.Second)
	exp, err := db.ExpireReservations(ctx, at)
	if err != nil || len(exp) != 1 || exp[0].ID != a.Number.ID || exp[0].Status != dialer.StatusCanceling {
		t.Fatalf("expired %+v, %v; want only the 415 number, canceling", exp, err)
	}
	due, err := db.DueReleases(ctx, at)
	if err != nil || len(due) != 1 || due[0].ID != a.Number.ID {
		t.Fatalf("due %+v, %v", due, err)
	}
	// A canceling number is not handed out.
	if cl := claim(t, db, "415", 10); cl.Action != dialer.ClaimBuy {
		t.Errorf("claim in 415 after expiry: %+v, want a new purchase", cl)
	}
	if err := db.MarkReleased(ctx, a.Number.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkReleased(ctx, 999, at); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("releasing an unknown number: %v", err)
	}
}

// Only active numbers are handed out: a past-due number in the area code
// is passed over, and a supervisor's canceling number is released only once
// its billing period ends.
func testOnlyActiveNumbersAreHandedOut(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	a := claim(t, db, "415", 10)
	activate(t, db, a.Number.ID, "+14155550100", "PN1")
	if _, err := db.db.ExecContext(ctx, "UPDATE numbers SET status = 'past_due' WHERE id = ?", a.Number.ID); err != nil {
		t.Fatal(err)
	}
	if cl := claim(t, db, "415", 10); cl.Action != dialer.ClaimBuy {
		t.Errorf("claim with only a past-due number: %+v, want a purchase", cl)
	}
	end := t0.Add(10 * 24 * time.Hour)
	if _, err := db.db.ExecContext(ctx, `INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code, billing_period_end, created_at)
		VALUES ('dedicated', 'canceling', 'US', '+12125550100', 'PN9', '212', ?, ?)`, end.Format(timeLayout), t0.Format(timeLayout)); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueReleases(ctx, end.Add(-time.Second)); len(due) != 0 {
		t.Errorf("due before the period ends: %+v", due)
	}
	if due, _ := db.DueReleases(ctx, end); len(due) != 1 || due[0].Kind != dialer.Dedicated {
		t.Errorf("due when the period ends: %+v", due)
	}
}

func testContactsByIDs(t *testing.T, e engine) {
	ctx := context.Background()
	db := e.open(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var ids []int64
	for i, name := range []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"} {
		c, err := db.CreateContact(ctx, dialer.Contact{Name: name, Phone: fmt.Sprintf("+1415555010%d", i), Company: "Acme",
			Fields: map[string]string{"tier": "gold"}, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	got, err := db.Contacts(ctx, []int64{ids[2], 999999, ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "Ada Lovelace" || got[1].Name != "Alan Turing" || got[1].Fields["tier"] != "gold" {
		t.Fatalf("Contacts = %+v, want Ada then Alan with their fields, and no row for the missing id", got)
	}
	if got, err := db.Contacts(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("Contacts(nil) = %v, %v", got, err)
	}
}

func testContactsByPhonePrefix(t *testing.T, e engine) {
	ctx := context.Background()
	db := e.open(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct{ name, phone string }{
		{"Walter Skinner", "+12125550143"}, {"Dana Scully", "+12025550177"}, {"Gone Skinner", "+12125550144"},
		{"Fox Mulder", "+12125552671"}, {"Hedy Lamarr", "+13105550133"},
	} {
		if _, err := db.CreateContact(ctx, dialer.Contact{Name: c.name, Phone: c.phone, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if gone, err := db.ContactByPhone(ctx, "+12125550144"); err != nil {
		t.Fatal(err)
	} else if err := db.DeleteContact(ctx, gone.ID, now); err != nil {
		t.Fatal(err)
	}
	names := func(prefix string, limit int) string {
		t.Helper()
		got, err := db.ContactsByPhonePrefix(ctx, prefix, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range got {
			out = append(out, c.Name)
		}
		return strings.Join(out, ", ")
	}
	for _, tc := range []struct {
		prefix string
		limit  int
		want   string
	}{
		{"+1212", 10, "Walter Skinner, Fox Mulder"}, // phone order; a deleted contact is not offered
		{"+12125550143", 10, "Walter Skinner"},
		{"+12125550144", 10, ""},
		{"+1212", 1, "Walter Skinner"},
		{"", 2, "Dana Scully, Walter Skinner"},
		{"+1313", 10, ""},
		{"+1", 10, "Dana Scully, Walter Skinner, Fox Mulder, Hedy Lamarr"},
	} {
		if got := names(tc.prefix, tc.limit); got != tc.want {
			t.Errorf("ContactsByPhonePrefix(%q, %d) = %q, want %q", tc.prefix, tc.limit, got, tc.want)
		}
	}
	if end, ok := prefixEnd("+1\xff\xff"); !ok || end != "+2" {
		t.Errorf("prefixEnd(+1 FF FF) = %q, %v", end, ok)
	}
	if _, ok := prefixEnd("\xff"); ok {
		t.Error("prefixEnd(FF) has an end")
	}
}

// A constraint violation is a conflict whichever write runs into it,
// including those that hand the transaction's error straight back.
func testConstraintViolationsInWritesAreConflicts(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	c, err := db.CreateContact(ctx, dialer.Contact{Name: "Ada", Phone: "+14155550100", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Ann", AgentPhone: "+14155550111",
		CallerID: "+14155550122", Confirm: dialer.ConfirmAuto, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.AgentLeg, SID: "CA1", To: "+14155550111", Status: dialer.CallQueued}); err != nil {
		t.Fatal(err)
	}
	cl := claim(t, db, "415", 10)
	for _, w := range []struct {
		name string
		err  error
	}{
		{"SaveLeg reusing another leg's SID", db.SaveLeg(ctx, call.ID,
			dialer.Leg{Role: dialer.ContactLeg, SID: "CA1", To: "+14155550100", Status: dialer.CallQueued})},
		{"SaveLeg for a call that does not exist", db.SaveLeg(ctx, 999,
			dialer.Leg{Role: dialer.AgentLeg, SID: "CA2", To: "+14155550111", Status: dialer.CallQueued})},
		{"SaveRate with a negative rate", db.SaveRate(ctx, "+1415555", dialer.Money{Amount: -1, Currency: "USD"}, t0)},
		{"SetLegPrice with a negative price", db.SetLegPrice(ctx, "CA1", dialer.Money{Amount: -1, Currency: "USD"})},
		{"MarkReleased of a pending number with no phone number", db.MarkReleased(ctx, cl.Number.ID, time.Time{})},
	} {
		if kind := dialer.ErrorKind(w.err); kind != dialer.ECONFLICT {
			t.Errorf("%s: error kind %s (%v), want conflict", w.name, kind, w.err)
		}
	}
}

// The writes that hand back the row they wrote return it as stored, and
// refuse what the schema refuses as a conflict.
func testWritesReturnTheStoredRow(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	later := t0.Add(time.Hour)
	// Do-not-call is by number: listed before the contact exists, it shows
	// on the contact, and no longer once the contact's phone changes.
	if _, err := db.AddDNC(ctx, []string{"+14155550100"}, "", "", t0); err != nil {
		t.Fatal(err)
	}
	c, err := db.CreateContact(ctx, dialer.Contact{Name: "Ada", Phone: "+14155550100", Company: "Acme", Notes: "n",
		Fields: map[string]string{"tier": "gold"}, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Name != "Ada" || c.Company != "Acme" || c.Fields["tier"] != "gold" || !c.DoNotCall ||
		!c.CreatedAt.Equal(t0) || c.CreatedAt.Location() != time.UTC {
		t.Errorf("created %+v", c)
	}
	c.Name, c.Phone, c.DoNotCall, c.Fields, c.UpdatedAt = "Ada L", "+14155550101", false, nil, later
	u, err := db.UpdateContact(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != c.ID || u.Name != "Ada L" || u.Phone != "+14155550101" || u.DoNotCall || len(u.Fields) != 0 ||
		!u.CreatedAt.Equal(t0) || !u.UpdatedAt.Equal(later) {
		t.Errorf("updated %+v", u)
	}
	if got, err := db.Contact(ctx, c.ID); err != nil || got.Name != u.Name || !got.UpdatedAt.Equal(later) {
		t.Errorf("read back %+v, %v", got, err)
	}
	missing := c
	missing.ID = 999
	if _, err := db.UpdateContact(ctx, missing); dialer.ErrorKind(err) != dialer.ENOTFOUND || err.Error() != "no contact with id 999" {
		t.Errorf("updating a missing contact: %v", err)
	}
	noPhone := c
	noPhone.Phone = ""
	if _, err := db.UpdateContact(ctx, noPhone); dialer.ErrorKind(err) != dialer.EINVALID || err.Error() != "contact Ada L has no phone number" {
		t.Errorf("updating to no phone: %v", err)
	}

	call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Ann", AgentPhone: "+14155550111",
		CallerID: "+14155550122", Confirm: dialer.ConfirmKeypad, OverrideReason: "urgent", StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if call.ID == 0 || call.ContactID != c.ID || call.AgentName != "Ann" || call.Confirm != dialer.ConfirmKeypad ||
		call.OverrideReason != "urgent" || !call.StartedAt.Equal(t0) || call.NumberID != 0 || call.NewNumber || !call.EndedAt.IsZero() {
		t.Errorf("started %+v", call)
	}
	if _, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Ann", AgentPhone: "4155550111",
		CallerID: "+14155550122", Confirm: dialer.ConfirmAuto, StartedAt: t0}); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("starting a call with an agent phone not in E.164: %v", err)
	}

	p, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "212", Now: t0, MaxNumbers: 10})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Kind != dialer.Dedicated || p.Status != dialer.StatusPending || p.AreaCode != "212" || !p.CreatedAt.Equal(t0) {
		t.Errorf("purchase %+v", p)
	}
	if _, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "USA", AreaCode: "212", Now: t0, MaxNumbers: 10}); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("a purchase in country USA: %v", err)
	}
	cl := claim(t, db, "415", 10)
	if cl.Number.ID == 0 || cl.Number.Kind != dialer.OnDemand || cl.Number.ServesAreaCode != "415" || cl.Number.AreaCode != "" {
		t.Errorf("claim %+v", cl)
	}
	if _, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "USA", AreaCode: "303", Now: t0, MaxNumbers: 10}); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("a claim in country USA: %v", err)
	}
	if ns, _ := db.Numbers(ctx, dialer.NumberFilter{}); len(ns) != 2 {
		t.Errorf("%d numbers, want 2: refused writes left rows", len(ns))
	}
}

// Exactly the ended legs with no price are unpriced, and exactly the live
// numbers count against the maximum.
func testStatusListsInQueries(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	c, err := db.CreateContact(ctx, dialer.Contact{Phone: "+14155550100", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	statuses := []dialer.CallStatus{dialer.CallQueued, dialer.CallRinging, dialer.CallInProgress, dialer.CallCompleted,
		dialer.CallBusy, dialer.CallFailed, dialer.CallNoAnswer, dialer.CallCanceled}
	want := map[string]bool{}
	for i, st := range statuses {
		call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Ann", AgentPhone: "+14155550111",
			CallerID: "+14155550122", Confirm: dialer.ConfirmAuto, StartedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		sid := fmt.Sprintf("CA%d", i)
		if err := db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.AgentLeg, SID: sid, To: "+14155550111", Status: st}); err != nil {
			t.Fatal(err)
		}
		priced := fmt.Sprintf("CP%d", i)
		if err := db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: priced, To: "+14155550100", Status: st,
			Price: &dialer.Money{Amount: 1, Currency: "USD"}}); err != nil {
			t.Fatal(err)
		}
		if st.Ended() {
			want[sid] = true
		}
	}
	got, err := db.UnpricedLegs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) != 5 {
		t.Errorf("unpriced %+v, want the %d ended unpriced legs", got, len(want))
	}
	for _, r := range got {
		if !want[r.SID] || r.Role != dialer.AgentLeg {
			t.Errorf("unpriced leg %+v is not ended or is priced", r)
		}
	}
	if got, _ := db.UnpricedLegs(ctx, 2); len(got) != 2 {
		t.Errorf("limit 2: %d legs", len(got))
	}

	now := t0.Format(timeLayout)
	for i, st := range []dialer.NumberStatus{dialer.StatusReleased, dialer.StatusFailed, dialer.StatusPastDue, dialer.StatusCanceling} {
		if _, err := db.db.ExecContext(ctx, `INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code,
			billing_period_end, reserved_until, created_at) VALUES ('dedicated', ?, 'US', ?, ?, '212', ?, ?, ?)`,
			string(st), fmt.Sprintf("+1212555010%d", i), fmt.Sprintf("PN%d", i), now, now, now); err != nil {
			t.Fatal(err)
		}
	}
	// past_due and canceling count; released and failed do not.
	claim(t, db, "415", 3)
	if _, err := db.StartPurchase(ctx, dialer.PurchaseRequest{Country: "US", AreaCode: "303", Now: t0, MaxNumbers: 3}); dialer.ErrorKind(err) != dialer.ELIMIT ||
		!strings.Contains(err.Error(), "already has 3 of its maximum 3") {
		t.Errorf("a fourth live number with maximum 3: %v", err)
	}
	if ns, err := db.Numbers(ctx, dialer.NumberFilter{Statuses: []dialer.NumberStatus{dialer.StatusPending, dialer.StatusFailed}}); err != nil || len(ns) != 2 {
		t.Errorf("numbers pending or failed: %d, %v", len(ns), err)
	}
}

// Settings are stored as these strings, and a stored value that cannot be
// read is an internal error naming it.
func testSettingsStoredStrings(t *testing.T, e engine) {
	db := e.open(t)
	ctx := context.Background()
	set := dialer.Settings{ReservationFee: dialer.MustMoney("2.50", "USD"), ReservationDays: 30, MaxNumbers: 3, RegionFallback: true,
		CallingHours: dialer.CallingHours{Start: 9*60 + 30, End: 17 * 60}, Confirm: dialer.ConfirmKeypad, DailyCallCap: 40, BalanceGrace: 45 * time.Second,
		InboundMessage: "Call back later.", InboundFallback: "+14155550100", WebhookURL: "https://dialer.example.com/hooks"}
	if err := db.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	rows, err := db.db.QueryContext(ctx, "SELECT key, value FROM settings ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var k, v string
		rows.Scan(&k, &v)
		got = append(got, k+"="+v)
	}
	rows.Close()
	want := []string{"attempt_limit=0", "balance_grace=45s", "calling_hours=" + set.CallingHours.String(), "confirm=keypad", "daily_call_cap=40",
		"inbound_fallback=+14155550100", "inbound_message=Call back later.",
		"max_numbers=3", "number_daily_cap=0", "region_fallback=true", "reservation_days=30", "reservation_fee=" + set.ReservationFee.Amount.String(),
		"reservation_fee_currency=USD", "rotate_at_risk=off", "webhook_url=https://dialer.example.com/hooks"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stored\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A key this version does not know is ignored.
	if _, err := db.db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('future_thing', 'x')"); err != nil {
		t.Fatal(err)
	}
	if s, err := db.Settings(ctx); err != nil || s != set {
		t.Errorf("with an unknown key: %+v, %v", s, err)
	}
	for _, bad := range [][2]string{{"max_numbers", "many"}, {"region_fallback", "maybe"}, {"balance_grace", "soon"},
		{"reservation_fee", "x"}, {"calling_hours", "all day"}, {"confirm", "telepathy"}, {"attempt_limit", "five"}, {"rotate_at_risk", "maybe"}} {
		if _, err := db.db.ExecContext(ctx, "UPDATE settings SET value = ? WHERE key = ?", bad[1], bad[0]); err != nil {
			t.Fatal(err)
		}
		_, err := db.Settings(ctx)
		if dialer.ErrorKind(err) != dialer.EINTERNAL || !strings.HasPrefix(err.Error(), fmt.Sprintf("stored setting %s=%q cannot be read: ", bad[0], bad[1])) {
			t.Errorf("stored %s=%q: %v", bad[0], bad[1], err)
		}
		if err := db.SaveSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
}

// SQLite's failures reach the user as sentences that name the cause, and
// still wrap SQLite's own error.
func TestDatabaseErrorsNameTheirCause(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	holder, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(ctx, "ROLLBACK")
	impatient, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	_, busy := impatient.ExecContext(ctx, "BEGIN IMMEDIATE")
	err = storeErr(busy)
	var se *sqlite.Error
	if dialer.ErrorMessage(err) != "the database file is locked by another program (SQLITE_BUSY)" || !errors.As(err, &se) {
		t.Errorf("a locked database: %q (%v)", dialer.ErrorMessage(err), err)
	}

	ro, err := OpenWith(ctx, db.Path(), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = ro.SaveSettings(ctx, dialer.DefaultSettings())
	if dialer.ErrorMessage(err) != "the database cannot be written: its file or directory is read-only (SQLITE_READONLY)" {
		t.Errorf("a write to a read-only database: %q (%v)", dialer.ErrorMessage(err), err)
	}
}

// Without Create a missing file is not made; read-only, an existing file
// whose schema is behind (here: empty) is brought up to date, then read.
func TestOpenWithoutCreateAndReadOnly(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "no", "dialer.db")
	_, err := OpenWith(ctx, missing, Options{})
	if !errors.Is(err, ErrNoDatabase) || dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("its directory was made: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "dialer.db")
	os.WriteFile(empty, nil, 0o600)
	db, err := OpenWith(ctx, empty, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != latestMigration(SQLite) || len(db.InstanceID()) != 12 {
		t.Errorf("schema %d (%v), instance %q", v, err, db.InstanceID())
	}
	if _, err := db.Settings(ctx); err != nil {
		t.Error(err)
	}
}

// In a directory where the WAL index cannot be made (a read-only one;
// simulated with a -shm path SQLite refuses to open, a symbolic link, as
// the tests may run as root, whom permissions do not bind), the database
// is read as immutable, which ignores the -wal file: so it is, unless a
// writer that ended without merging left changes there. Then reading
// would silently show stale data, and the open says why it refuses.
func TestReadOnlyDirectoryRefusesChangesNotYetMerged(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(t.TempDir(), "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	set := dialer.DefaultSettings()
	set.MaxNumbers = 7
	if err := w.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if err := w.db.Close(); err != nil { // merges the WAL into the file
		t.Fatal(err)
	}
	if w, err = Open(ctx, w.Path()); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	set.MaxNumbers = 9 // written to the -wal file only
	if err := w.SaveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	// A copy of the files now is what a writer killed now leaves behind.
	crashed := func(t *testing.T, files ...string) string {
		dir := t.TempDir()
		for _, f := range files {
			b, err := os.ReadFile(w.Path() + f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "dialer.db"+f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, "dialer.db")
	}
	noIndex := func(t *testing.T, path string) {
		if err := os.Symlink(filepath.Join(filepath.Dir(path), "nowhere", "shm"), path+"-shm"); err != nil {
			t.Fatal(err)
		}
	}
	maxNumbers := func(t *testing.T, path string) int {
		t.Helper()
		ro, err := OpenWith(ctx, path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("read-only open: %v", err)
		}
		defer ro.Close()
		s, err := ro.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.MaxNumbers
	}

	t.Run("changes not yet merged, WAL index can be made", func(t *testing.T) {
		if got := maxNumbers(t, crashed(t, "", "-wal")); got != 9 {
			t.Errorf("read %d, want 9 (the -wal file's)", got)
		}
	})
	t.Run("changes not yet merged, no WAL index", func(t *testing.T) {
		path := crashed(t, "", "-wal")
		if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("the test expected a non-empty -wal file: %v", err)
		}
		noIndex(t, path)
		ro, err := OpenWith(ctx, path, Options{ReadOnly: true})
		if err == nil {
			s, _ := ro.Settings(ctx)
			ro.Close()
			t.Fatalf("opened, reading max numbers %d (the -wal file has 9); want an error", s.MaxNumbers)
		}
		want := path + " has changes not yet merged (" + path + "-wal) and its directory is read-only: open it once where it can be written"
		if first, _, _ := strings.Cut(err.Error(), "\n"); first != want {
			t.Errorf("error %q\nwant first line %q", err, want)
		}
	})
	for name, files := range map[string][]string{"no -wal file": {""}, "an empty -wal file": {"", "-wal"}} {
		t.Run(name+", no WAL index", func(t *testing.T) {
			path := crashed(t, files...)
			if len(files) == 2 {
				os.Truncate(path+"-wal", 0)
			}
			noIndex(t, path)
			// Without the immutable read SQLite cannot open it here.
			if _, err := openRO(ctx, path, "&mode=ro", nil); err == nil {
				t.Fatal("opened without the WAL index; the test expected it not to")
			}
			if got := maxNumbers(t, path); got != 7 {
				t.Errorf("read %d, want 7", got)
			}
		})
	}
}
