package integration

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilio/contract"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// eventually polls f until it reports done or the deadline passes.
func eventually(t *testing.T, what string, f func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := f()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Every adapter operation against the emulator, end to end over HTTP, with
// Prism proxies in between that hold both the adapter's requests and the
// emulator's responses to Twilio's own OpenAPI spec.
func TestAdapterAgainstEmulatorThroughTwiliosSpec(t *testing.T) {
	contract.Require(t)
	// The proxies need the emulator's URL; start it first, then point the
	// adapter at the proxies.
	// The agent talks for 10 emulated minutes (3 s here): requests through
	// Prism on a loaded machine took longer than the default 90 s (450 ms),
	// and the call ended before the test hung it up.
	w0 := newWorld(t, opts{emu: twilioemu.Config{TalkTime: 10 * time.Minute}})
	px := contract.StartProxies(t, w0.url)
	rec := contract.NewRecorder(nil, px.Specs)
	prov, err := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, BaseURLs: px.BaseURLs(),
		HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	exerciseAdapter(t, prov, w0.emu)
	t.Log(px.Logs())
	rec.Verify(t)

	// Prove the check ran on all traffic: every request went to a proxy
	// and matched a spec operation, and Prism did validate responses
	// (the spec's known deviations, allowed, show up on the way).
	proxies := map[string]bool{}
	for _, u := range px.BaseURLs() {
		proxies[strings.TrimPrefix(u, "http://")] = true
	}
	exs := rec.Exchanges()
	allowed := 0
	for _, ex := range exs {
		if !proxies[ex.Host] || ex.Op == "" {
			t.Errorf("%s %s (host %s) bypassed the spec check (operation %q)", ex.Method, ex.Path, ex.Host, ex.Op)
		}
		allowed += len(ex.Violations)
	}
	if len(exs) < 15 {
		t.Errorf("only %d exchanges went through the spec check", len(exs))
	}
	if allowed == 0 {
		t.Error("no (allowed) violation reported at all: is Prism validating responses?")
	}
	t.Logf("%d exchanges checked against Twilio's spec, %d known deviations allowed", len(exs), allowed)
}

// The same walk straight to the emulator, on machines without Prism.
func TestAdapterAgainstEmulator(t *testing.T) {
	w := newWorld(t, opts{emu: twilioemu.Config{TalkTime: 10 * time.Minute}})
	exerciseAdapter(t, w.prov, w.emu)
}

func exerciseAdapter(t *testing.T, p dialer.Provider, emu *twilioemu.Server) {
	ctx := context.Background()
	found, err := p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "415", Limit: 5})
	if err != nil || len(found) == 0 {
		t.Fatalf("search: %v, %v", found, err)
	}
	for _, n := range found {
		if n.Region != "CA" || n.Locality == "" || len(n.PhoneNumber) != 12 {
			t.Errorf("available number %+v", n)
		}
	}
	if ca, err := p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", Region: "NY", Contains: "5", Limit: 3}); err != nil || len(ca) == 0 {
		t.Errorf("search by region: %v, %v", ca, err)
	}
	byArea, err := p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "212", FriendlyName: "dialer:test:1"})
	if err != nil || byArea.SID == "" || byArea.PhoneNumber[:5] != "+1212" || byArea.FriendlyName != "dialer:test:1" {
		t.Fatalf("buy by area code: %+v, %v", byArea, err)
	}
	exact, err := p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", PhoneNumber: found[0].PhoneNumber, FriendlyName: "dialer:test:2"})
	if err != nil || exact.PhoneNumber != found[0].PhoneNumber {
		t.Fatalf("buy exact: %+v, %v", exact, err)
	}
	name := "Sales West"
	if u, err := p.UpdateNumber(ctx, exact.SID, dialer.NumberUpdate{FriendlyName: &name}); err != nil || u.FriendlyName != name {
		t.Errorf("update: %+v, %v", u, err)
	}
	owned, err := p.ListNumbers(ctx)
	if err != nil || len(owned) != 2 {
		t.Fatalf("list: %+v, %v", owned, err)
	}
	if rate, err := p.VoiceRate(ctx, "+12125550143", exact.PhoneNumber); err != nil || rate.Amount <= 0 || rate.Currency != "USD" {
		t.Errorf("voice rate: %v, %v", rate, err)
	}
	if price, err := p.NumberMonthlyPrice(ctx, "US"); err != nil || price.Amount <= 0 {
		t.Errorf("monthly price: %v, %v", price, err)
	}
	before, err := p.Balance(ctx)
	if err != nil || before.Amount <= 0 {
		t.Fatalf("balance: %v, %v", before, err)
	}

	// The bridge: ring the agent from the local number, hold, dial the
	// contact in, hang up.
	agent, err := p.CreateCall(ctx, dialer.CallRequest{To: "+14155550123", From: exact.PhoneNumber,
		Say: "Dialing 2 1 2, 5 5 5, 0 1 4 3.", Hold: 10 * time.Minute, RingTimeout: 30 * time.Second})
	if err != nil || agent.SID == "" || agent.Direction != "outbound-api" {
		t.Fatalf("create call: %+v, %v", agent, err)
	}
	eventually(t, "agent answers", func() (bool, error) {
		c, err := p.FetchCall(ctx, agent.SID)
		return c.Status == dialer.CallInProgress, err
	})
	if _, err := p.UpdateCall(ctx, agent.SID, dialer.CallUpdate{Dial: &dialer.Dial{To: "+12125550143", CallerID: exact.PhoneNumber, RingTimeout: 30 * time.Second}}); err != nil {
		t.Fatalf("dial contact: %v", err)
	}
	var child dialer.CallInfo
	eventually(t, "contact answers", func() (bool, error) {
		kids, err := p.ChildCalls(ctx, agent.SID)
		if len(kids) == 1 {
			child = kids[0]
		}
		return len(kids) == 1 && kids[0].Status == dialer.CallInProgress, err
	})
	if child.ParentSID != agent.SID || child.Direction != "outbound-dial" || child.From != exact.PhoneNumber || child.To != "+12125550143" {
		t.Errorf("contact leg %+v", child)
	}
	time.Sleep(50 * time.Millisecond) // some seconds of emulated talk
	if _, err := p.UpdateCall(ctx, agent.SID, dialer.CallUpdate{Hangup: true}); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	var ended dialer.CallInfo
	eventually(t, "call ends", func() (bool, error) {
		ended, err = p.FetchCall(ctx, agent.SID)
		return ended.Status == dialer.CallCompleted, err
	})
	if ended.Duration <= 0 || ended.EndedAt.IsZero() || ended.StartedAt.IsZero() {
		t.Errorf("ended call %+v", ended)
	}
	if ended.Price != nil {
		t.Logf("price already set at completion (emulated price delay passed): %v", ended.Price)
	}
	eventually(t, "prices arrive late", func() (bool, error) {
		a, err := p.FetchCall(ctx, agent.SID)
		if err != nil {
			return false, err
		}
		kids, err := p.ChildCalls(ctx, agent.SID)
		return a.Price != nil && len(kids) == 1 && kids[0].Price != nil, err
	})
	if _, err := p.UpdateCall(ctx, agent.SID, dialer.CallUpdate{Hangup: true}); dialer.ErrorKind(err) != dialer.ECALLENDED {
		t.Errorf("hanging up an ended call: %v, want call_ended", err)
	}
	after, err := p.Balance(ctx)
	if err != nil || after.Amount >= before.Amount {
		t.Errorf("balance %v then %v: want it to fall as calls are priced", before, after)
	}

	for _, n := range []dialer.OwnedNumber{byArea, exact} {
		if err := p.ReleaseNumber(ctx, n.SID); err != nil {
			t.Errorf("release %s: %v", n.PhoneNumber, err)
		}
	}
	if err := p.ReleaseNumber(ctx, exact.SID); dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("releasing twice: %v, want not_found", err)
	}
	if owned, err := p.ListNumbers(ctx); err != nil || len(owned) != 0 {
		t.Errorf("after release: %+v, %v", owned, err)
	}
}

