package integration

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/nanp"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

const (
	teamApp           = "dialer-bench-agent" // the agents' connections' application_name
	teamAgents        = 200
	teamCallsPerAgent = 10
	teamAreas         = 300
)

// BenchmarkTeamAgents is a team on one PostgreSQL database and one Twilio
// (the emulator, through the real adapter over HTTP): 200 agents, each a
// goroutine with its own store handle (its own connection pool, as each
// agent's machine has) and its own adapter, place 10 calls each, back to
// back, all starting at once. A call is what the Call key does to the
// database: the caller-ID decision (Reservations.Acquire, buying from the
// emulator when the area code has no number yet) and the call's record as
// a followed, answered bridge call writes it (StartCall; SaveLeg for the
// agent's leg queued, then ringing; both legs when the agent answers, again
// when the contact does, and at the end; FinishCall). The provider's side
// of the call (creating and polling it) is left out: it would measure the
// emulator's timers, not the database.
//
// spread=zipf draws each call's area code from a Zipf law over 300 area
// codes (s=1.4, seeded per agent): a few hot codes, so many agents race
// for the same new number at the start. spread=uniform draws them evenly:
// nearly every one of the 300 codes is bought, many purchases at once.
//
// ns/op is the whole run (2,000 calls). Reported beside it: decision
// latency percentiles, statements per call (store.Options.Queries: round
// trips), numbers bought, and the most connections the agents held at
// once. It fails unless every area code called has exactly one number,
// bought once at the emulator, with one fee, and every call is recorded.
func BenchmarkTeamAgents(b *testing.B) {
	for _, spread := range []string{"zipf", "uniform"} {
		b.Run("spread="+spread, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				tr := newTeamRun(b)
				b.StartTimer()
				tr.run(b, spread)
				b.StopTimer()
				tr.check(b)
				tr.close()
				b.StartTimer()
			}
		})
	}
}

// teamRun is one run: the database, the emulator, the area codes' contacts
// and the agents' handles.
type teamRun struct {
	dbURL    string
	emu      *twilioemu.Server
	emuURL   string
	admin    *store.DB
	contacts []dialer.Contact // one per area code, in Zipf rank order
	agents   []*teamAgent
	queries  store.QueryCounter

	wall      time.Duration
	peakConns atomic.Int64
}

type teamAgent struct {
	db    *store.DB
	res   *dialer.Reservations
	agent dialer.Agent
	// What its calls did: each decision's latency, whether it bought,
	// and the number it got per area code.
	lat      []time.Duration
	reuseLat []time.Duration // of the decisions that found a number at once
	bought   int
	got      map[string]string // area code -> phone number
	err      error
}

// teamAreaCodes are the first teamAreas area codes with a number the
// phone library accepts, one such number each.
func teamAreaCodes(b *testing.B) []string {
	var phones []string
	for _, ac := range nanp.All() {
		for exch := 200; exch < 1000 && len(phones) < teamAreas; exch++ {
			p := fmt.Sprintf("+1%s%03d0143", ac.Code, exch)
			if ph, err := dialer.ParsePhone(p); err == nil && ph.AreaCode == ac.Code {
				phones = append(phones, p)
				break
			}
		}
	}
	if len(phones) < teamAreas {
		b.Fatalf("only %d area codes have a valid number", len(phones))
	}
	return phones
}

func newTeamRun(b *testing.B) *teamRun {
	b.Helper()
	ctx := context.Background()
	tr := &teamRun{dbURL: pgtest.URL(b)}
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: accountSID, AuthToken: authToken, TimeScale: 0.001,
		Balance: "1000.00", EmptyAreaCodes: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	if tr.emuURL, err = emu.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	tr.emu = emu
	if tr.admin, err = store.Open(ctx, tr.dbURL); err != nil {
		b.Fatal(err)
	}
	set, err := tr.admin.Settings(ctx)
	if err != nil {
		b.Fatal(err)
	}
	set.MaxNumbers = 2 * teamAreas
	if err := tr.admin.SaveSettings(ctx, set); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	for i, p := range teamAreaCodes(b) {
		c, err := tr.admin.CreateContact(ctx, dialer.Contact{Name: fmt.Sprint("Lead ", i), Phone: p, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			b.Fatal(err)
		}
		tr.contacts = append(tr.contacts, c)
	}
	// The agents' handles are opened before the clock starts, a few at a
	// time, as machines start at different moments.
	tr.agents = make([]*teamAgent, teamAgents)
	var wg sync.WaitGroup
	errs := make(chan error, teamAgents)
	sem := make(chan struct{}, 8)
	for i := range tr.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			a, err := tr.newAgent(ctx, i)
			tr.agents[i] = a
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tr.close()
			b.Fatal(err)
		}
	}
	return tr
}

