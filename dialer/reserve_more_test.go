package dialer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

func TestAcquireRefusesNumbersWithNoLocalCallerID(t *testing.T) {
	cases := []struct {
		phone string
		why   string // in the message
	}{
		{"", "not a phone number"},
		{"call me maybe", "not a phone number"},
		{"+1 415 555", "not a valid phone number"},
		{"12345", "short code"},
		{"911", "short code"},
		{"+1 800 555 0199", "toll-free"},
		{"(888) 555-0100", "toll-free"},
		{"+1 900 555 0100", "non-geographic"},
		{"+1 500 555 0006", "non-geographic"},
		{"+44 20 7946 0958", "GB"},
		{"+33 1 23 45 67 89", "FR"},
	}
	for _, c := range cases {
		t.Run(c.phone, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.res.Acquire(context.Background(), dialer.Contact{Name: "Grace Hopper", Phone: c.phone}, nil)
			if dialer.ErrorKind(err) != dialer.EINVALID {
				t.Fatalf("error %v (kind %s), want invalid", err, dialer.ErrorKind(err))
			}
			msg := dialer.ErrorMessage(err)
			if !strings.Contains(err.Error(), "Grace Hopper") || !strings.Contains(err.Error(), c.why) {
				t.Errorf("error %q (message %q) should name the contact and say %q", err, msg, c.why)
			}
			if e.prov.purchases() != 0 || len(e.charges()) != 0 || len(e.numbers()) != 0 {
				t.Errorf("bad input bought %d, charged %d, recorded %d", e.prov.purchases(), len(e.charges()), len(e.numbers()))
			}
		})
	}
}

// Many Call presses for one new area code at once buy one number; all of
// them get it.
func TestAcquireConcurrentSameAreaCodeBuysOnce(t *testing.T) {
	e := newEnv(t)
	e.prov.delay = 30 * time.Millisecond // a purchase in flight while the others arrive
	const callers = 24
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[int64]int{}
		bought  int
		pending int
	)
	start := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.res.Acquire(context.Background(), contact("+13035550123"), func(dialer.Pending) {
				mu.Lock()
				pending++
				mu.Unlock()
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			ids[r.Number.ID]++
			if r.Bought {
				bought++
			}
		}()
	}
	close(start)
	wg.Wait()
	if e.prov.purchases() != 1 || len(e.charges()) != 1 {
		t.Fatalf("purchases %d, fees %d; want 1 and 1", e.prov.purchases(), len(e.charges()))
	}
	if len(ids) != 1 || bought != 1 {
		t.Errorf("numbers handed out %v, bought by %d callers; want one number bought once", ids, bought)
	}
	if pending == 0 {
		t.Errorf("no caller was told a purchase was pending")
	}
}

// The provider bought the number but its answer was lost (a timeout, a
// dropped connection): the engine looks before deciding, adopts the
// number and charges once.
func TestAcquireAmbiguousPurchaseIsAdoptedNotForgotten(t *testing.T) {
	e := newEnv(t)
	e.prov.boughtButFail = dialer.Errorf(dialer.EUNAVAILABLE, "connection reset")
	r, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Bought || r.Fee == nil || r.Number.Status != dialer.StatusActive {
		t.Fatalf("got %+v, want the bought number adopted with its fee", r)
	}
	if e.prov.purchases() != 1 || len(e.charges()) != 1 {
		t.Errorf("purchases %d, fees %d; want 1 and 1", e.prov.purchases(), len(e.charges()))
	}
}

// The provider was down and bought nothing: failed, no fee.
func TestAcquireProviderDownBuysNothingChargesNothing(t *testing.T) {
	e := newEnv(t)
	e.prov.failNext = []error{dialer.Errorf(dialer.EUNAVAILABLE, "503 Service Unavailable")}
	_, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
	if dialer.ErrorKind(err) != dialer.EUNAVAILABLE {
		t.Fatalf("error %v, want provider_unavailable", err)
	}
	if n := e.numbers(dialer.StatusFailed); len(n) != 1 {
		t.Errorf("failed numbers: %d, want 1", len(n))
	}
	if len(e.charges()) != 0 || e.prov.ownedCount() != 0 {
		t.Errorf("charged %d, provider owns %d", len(e.charges()), e.prov.ownedCount())
	}
}

