package integration

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

const day = 24 * time.Hour

// The foundation's reservation timeline, once more, against the emulator
// through the real adapter: what the engine decides is what Twilio would
// be asked to do.
func TestReservationPolicyAgainstEmulator(t *testing.T) {
	w := newWorld(t, opts{emu: twilioemu.Config{EmptyAreaCodes: []string{"650"}}})
	ctx := context.Background()
	t0 := w.clock.Now()
	owned := func() int {
		o, err := w.prov.ListNumbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(o)
	}

	first, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil || !first.Bought || first.Fee == nil || first.Number.AreaCode != "415" {
		t.Fatalf("day 0: %+v, %v", first, err)
	}
	if owned() != 1 || w.purchases() != 1 {
		t.Fatalf("day 0: provider owns %d after %d purchases", owned(), w.purchases())
	}
	if !strings.HasPrefix(first.Number.FriendlyName, "dialer:"+w.db.InstanceID()+":") {
		t.Errorf("friendly name %q does not carry the local id", first.Number.FriendlyName)
	}

	w.emu.ResetRequests()
	w.clock.Set(t0.Add(13 * day))
	again, err := w.res.Acquire(ctx, contact("+14155550199"), nil)
	if err != nil || again.Bought || again.Number.ID != first.Number.ID || !again.Number.ReservedUntil.Equal(t0.Add(27*day)) {
		t.Fatalf("day 13: %+v, %v", again, err)
	}
	if n := len(w.emu.Requests()); n != 0 {
		t.Errorf("day 13: reuse cost %d provider requests, want 0", n)
	}

	w.clock.Set(t0.Add(27*day + time.Second))
	sw, err := w.res.Sweep(ctx)
	if err != nil || len(sw.Released) != 1 || owned() != 0 {
		t.Fatalf("day 27+1s: released %d (%v), provider owns %d", len(sw.Released), err, owned())
	}
	next, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil || !next.Bought || len(w.charges(t)) != 2 {
		t.Fatalf("after the sweep: %+v, %v, %d fees", next, err, len(w.charges(t)))
	}

	w.emu.FailNextPurchase(21631)
	if _, err := w.res.Acquire(ctx, contact("+12125550143"), nil); dialer.ErrorKind(err) != dialer.EADDRESS {
		t.Errorf("purchase failure: %v", err)
	}
	if len(w.charges(t)) != 2 || owned() != 1 {
		t.Errorf("after a failed purchase: %d fees, provider owns %d", len(w.charges(t)), owned())
	}

	fb, err := w.res.Acquire(ctx, contact("+16505550123"), nil)
	if err != nil || fb.Local || fb.Number.Region != "CA" || fb.Number.AreaCode == "650" {
		t.Errorf("fallback: %+v, %v; want a non-local California number", fb, err)
	}

	s, _ := w.db.Settings(ctx)
	s.MaxNumbers = 2
	w.db.SaveSettings(ctx, s)
	w.emu.ResetRequests()
	if _, err := w.res.Acquire(ctx, contact("+13035550123"), nil); dialer.ErrorKind(err) != dialer.ELIMIT {
		t.Errorf("over the maximum: %v", err)
	}
	if n := len(w.emu.Requests()); n != 0 {
		t.Errorf("a refused purchase still sent %d requests", n)
	}
}

