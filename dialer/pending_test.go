package dialer_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

const (
	emuSID   = "AC00000000000000000000000000000009"
	emuToken = "00000000000000000000000000000009"
)

// emuEnv is an organization on the emulator, reached over HTTP through the
// Twilio adapter (and through rewrite, when set, which may change a request
// on its way), with env's store on a temp-dir database and fixed clock.
type emuEnv struct {
	*env // its Reservations buy from prov, not from env's fake
	emu  *twilioemu.Server
	prov *twilio.Provider
}

// rewriteTransport lets a test change what the adapter sends.
type rewriteTransport func(*http.Request)

func (f rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return http.DefaultTransport.RoundTrip(r)
}

func newEmuEnv(t *testing.T, cfg twilioemu.Config, rewrite func(*http.Request)) *emuEnv {
	t.Helper()
	cfg.AccountSID, cfg.AuthToken, cfg.TimeScale = emuSID, emuToken, 0.01
	emu, err := twilioemu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	ac := twilio.Config{AccountSID: emuSID, AuthToken: emuToken, BaseURL: base,
		Retry: twilio.RetryPolicy{BaseDelay: 5 * time.Millisecond}}
	if rewrite != nil {
		ac.HTTPClient = &http.Client{Transport: rewriteTransport(rewrite)}
	}
	prov, err := twilio.New(ac)
	if err != nil {
		t.Fatal(err)
	}
	e := &emuEnv{env: newEnv(t), emu: emu, prov: prov}
	e.res.Provider = prov
	return e
}

// purchases counts the purchases the emulator made.
func (e *emuEnv) purchases() int {
	n := 0
	for _, r := range e.emu.Requests() {
		if r.Method == "POST" && path.Base(r.Path) == "IncomingPhoneNumbers.json" && r.Status == 201 {
			n++
		}
	}
	return n
}

// requests counts the requests the emulator answered with method on a
// path ending in base.
func (e *emuEnv) requests(method, base string) int {
	n := 0
	for _, r := range e.emu.Requests() {
		if r.Method == method && path.Base(r.Path) == base {
			n++
		}
	}
	return n
}

// startPurchase records a pending on-demand purchase for areaCode as owner
// would, asked the provider or not.
func (e *emuEnv) startPurchase(t *testing.T, areaCode string, owner dialer.Owner, asked bool) dialer.Number {
	t.Helper()
	ctx := context.Background()
	cl, err := e.db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: areaCode, Now: e.clock.Now(),
		MaxNumbers: 10, Owner: owner})
	if err != nil || cl.Action != dialer.ClaimBuy {
		t.Fatalf("claim %s: %+v, %v", areaCode, cl, err)
	}
	if asked {
		if err := e.db.MarkAsked(ctx, cl.Number.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return cl.Number
}

// endedOwner is a process of this machine that has exited (and been
// reaped): its purchase can never finish.
func endedOwner(t *testing.T) dialer.Owner {
	t.Helper()
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return dialer.Owner{Machine: dialer.Self().Machine, PID: cmd.Process.Pid, Start: "1"}
}

// reusedOwner is a process whose id now belongs to another process (this
// one, started later).
func reusedOwner() dialer.Owner {
	me := dialer.Self()
	return dialer.Owner{Machine: me.Machine, PID: me.PID, Start: me.Start + "0"}
}

// liveOwner is another running process of this machine: the one that
// started the test.
func liveOwner() dialer.Owner {
	return dialer.Owner{Machine: dialer.Self().Machine, PID: os.Getppid()}
}

// A purchase whose process is gone holds its area code no longer: the next
// caller settles it at once (no waiting for it to go stale) and proceeds.
func TestAcquireSettlesThePurchaseOfAGoneProcessAtOnce(t *testing.T) {
	if dialer.Self().Start == "" {
		t.Skip("no /proc here: a reused process id cannot be told")
	}
	for _, c := range []struct {
		name      string
		owner     func(*testing.T) dialer.Owner
		asked     bool
		bought    bool // the provider sold the number before the process died
		purchases int  // at the provider, in all
	}{
		{"killed before asking the provider", endedOwner, false, false, 1},
		{"killed while asking, nothing bought", endedOwner, true, false, 1},
		{"killed after the provider sold it", func(*testing.T) dialer.Owner { return reusedOwner() }, true, true, 1},
		{"process id reused, nothing bought", func(*testing.T) dialer.Owner { return reusedOwner() }, true, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEmuEnv(t, twilioemu.Config{}, nil)
			ctx := context.Background()
			p := e.startPurchase(t, "415", c.owner(t), c.asked)
			if c.bought {
				if _, err := e.prov.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "415",
					FriendlyName: dialer.Tag(e.db.InstanceID(), p.ID)}); err != nil {
					t.Fatal(err)
				}
			}
			// The clock stands still: the purchase is seconds old, far from
			// stale. Waiting for it would end in the deadline.
			ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var said []string
			r, err := e.res.Acquire(ctx, contact("+14155550100"), func(p dialer.Pending) { said = append(said, p.Message) })
			if err != nil {
				t.Fatalf("acquire: %v (said %q)", err, said)
			}
			for _, s := range said {
				if strings.Contains(s, "Waiting") {
					t.Errorf("waited for a purchase whose process is gone: %q", s)
				}
			}
			if lists := e.requests("GET", "IncomingPhoneNumbers.json"); !c.asked && lists != 0 {
				t.Errorf("asked the provider %d times about a purchase that never reached it", lists)
			}
			if got := e.purchases(); got != c.purchases {
				t.Errorf("%d purchases at the provider, want %d", got, c.purchases)
			}
			if c.bought && (r.Number.ID != p.ID || r.Bought) {
				t.Errorf("got %+v, want the number the gone process bought, adopted", r.Number)
			}
			if !c.bought && (r.Number.ID == p.ID || !r.Bought) {
				t.Errorf("got %+v, want a new purchase", r.Number)
			}
			if n := e.numbers(dialer.StatusPending); len(n) != 0 {
				t.Errorf("pending numbers left: %+v", n)
			}
			if cs := e.charges(); len(cs) != 1 {
				t.Errorf("%d fees charged, want 1: %+v", len(cs), cs)
			}
			got, _ := e.db.Number(ctx, p.ID)
			if !c.bought && (got.Status != dialer.StatusFailed || !strings.Contains(got.FailureReason, "nothing was charged")) {
				t.Errorf("the gone process's purchase is %s (%q), want failed", got.Status, got.FailureReason)
			}
		})
	}
}