// Each provider refusal reaches the caller with its kind, and costs nothing.
func TestAcquirePurchaseFailureKinds(t *testing.T) {
	for _, k := range []dialer.Kind{dialer.EAREACODE, dialer.EADDRESS, dialer.EACCOUNT, dialer.EAUTH, dialer.ERATELIMIT} {
		t.Run(string(k), func(t *testing.T) {
			e := newEnv(t)
			e.prov.failNext = []error{dialer.Errorf(k, "refused")}
			_, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
			if dialer.ErrorKind(err) != k {
				t.Fatalf("error kind %s, want %s", dialer.ErrorKind(err), k)
			}
			if len(e.charges()) != 0 || len(e.numbers(dialer.StatusActive, dialer.StatusPending)) != 0 {
				t.Errorf("a refused purchase left charges or live numbers")
			}
		})
	}
}

// A caller that stops waiting (closes the screen) while the purchase is in
// flight does not lose the number: it is recorded and charged once.
func TestAcquireCanceledMidPurchaseStillRecords(t *testing.T) {
	e := newEnv(t)
	e.prov.delay = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	e.prov.afterBuy = cancel // the caller gives up right after the provider bought
	r, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Bought || len(e.charges()) != 1 || len(e.numbers(dialer.StatusActive)) != 1 {
		t.Errorf("got %+v, %d charges", r, len(e.charges()))
	}
}

func TestReconcileMarksVanishedNumbersReleasedAndFailsStalePurchases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Someone released it in the provider's console.
	if err := e.prov.ReleaseNumber(ctx, r.Number.ProviderSID); err != nil {
		t.Fatal(err)
	}
	// A purchase that started and never finished (its process died before
	// reaching the provider).
	cl, err := e.db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "212", Now: e.clock.Now(), MaxNumbers: 10})
	if err != nil || cl.Action != dialer.ClaimBuy {
		t.Fatal(cl, err)
	}
	// An unrelated number the account owns.
	foreign, err := e.prov.BuyNumber(ctx, dialer.BuyRequest{AreaCode: "303", FriendlyName: "Main office"})
	if err != nil {
		t.Fatal(err)
	}

	res, err := e.res.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Vanished) != 1 || res.Vanished[0].ID != r.Number.ID {
		t.Errorf("vanished %+v", res.Vanished)
	}
	if len(res.Abandoned) != 0 {
		t.Errorf("a fresh pending purchase was abandoned: %+v", res.Abandoned)
	}
	if len(res.Unmanaged) != 1 || res.Unmanaged[0].SID != foreign.SID {
		t.Errorf("unmanaged %+v, want the office number left alone", res.Unmanaged)
	}

	e.clock.Set(e.clock.Now().Add(10 * time.Minute))
	res, err = e.res.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Abandoned) != 1 || res.Abandoned[0].ID != cl.Number.ID {
		t.Errorf("abandoned %+v, want the stale pending purchase", res.Abandoned)
	}
	if e.prov.ownedCount() != 1 {
		t.Errorf("reconcile touched the office number")
	}
	// The area code is free to buy again.
	if r, err := e.res.Acquire(ctx, contact("+12125550100"), nil); err != nil || !r.Bought {
		t.Errorf("after abandoning: %+v, %v", r, err)
	}
}

// A waiter whose area code is held by a purchase that will never finish
// (its process died) asks the provider instead of waiting forever.
func TestAcquireWaiterSettlesStalePurchase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: e.clock.Now(), MaxNumbers: 10}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(6 * time.Minute))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil || !r.Bought {
		t.Fatalf("got %+v, %v", r, err)
	}
}

func TestAcquireWaitRespectsContext(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: e.clock.Now(), MaxNumbers: 10}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
	if dialer.ErrorKind(err) != dialer.ECANCELED || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want canceled wrapping the deadline", err)
	}
	if e.prov.purchases() != 0 {
		t.Errorf("bought while another purchase was pending")
	}
}