// A purchase refused with each Twilio code the adapter maps ends with that
// kind, no fee, and no number left at the provider.
func TestPurchaseFailuresThroughTheAdapter(t *testing.T) {
	for code, kind := range map[int]dialer.Kind{
		21422: dialer.ENOTAVAILABLE, 21451: dialer.EAREACODE, 21631: dialer.EADDRESS,
		21613: dialer.EADDRESS, 10002: dialer.EACCOUNT, 20003: dialer.EAUTH,
	} {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld(t, opts{})
			w.res.Store.SaveSettings(context.Background(), func() dialer.Settings {
				s := dialer.DefaultSettings()
				s.RegionFallback = false // 21422 would otherwise fall back
				return s
			}())
			w.emu.FailNextPurchase(code)
			_, err := w.res.Acquire(context.Background(), contact("+14155550100"), nil)
			if dialer.ErrorKind(err) != kind {
				t.Fatalf("code %d: %v (kind %s), want %s", code, err, dialer.ErrorKind(err), kind)
			}
			if msg := dialer.ErrorMessage(err); len(msg) < 20 {
				t.Errorf("message %q is not a sentence", msg)
			}
			owned, _ := w.prov.ListNumbers(context.Background())
			if len(w.charges(t)) != 0 || len(owned) != 0 {
				t.Errorf("code %d left %d charges and %d numbers at the provider", code, len(w.charges(t)), len(owned))
			}
		})
	}
}