func (tr *teamRun) newAgent(ctx context.Context, i int) (*teamAgent, error) {
	prov, err := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, BaseURL: tr.emuURL})
	if err != nil {
		return nil, err
	}
	db, err := store.OpenWith(ctx, tr.dbURL+"&application_name="+teamApp, store.Options{Queries: &tr.queries})
	if err != nil {
		return nil, fmt.Errorf("agent %d: %w", i, err)
	}
	agent, err := dialer.NewAgent(fmt.Sprint("Agent ", i), fmt.Sprintf("+1202555%04d", 1000+i))
	if err != nil {
		db.Close()
		return nil, err
	}
	return &teamAgent{db: db, agent: agent, got: map[string]string{},
		res: &dialer.Reservations{Store: db, Provider: prov}}, nil
}

func (tr *teamRun) close() {
	for _, a := range tr.agents {
		if a != nil {
			a.db.Close()
		}
	}
	if tr.admin != nil {
		tr.admin.Close()
	}
	tr.emu.Close()
}

// run starts every agent at once and waits for all; meanwhile it samples
// how many connections the database has open.
func (tr *teamRun) run(b *testing.B, spread string) {
	ctx := context.Background()
	stopSampling := tr.sampleConnections(b)
	gun := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range tr.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(2026, uint64(i)))
			pick := func() int { return rng.IntN(teamAreas) }
			if spread == "zipf" {
				z := rand.NewZipf(rng, 1.4, 1, teamAreas-1)
				pick = func() int { return int(z.Uint64()) }
			}
			<-gun
			for range teamCallsPerAgent {
				if a.err = tr.call(ctx, a, tr.contacts[pick()]); a.err != nil {
					return
				}
			}
		}()
	}
	q0 := tr.queries.Load()
	start := time.Now()
	close(gun)
	wg.Wait()
	tr.wall = time.Since(start)
	calls := float64(teamAgents * teamCallsPerAgent)
	b.ReportMetric(float64(tr.queries.Load()-q0)/calls, "queries/call")
	stopSampling()
}

// call is one Call key press of agent a to contact c, as far as the
// database sees it.
func (tr *teamRun) call(ctx context.Context, a *teamAgent, c dialer.Contact) error {
	t0 := time.Now()
	waited := false
	r, err := a.res.Acquire(ctx, c, func(p dialer.Pending) { waited = waited || p.Waiting })
	d := time.Since(t0)
	a.lat = append(a.lat, d)
	if !r.Bought && !waited {
		a.reuseLat = append(a.reuseLat, d)
	}
	if err != nil {
		return fmt.Errorf("%s calling %s: %w", a.agent.Name, c.Phone, err)
	}
	area := c.Phone[2:5]
	if prev, ok := a.got[area]; ok && prev != r.Number.PhoneNumber {
		return fmt.Errorf("%s got %s and then %s for area code %s", a.agent.Name, prev, r.Number.PhoneNumber, area)
	}
	a.got[area] = r.Number.PhoneNumber
	if r.Bought {
		a.bought++
	}
	call := dialer.Call{ContactID: c.ID, AgentName: a.agent.Name, AgentPhone: a.agent.Phone,
		CallerID: r.Number.PhoneNumber, NumberID: r.Number.ID, NewNumber: r.Bought, Confirm: dialer.ConfirmAuto,
		StartedAt: time.Now(), Account: accountSID}
	if r.Fee != nil {
		call.FeeChargeID = r.Fee.ID
	}
	if call, err = a.db.StartCall(ctx, call); err != nil {
		return err
	}
	agent := dialer.Leg{Role: dialer.AgentLeg, SID: fmt.Sprintf("CA%032x", 2*call.ID), To: a.agent.Phone, Status: dialer.CallQueued}
	contact := dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprintf("CA%032x", 2*call.ID+1), To: c.Phone, Status: dialer.CallRinging}
	now := time.Now()
	steps := [][]dialer.Leg{
		{agent}, // placed
		{with(agent, dialer.CallRinging, now)},
		{with(agent, dialer.CallInProgress, now), contact},                                   // the agent answered; the contact rings
		{with(agent, dialer.CallInProgress, now), with(contact, dialer.CallInProgress, now)}, // connected
		{with(agent, dialer.CallCompleted, now), with(contact, dialer.CallCompleted, now)},   // the end
	}
	for _, legs := range steps {
		for _, l := range legs {
			if err := a.db.SaveLeg(ctx, call.ID, l); err != nil {
				return err
			}
		}
	}
	return a.db.FinishCall(ctx, call.ID, dialer.OutcomeAnswered, "", time.Now())
}