// The sweeper runs once at start and then on every tick, until stopped.
func TestRunSweeperSweepsAtStartAndOnEveryTick(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.res.Acquire(ctx, contact("+14155550100"), nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(15 * 24 * time.Hour))
	runCtx, stop := context.WithCancel(ctx)
	sweeps := make(chan dialer.SweepResult, 10)
	done := make(chan struct{})
	go func() {
		e.res.RunSweeper(runCtx, 20*time.Millisecond, func(r dialer.SweepResult, err error) {
			if err != nil {
				t.Error(err)
			}
			sweeps <- r
		})
		close(done)
	}()
	first := <-sweeps
	if len(first.Released) != 1 {
		t.Errorf("start-up sweep released %d, want the lapsed number", len(first.Released))
	}
	second := <-sweeps
	if len(second.Released) != 0 {
		t.Errorf("second sweep released %d again", len(second.Released))
	}
	stop()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("RunSweeper did not stop")
	}
}

// A release the provider refuses now is reported and tried again next
// sweep; the number stays ours (canceling) meanwhile, never forgotten.
func TestSweepKeepsNumbersTheProviderWouldNotRelease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(15 * 24 * time.Hour))
	bad := &failingRelease{fakeNumbers: e.prov}
	e.res.Provider = bad
	sw, err := e.res.Sweep(ctx)
	if err != nil || len(sw.Released) != 0 || len(sw.Errors) != 1 {
		t.Fatalf("sweep %+v, %v; want one error, nothing released", sw, err)
	}
	if n, _ := e.db.Number(ctx, r.Number.ID); n.Status != dialer.StatusCanceling {
		t.Errorf("status %s, want canceling until the provider lets go", n.Status)
	}
	e.res.Provider = e.prov
	if sw, err := e.res.Sweep(ctx); err != nil || len(sw.Released) != 1 {
		t.Errorf("retry sweep %+v, %v", sw, err)
	}
}

type failingRelease struct{ *fakeNumbers }

func (f *failingRelease) ReleaseNumber(ctx context.Context, sid string) error {
	return dialer.Errorf(dialer.EUNAVAILABLE, "503")
}

// settingsCounter is a store that counts its settings reads.
type settingsCounter struct {
	*store.DB
	mu    sync.Mutex
	reads int
}

func (s *settingsCounter) Settings(ctx context.Context) (dialer.Settings, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.DB.Settings(ctx)
}

// Settling an ambiguous purchase uses the settings the purchase was made
// under: they are read once per purchase, not again to adopt the number.
func TestAmbiguousPurchaseReadsSettingsOnce(t *testing.T) {
	e := newEnv(t)
	st := &settingsCounter{DB: e.db}
	e.res.Store = st
	e.prov.boughtButFail = dialer.Errorf(dialer.EUNAVAILABLE, "connection reset")
	r, err := e.res.Acquire(context.Background(), contact("+14155550100"), nil)
	if err != nil || !r.Bought || r.Fee == nil || !r.Local {
		t.Fatalf("on demand: %+v, %v; want the number adopted, local, with its fee", r, err)
	}
	e.prov.boughtButFail = dialer.Errorf(dialer.EUNAVAILABLE, "connection reset")
	n, err := e.res.BuyDedicated(context.Background(), dialer.DedicatedRequest{AreaCode: "212"})
	if err != nil || n.Status != dialer.StatusActive || n.Kind != dialer.Dedicated {
		t.Fatalf("dedicated: %+v, %v; want the number adopted", n, err)
	}
	if st.reads != 2 {
		t.Errorf("%d settings reads for two purchases, want 2", st.reads)
	}
	if e.prov.purchases() != 2 || len(e.charges()) != 1 {
		t.Errorf("purchases %d, fees %d; want 2 and 1", e.prov.purchases(), len(e.charges()))
	}
}

// scriptedCalls is a provider whose one call is answered at the first poll
// and over, both legs, at the second.
type scriptedCalls struct {
	*fakeNumbers
	mu      sync.Mutex
	fetches int
	dialTo  string // whom the created call dials
}

func (p *scriptedCalls) CreateCall(ctx context.Context, req dialer.CallRequest) (dialer.CallInfo, error) {
	if req.Dial != nil {
		p.dialTo = req.Dial.To
	}
	return dialer.CallInfo{SID: "CA1", To: req.To, From: req.From, Status: dialer.CallQueued}, nil
}