// A purchase by a running process is waited for, and the screen says whose
// and for how long at most.
func TestWaitingSaysForWhomAndHowLong(t *testing.T) {
	e := newEmuEnv(t, twilioemu.Config{}, nil)
	owner := liveOwner()
	e.startPurchase(t, "415", owner, true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var got []dialer.Pending
	_, err := e.res.Acquire(ctx, contact("+14155550100"), func(p dialer.Pending) { got = append(got, p) })
	if dialer.ErrorKind(err) != dialer.ECANCELED {
		t.Fatalf("error %v, want canceled waiting", err)
	}
	// PurchaseTimeout is 60 s: the purchase may take that long to ask and as
	// long again to record; 15 s more and it is given up on.
	want := "Waiting for another dialer process (pid " + strconv.Itoa(owner.PID) +
		") to finish buying a number for area code 415 (up to 135 s)…"
	if len(got) != 1 || !got[0].Waiting || got[0].Message != want {
		t.Errorf("told %+v\nwant %q", got, want)
	}
	if e.purchases() != 0 {
		t.Errorf("bought while another process was buying")
	}
}

// Reconcile settles the purchases whose process is gone and says which it
// left pending, and why.
func TestReconcileSettlesGonePurchasesAndReportsLiveOnes(t *testing.T) {
	e := newEmuEnv(t, twilioemu.Config{}, nil)
	ctx := context.Background()
	live := e.startPurchase(t, "415", liveOwner(), true)
	never := e.startPurchase(t, "212", endedOwner(t), false)
	boughtOwner := endedOwner(t)
	bought := e.startPurchase(t, "303", boughtOwner, true)
	if _, err := e.prov.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "303",
		FriendlyName: dialer.Tag(e.db.InstanceID(), bought.ID)}); err != nil {
		t.Fatal(err)
	}
	asked := e.startPurchase(t, "720", endedOwner(t), true)
	e.clock.Set(e.clock.Now().Add(12 * time.Second))

	res, err := e.res.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(ns []dialer.Number) []int64 {
		var out []int64
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	if a := ids(res.Adopted); len(a) != 1 || a[0] != bought.ID {
		t.Errorf("adopted %v, want [%d]", a, bought.ID)
	}
	if a := ids(res.Abandoned); len(a) != 2 || !(a[0] == never.ID && a[1] == asked.ID || a[0] == asked.ID && a[1] == never.ID) {
		t.Errorf("abandoned %v, want %d and %d", a, never.ID, asked.ID)
	}
	want := "started 12 s ago by a running dialer process (pid " + strconv.Itoa(os.Getppid()) + ")"
	if len(res.Pending) != 1 || res.Pending[0].Number.ID != live.ID || res.Pending[0].Why != want {
		t.Errorf("pending %+v, want %d: %q", res.Pending, live.ID, want)
	}
	if p := e.numbers(dialer.StatusPending); len(p) != 1 {
		t.Errorf("pending numbers %+v, want the live one only", p)
	}
	if cs := e.charges(); len(cs) != 1 || cs[0].NumberID != bought.ID {
		t.Errorf("charges %+v, want one, for the adopted number", cs)
	}
	if e.purchases() != 1 {
		t.Errorf("reconcile bought numbers")
	}
}