// Counted at the emulator: the Call key costs one provider round trip
// before the agent's phone rings when the area code has a reserved
// number, two when it needs a new one.
func TestCallKeyRoundTripsCountedAtTheEmulator(t *testing.T) {
	w := newWorld(t, opts{})
	ctx := context.Background()
	call := func(phone string) []string {
		w.emu.ResetRequests()
		r, err := w.res.Acquire(ctx, contact(phone), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.prov.CreateCall(ctx, dialer.CallRequest{To: "+13035550100", From: r.Number.PhoneNumber,
			Say: "Dialing " + phone, Hold: time.Minute}); err != nil {
			t.Fatal(err)
		}
		var seen []string
		for _, rq := range w.emu.Requests() {
			seen = append(seen, rq.Method+" "+filepath.Base(rq.Path))
		}
		return seen
	}
	if got := call("+14155550100"); strings.Join(got, ", ") != "POST IncomingPhoneNumbers.json, POST Calls.json" {
		t.Errorf("new area code: %v, want buy then create call", got)
	}
	if got := call("+14155550111"); strings.Join(got, ", ") != "POST Calls.json" {
		t.Errorf("reserved area code: %v, want only create call", got)
	}
}

// No credential reaches a log line, an error message or a database row,
// whatever goes wrong.
func TestNoCredentialInLogsErrorsOrDatabase(t *testing.T) {
	w := newWorld(t, opts{})
	ctx := context.Background()
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), dialer.ErrorMessage(err), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	_, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
	note(err)
	for _, code := range []int{20003, 21631, 10002} {
		w.emu.FailNextPurchase(code)
		_, err := w.res.Acquire(ctx, contact(fmt.Sprintf("+1212555%04d", code%10000)), nil)
		note(err)
	}
	w.emu.RateLimitNext(1)
	_, err = w.prov.ListNumbers(ctx)
	note(err)
	w.emu.FailNext5xx(9)
	_, err = w.prov.Balance(ctx)
	note(err)
	w.emu.PurchaseAfterDrop()
	_, err = w.res.Acquire(ctx, contact("+13035550100"), nil)
	note(err)
	_, err = w.prov.FetchCall(ctx, "CA00000000000000000000000000000000")
	note(err)
	if len(errs) < 9 {
		t.Fatalf("only %d error strings collected; the faults did not happen", len(errs))
	}

	rows := dumpDatabase(t, w.db.Path())
	basic := base64.StdEncoding.EncodeToString([]byte(accountSID + ":" + authToken))
	for where, text := range map[string]string{"logs": w.logs.String(), "errors": strings.Join(errs, "\n"), "database": rows} {
		if text == "" {
			t.Errorf("no %s collected", where)
		}
		for _, secret := range []string{authToken, basic, "Basic "} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contain a credential (%q)", where, secret[:6])
			}
		}
	}
	if !strings.Contains(w.logs.String(), "IncomingPhoneNumbers") {
		t.Errorf("the adapter logged no requests; the check above proved nothing")
	}
}

// dumpDatabase returns every value of every row of every table as text.
func dumpDatabase(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var b strings.Builder
	for _, n := range names {
		rows, err := db.Query("SELECT * FROM " + n)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			for _, v := range vals {
				fmt.Fprintf(&b, "%s\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

// Monthly prices come from Pricing v1, once per country, onto the numbers
// that have none.
func TestFillMonthlyPrices(t *testing.T) {
	w := newWorld(t, opts{})
	ctx := context.Background()
	for _, p := range []string{"+14155550100", "+12125550100"} {
		if _, err := w.res.Acquire(ctx, contact(p), nil); err != nil {
			t.Fatal(err)
		}
	}
	w.emu.ResetRequests()
	n, err := w.res.FillMonthlyPrices(ctx, w.prov)
	if err != nil || n != 2 {
		t.Fatalf("filled %d, %v", n, err)
	}
	if got := countRequests(w.emu, "GET", "/US"); got != 1 {
		t.Errorf("%d pricing requests for one country, want 1", got)
	}
	ns, _ := w.db.Numbers(ctx, dialer.NumberFilter{})
	for _, num := range ns {
		if num.MonthlyPrice == nil || num.MonthlyPrice.String() != "1.15 USD" {
			t.Errorf("%s monthly price %v, want the emulator's 1.15 USD", num.PhoneNumber, num.MonthlyPrice)
		}
	}
	if n, _ := w.res.FillMonthlyPrices(ctx, w.prov); n != 0 {
		t.Errorf("second fill changed %d numbers", n)
	}
}