func with(l dialer.Leg, st dialer.CallStatus, at time.Time) dialer.Leg {
	l.Status = st
	if st != dialer.CallRinging && l.StartedAt.IsZero() {
		l.StartedAt = at
	}
	if st.Ended() {
		l.EndedAt, l.Duration = at, time.Second
	}
	return l
}

// sampleConnections counts the agents' connections to the database every
// 10 ms until the returned func is called.
func (tr *teamRun) sampleConnections(b *testing.B) func() {
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, tr.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var n int64
			if conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND application_name = $1`, teamApp).Scan(&n) == nil && n > tr.peakConns.Load() {
				tr.peakConns.Store(n)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() {
		cancel()
		<-done
		conn.Close(context.Background())
	}
}

// check fails the benchmark unless the run did what a team must: every
// call placed and recorded, one number per area code called, each bought
// once at the provider and charged once. Then it reports the figures.
func (tr *teamRun) check(b *testing.B) {
	b.Helper()
	ctx := context.Background()
	var lat, reuse []time.Duration
	bought := 0
	handed := map[string]map[string]bool{} // area code -> the numbers its calls got
	for i, a := range tr.agents {
		if a.err != nil {
			b.Errorf("agent %d: %v", i, a.err)
		}
		lat = append(lat, a.lat...)
		reuse = append(reuse, a.reuseLat...)
		bought += a.bought
		for ac, p := range a.got {
			if handed[ac] == nil {
				handed[ac] = map[string]bool{}
			}
			handed[ac][p] = true
		}
	}
	for ac, ps := range handed {
		if len(ps) != 1 {
			b.Errorf("area code %s: agents were handed %d numbers: %v", ac, len(ps), slices.Sorted(maps.Keys(ps)))
		}
	}
	called := len(handed)
	numbers, err := tr.admin.Numbers(ctx, dialer.NumberFilter{})
	if err != nil {
		b.Fatal(err)
	}
	perArea := map[string]int{}
	for _, n := range numbers {
		if n.Status != dialer.StatusActive {
			b.Errorf("number %d (%s) is %s", n.ID, n.ServesAreaCode, n.Status)
		}
		perArea[n.ServesAreaCode]++
	}
	for ac, k := range perArea {
		if k != 1 {
			b.Errorf("area code %s has %d numbers", ac, k)
		}
	}
	charges, err := tr.admin.Charges(ctx, dialer.ChargeFilter{})
	if err != nil {
		b.Fatal(err)
	}
	feePer := map[int64]int{}
	for _, c := range charges {
		feePer[c.NumberID]++
	}
	for _, n := range numbers {
		if feePer[n.ID] != 1 {
			b.Errorf("number %d (%s) has %d fees", n.ID, n.ServesAreaCode, feePer[n.ID])
		}
	}
	purchases := 0
	for _, r := range tr.emu.Requests() {
		if r.Method == "POST" && filepath.Base(r.Path) == "IncomingPhoneNumbers.json" && r.Status == 201 {
			purchases++
		}
	}
	if len(numbers) != called || len(charges) != called || purchases != called || bought != called {
		b.Errorf("%d area codes called: %d numbers recorded, %d fees, %d purchases at the emulator, %d decisions that bought",
			called, len(numbers), len(charges), purchases, bought)
	}
	conn, err := pgx.Connect(ctx, tr.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var calls, ended, legs int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM calls WHERE ended_at IS NOT NULL),
		(SELECT count(*) FROM legs WHERE status = 'completed')`).Scan(&calls, &ended, &legs); err != nil {
		b.Fatal(err)
	}
	if want := teamAgents * teamCallsPerAgent; calls != want || ended != want || legs != 2*want {
		b.Errorf("%d calls recorded, %d ended, %d completed legs; want %d, %d, %d", calls, ended, legs, want, want, 2*want)
	}
	if b.Failed() {
		return
	}

	slices.Sort(lat)
	slices.Sort(reuse)
	pct := func(ds []time.Duration, p float64) float64 {
		return float64(ds[int(math.Ceil(p*float64(len(ds))))-1].Microseconds()) / 1000
	}
	b.ReportMetric(tr.wall.Seconds(), "wall_s")
	b.ReportMetric(pct(lat, 0.50), "decision_p50_ms")
	b.ReportMetric(pct(lat, 0.99), "decision_p99_ms")
	b.ReportMetric(pct(lat, 1), "decision_max_ms")
	b.ReportMetric(pct(reuse, 0.50), "reuse_p50_ms")
	b.ReportMetric(pct(reuse, 0.99), "reuse_p99_ms")
	b.ReportMetric(float64(len(numbers)), "bought")
	b.ReportMetric(float64(tr.peakConns.Load()), "conns_peak")
}