func TestTransientFaultsThroughTheAdapter(t *testing.T) {
	ctx := context.Background()
	t.Run("429 is retried after Retry-After and the purchase succeeds", func(t *testing.T) {
		w := newWorld(t, opts{})
		w.emu.RateLimitNext(1)
		start := time.Now()
		r, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
		if err != nil || !r.Bought {
			t.Fatalf("%+v, %v", r, err)
		}
		if time.Since(start) < 900*time.Millisecond {
			t.Errorf("retried after %v, before the 1 s Retry-After", time.Since(start))
		}
		if w.purchases() != 1 || len(w.charges(t)) != 1 {
			t.Errorf("purchases %d, fees %d", w.purchases(), len(w.charges(t)))
		}
	})
	t.Run("a 5xx on a purchase is not retried blindly: looked up, failed, nothing charged", func(t *testing.T) {
		w := newWorld(t, opts{})
		w.emu.FailNext5xx(1)
		_, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
		if dialer.ErrorKind(err) != dialer.EUNAVAILABLE {
			t.Fatalf("%v, want provider_unavailable", err)
		}
		if posts := countRequests(w.emu, "POST", "IncomingPhoneNumbers.json"); posts != 1 {
			t.Errorf("%d purchase requests, want 1", posts)
		}
		if len(w.charges(t)) != 0 {
			t.Errorf("charged after a failed purchase")
		}
		if r, err := w.res.Acquire(ctx, contact("+14155550100"), nil); err != nil || !r.Bought {
			t.Errorf("next try: %+v, %v", r, err)
		}
	})
	t.Run("a 5xx on a read is retried", func(t *testing.T) {
		w := newWorld(t, opts{})
		w.emu.FailNext5xx(2)
		if _, err := w.prov.ListNumbers(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bought, then the connection dropped: adopted once, not bought twice", func(t *testing.T) {
		w := newWorld(t, opts{})
		w.emu.PurchaseAfterDrop()
		r, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
		if err != nil || !r.Bought || r.Fee == nil {
			t.Fatalf("%+v, %v; want the number adopted with its fee", r, err)
		}
		if posts := countRequests(w.emu, "POST", "IncomingPhoneNumbers.json"); posts != 1 {
			t.Errorf("%d purchase requests, want 1 (no blind retry)", posts)
		}
		owned, _ := w.prov.ListNumbers(ctx)
		if len(owned) != 1 || len(w.charges(t)) != 1 {
			t.Errorf("provider owns %d, fees %d; want 1 and 1", len(owned), len(w.charges(t)))
		}
	})
	t.Run("a timeout leaves no orphan and no double charge", func(t *testing.T) {
		w := newWorld(t, opts{adapter: twilio.Config{Timeout: 80 * time.Millisecond, Retry: twilio.RetryPolicy{MaxAttempts: 2}}})
		w.emu.SetLatency(200 * time.Millisecond)
		_, err := w.res.Acquire(ctx, contact("+14155550100"), nil)
		if err == nil {
			t.Fatal("a purchase slower than the timeout succeeded")
		}
		if k := dialer.ErrorKind(err); k != dialer.EUNAVAILABLE && k != dialer.EPURCHASEUNKNOWN {
			t.Errorf("error kind %s: %v", k, err)
		}
		w.emu.SetLatency(0)
		time.Sleep(300 * time.Millisecond) // let the emulator finish what it was handling
		w.clock.Set(w.clock.Now().Add(10 * time.Minute))
		if _, err := w.res.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		owned, _ := w.prov.ListNumbers(ctx)
		active, _ := w.db.Numbers(ctx, dialer.NumberFilter{Statuses: []dialer.NumberStatus{dialer.StatusActive}})
		pending, _ := w.db.Numbers(ctx, dialer.NumberFilter{Statuses: []dialer.NumberStatus{dialer.StatusPending}})
		if len(owned) != len(active) || len(w.charges(t)) != len(active) || len(pending) != 0 {
			t.Errorf("provider owns %d, active %d, fees %d, pending %d: want owned = active = fees, none pending",
				len(owned), len(active), len(w.charges(t)), len(pending))
		}
	})
	t.Run("a cancelled caller bounds the request", func(t *testing.T) {
		w := newWorld(t, opts{})
		w.emu.SetLatency(2 * time.Second)
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := w.prov.ListNumbers(cctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
			t.Errorf("after %v: %v", time.Since(start), err)
		}
	})
}

func countRequests(emu *twilioemu.Server, method, base string) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Method == method && len(r.Path) >= len(base) && r.Path[len(r.Path)-len(base):] == base {
			n++
		}
	}
	return n
}