// rewriteForm changes the form of the adapter's purchase requests.
func rewriteForm(change func(url.Values)) func(*http.Request) {
	return func(r *http.Request) {
		if r.Method != http.MethodPost || path.Base(r.URL.Path) != "IncomingPhoneNumbers.json" {
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		f, _ := url.ParseQuery(string(b))
		change(f)
		enc := f.Encode()
		r.Body = io.NopCloser(strings.NewReader(enc))
		r.ContentLength = int64(len(enc))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(enc))), nil }
	}
}

// A number bought outside the area code (or state) asked for is said to
// be, not passed off as local.
func TestBoughtNumberElsewhereIsReported(t *testing.T) {
	t.Run("area code", func(t *testing.T) {
		// The provider sells a 628 number for area code 415.
		e := newEmuEnv(t, twilioemu.Config{}, rewriteForm(func(f url.Values) {
			if f.Get("AreaCode") == "415" {
				f.Set("AreaCode", "628")
			}
		}))
		var warned []dialer.Pending
		r, err := e.res.Acquire(context.Background(), contact("+14155550100"), func(p dialer.Pending) {
			if p.Warning {
				warned = append(warned, p)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.Number.PhoneNumber, "+1628") {
			t.Fatalf("bought %s; the test expected a 628 number", r.Number.PhoneNumber)
		}
		if r.Local || !strings.Contains(r.Warning, "area code 415") || !strings.Contains(r.Warning, "628") {
			t.Errorf("reservation %+v: want a warning that it is not in 415", r)
		}
		if len(warned) != 1 || warned[0].Message != r.Warning {
			t.Errorf("warnings told %+v, want the reservation's", warned)
		}
		// A dedicated number bought by area code: the command line says so.
		n, err := e.res.BuyDedicated(context.Background(), dialer.DedicatedRequest{AreaCode: "415"})
		if err != nil {
			t.Fatal(err)
		}
		if w := dialer.Misplaced(n, "415"); !strings.HasPrefix(n.PhoneNumber, "+1628") || !strings.Contains(w, "628") {
			t.Errorf("dedicated %s: warning %q", n.PhoneNumber, w)
		}
		if w := dialer.Misplaced(n, "628"); w != "" {
			t.Errorf("a number in the area code asked for: warning %q", w)
		}
	})
	t.Run("state", func(t *testing.T) {
		// 415 has no numbers; the fallback buys elsewhere in California, but
		// the provider sells a New York number instead.
		e := newEmuEnv(t, twilioemu.Config{EmptyAreaCodes: []string{"415"}}, nil)
		ny, err := e.prov.SearchNumbers(context.Background(), dialer.NumberQuery{Country: "US", AreaCode: "212", Limit: 1})
		if err != nil || len(ny) != 1 {
			t.Fatal(ny, err)
		}
		e2 := newEmuEnv(t, twilioemu.Config{EmptyAreaCodes: []string{"415"}}, rewriteForm(func(f url.Values) {
			if f.Get("PhoneNumber") != "" {
				f.Set("PhoneNumber", ny[0].PhoneNumber)
			}
		}))
		r, err := e2.res.Acquire(context.Background(), contact("+14155550100"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Number.PhoneNumber != ny[0].PhoneNumber {
			t.Fatalf("bought %s; the test expected %s", r.Number.PhoneNumber, ny[0].PhoneNumber)
		}
		if !strings.Contains(r.Warning, "California") || !strings.Contains(r.Warning, "New York") {
			t.Errorf("warning %q: want it to say the number is in New York, not California", r.Warning)
		}
	})
	t.Run("as asked", func(t *testing.T) {
		e := newEmuEnv(t, twilioemu.Config{EmptyAreaCodes: []string{"415"}}, nil)
		r, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
		if err != nil || r.Warning != "" || r.Number.Region != "CA" {
			t.Errorf("fallback in California: %+v, %v", r, err)
		}
		r, err = e.res.Acquire(context.Background(), contact("+12125550100"), nil)
		if err != nil || r.Warning != "" || !r.Local {
			t.Errorf("local purchase: %+v, %v", r, err)
		}
	})
}

// The purchase is recorded as asked before the provider is asked: a process
// killed while asking leaves a purchase that only the provider can settle.
func TestPurchaseIsMarkedAskedBeforeTheProviderIsAsked(t *testing.T) {
	var e *emuEnv
	var seen []dialer.Number
	e = newEmuEnv(t, twilioemu.Config{}, func(r *http.Request) {
		if r.Method == http.MethodPost && path.Base(r.URL.Path) == "IncomingPhoneNumbers.json" {
			seen = append(seen, e.numbers(dialer.StatusPending)...)
		}
	})
	r, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].ID != r.Number.ID || seen[0].AskedAt.IsZero() || seen[0].Owner != dialer.Self() {
		t.Errorf("while the provider was asked, pending %+v; want number %d asked, owned by this process", seen, r.Number.ID)
	}
}