func (p *scriptedCalls) status() dialer.CallStatus {
	if p.fetches < 2 {
		return dialer.CallInProgress
	}
	return dialer.CallCompleted
}

func (p *scriptedCalls) FetchCall(ctx context.Context, sid string) (dialer.CallInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fetches++
	return dialer.CallInfo{SID: sid, Status: p.status(), Duration: time.Duration(p.fetches) * time.Second}, nil
}

func (p *scriptedCalls) UpdateCall(ctx context.Context, sid string, u dialer.CallUpdate) (dialer.CallInfo, error) {
	return dialer.CallInfo{SID: sid}, nil
}

func (p *scriptedCalls) ChildCalls(ctx context.Context, parent string) ([]dialer.CallInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return []dialer.CallInfo{{SID: "CA2", ParentSID: parent, Status: p.status(), AnsweredBy: "human"}}, nil
}

func (p *scriptedCalls) Balance(ctx context.Context) (dialer.Money, error) {
	return dialer.MustMoney("10.00", "USD"), nil
}

func (p *scriptedCalls) NumberMonthlyPrice(ctx context.Context, country string) (dialer.Money, error) {
	return dialer.MustMoney("1.15", "USD"), nil
}

func (p *scriptedCalls) VoiceRate(ctx context.Context, to, from string) (dialer.Money, error) {
	return dialer.MustMoney("0.014", "USD"), nil
}

// legCounter is a store that counts leg writes.
type legCounter struct {
	*store.DB
	mu    sync.Mutex
	saves int
}

func (s *legCounter) SaveLeg(ctx context.Context, callID int64, l dialer.Leg) error {
	s.mu.Lock()
	s.saves++
	s.mu.Unlock()
	return s.DB.SaveLeg(ctx, callID, l)
}

// The pass that sees the call end writes its legs once, not twice.
func TestEndedCallSavesItsLegsOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	prov := &scriptedCalls{fakeNumbers: e.prov}
	st := &legCounter{DB: e.db}
	e.res.Provider = prov
	c, err := e.db.CreateContact(ctx, dialer.Contact{Name: "Ada Lovelace", Phone: "+14155550100", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	calls := &dialer.Calls{Store: st, Provider: prov, Numbers: e.res, Clock: e.clock,
		PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond, BalanceEvery: time.Hour}
	s, err := calls.Start(ctx, dialer.CallOptions{Contact: c, Agent: dialer.Agent{Name: "Ann", Phone: "+14155550111"},
		Confirm: dialer.ConfirmAuto, OverrideReason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for range s.Events() {
	}
	call, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if call.Outcome != dialer.OutcomeAnswered || len(call.Legs) != 2 {
		t.Fatalf("call %+v", call)
	}
	for _, l := range call.Legs {
		if l.Status != dialer.CallCompleted || l.Rate == nil {
			t.Errorf("leg %+v, want completed with its rate", l)
		}
	}
	if call.Legs[0].Role != dialer.AgentLeg || call.Legs[0].Duration != 2*time.Second || call.Legs[1].AnsweredBy != "human" ||
		call.Legs[1].To != "+14155550100" || prov.dialTo != "+14155550100" {
		t.Errorf("legs %+v, dialed %q; want the contact's number dialed and on its leg", call.Legs, prov.dialTo)
	}
	// The agent's leg when placed, both legs at the first poll, both at the
	// second (the last).
	if st.saves != 5 {
		t.Errorf("%d leg writes, want 5", st.saves)
	}
}

// An ambiguous purchase elsewhere in the region is adopted as what it is:
// bought, but not local.
func TestAmbiguousFallbackPurchaseIsAdoptedNonLocal(t *testing.T) {
	e := newEnv(t)
	e.prov.empty["650"] = true
	e.prov.boughtButFail = dialer.Errorf(dialer.EUNAVAILABLE, "connection reset")
	r, err := e.res.Acquire(context.Background(), contact("+16505550123"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Bought || r.Local || r.Number.Local() || r.Number.ServesAreaCode != "650" || r.Number.AreaCode == "650" || r.Fee == nil {
		t.Fatalf("got %+v, want the fallback number adopted, non-local, with its fee", r)
	}
}
