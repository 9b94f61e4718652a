package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// openMany opens n handles on one new database of engine e, each with its
// own connections, as n processes (or machines) would.
func openMany(t *testing.T, e engine, n int) []*DB {
	t.Helper()
	target := e.target(t)
	dbs := make([]*DB, n)
	for i := range dbs {
		db, err := Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// Claims racing from many handles for one new area code: exactly one buys,
// every other waits for that purchase; none fails. Then claims for as many
// new area codes as the maximum allows, and more, at once: the maximum
// holds exactly.
func testRacingClaimsBuyOnceAndKeepTheMaximum(t *testing.T, e engine) {
	const n = 12
	dbs := openMany(t, e, n)
	req := dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, ReserveUntil: t0.Add(14 * 24 * time.Hour), MaxNumbers: 5}
	type result struct {
		cl  dialer.Claim
		err error
	}
	race := func(reqs func(i int) dialer.ClaimRequest) []result {
		out := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				cl, err := dbs[i].ClaimNumber(context.Background(), reqs(i))
				out[i] = result{cl, err}
			})
		}
		close(start)
		wg.Wait()
		return out
	}
	buys, waits := 0, 0
	for i, r := range race(func(int) dialer.ClaimRequest { return req }) {
		switch {
		case r.err != nil:
			t.Errorf("claim %d: %v", i, r.err)
		case r.cl.Action == dialer.ClaimBuy:
			buys++
		case r.cl.Action == dialer.ClaimWait:
			waits++
		}
	}
	if buys != 1 || waits != n-1 {
		t.Errorf("one area code, %d racing claims: %d bought, %d waited; want 1 and %d", n, buys, waits, n-1)
	}

	// 1 pending number already; 4 more fit under the maximum of 5.
	res := race(func(i int) dialer.ClaimRequest {
		r := req
		r.AreaCode = fmt.Sprint(500 + i)
		return r
	})
	buys, refused := 0, 0
	for i, r := range res {
		switch {
		case r.err == nil && r.cl.Action == dialer.ClaimBuy:
			buys++
		case dialer.ErrorKind(r.err) == dialer.ELIMIT:
			refused++
		default:
			t.Errorf("claim %d: %+v, %v", i, r.cl, r.err)
		}
	}
	live, err := dbs[0].Numbers(context.Background(), dialer.NumberFilter{Statuses: dialer.LiveStatuses})
	if buys != 4 || refused != n-4 || err != nil || len(live) != 5 {
		t.Errorf("%d new area codes at once under a maximum of 5 with 1 pending: %d bought, %d refused, %d live (%v); want 4, %d, 5",
			n, buys, refused, len(live), err, n-4)
	}
}

// Contact writers racing from many handles (creations, imports, edits)
// each get a revision of their own, in commit order: a reader following
// revisions sees every change once, and ids stay unique whether an import
// or the database gave them.
func testRacingContactWritesGetOrderedRevisions(t *testing.T, e engine) {
	const n = 6
	dbs := openMany(t, e, n)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n*20)
	for i := range n {
		wg.Go(func() {
			db := dbs[i]
			for j := range 10 {
				c, err := db.CreateContact(ctx, dialer.Contact{Name: "c", Phone: fmt.Sprintf("+1415555%02d%02d", i, j), CreatedAt: t0, UpdatedAt: t0})
				if err != nil {
					errs <- err
					continue
				}
				c.Name = "edited"
				if _, err := db.UpdateContact(ctx, c); err != nil {
					errs <- err
				}
			}
			batch := dialer.ImportBatch{At: t0}
			for j := range 20 {
				batch.Contacts = append(batch.Contacts, dialer.Contact{Name: "i", Phone: fmt.Sprintf("+1212555%02d%02d", i, j)})
			}
			if _, err := db.ImportContacts(ctx, batch); err != nil {
				errs <- err
			}
		})
	}
	// A reader following revisions meanwhile, as the search index does.
	seen := map[int64]int64{} // contact id -> newest revision seen
	var since int64
	follow := func() {
		rev, err := dbs[0].ContactKeys(ctx, since, func(k dialer.ContactKey) error {
			if k.Rev <= since {
				t.Errorf("revision %d came after %d had been seen", k.Rev, since)
			}
			seen[k.ID] = k.Rev
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		since = rev
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(2 * time.Millisecond):
		}
		if since == 0 {
			// Start following from the first revision on.
			since = -1
			continue
		}
		follow()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	follow()
	all, err := dbs[0].ListContacts(ctx, dialer.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := n * (10 + 20)
	revs := map[int64]bool{}
	for _, c := range all {
		if seen[c.ID] == 0 {
			t.Errorf("contact %d (%s) never reached the reader", c.ID, c.Phone)
		}
	}
	for _, r := range seen {
		if revs[r] {
			t.Errorf("revision %d given twice", r)
		}
		revs[r] = true
	}
	if len(all) != want || len(seen) != want {
		t.Errorf("%d contacts, %d seen by the reader; want %d", len(all), len(seen), want)
	}
	// The database gives the next id past the imported ones.
	if _, err := dbs[1].CreateContact(ctx, dialer.Contact{Name: "last", Phone: "+13105550100", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Errorf("creating a contact after imports: %v", err)
	}
}

// Many processes opening one new database at once: each migrates or finds
// it migrated; all agree on the schema and the instance.
func testRacingOpensMigrateOnce(t *testing.T, e engine) {
	target := e.target(t)
	const n = 8
	var wg sync.WaitGroup
	dbs := make([]*DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), target) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	for i, db := range dbs {
		v, err := db.SchemaVersion(context.Background())
		if err != nil || v != latestMigration(db.Engine()) || db.InstanceID() != dbs[0].InstanceID() {
			t.Errorf("open %d: schema %d (%v), instance %s; want %d and %s", i, v, err, db.InstanceID(), latestMigration(db.Engine()), dbs[0].InstanceID())
		}
	}
}

// A purchase finishing while other handles claim its area code: each claim
// sees the number pending (wait) or active (reuse), never neither (which
// would buy a second number). On PostgreSQL a claim reads with two
// statements, each seeing what was committed when it began; an activation
// committed between them must wait for the claim.
func testActivationRacingClaimsNeverBuysTwice(t *testing.T, e engine) {
	const claimers, areas = 6, 40
	dbs := openMany(t, e, claimers+1)
	ctx := context.Background()
	for a := range areas {
		req := dialer.ClaimRequest{Country: "US", AreaCode: fmt.Sprint(600 + a), Now: t0, ReserveUntil: t0.Add(24 * time.Hour), MaxNumbers: 1000}
		first, err := dbs[0].ClaimNumber(ctx, req)
		if err != nil || first.Action != dialer.ClaimBuy {
			t.Fatalf("first claim %+v, %v", first, err)
		}
		var wg sync.WaitGroup
		bought := make(chan int64, claimers*100)
		for i := 1; i <= claimers; i++ {
			wg.Go(func() {
				for {
					cl, err := dbs[i].ClaimNumber(ctx, req)
					if err != nil {
						t.Error(err)
						return
					}
					switch cl.Action {
					case dialer.ClaimBuy:
						bought <- cl.Number.ID
						return
					case dialer.ClaimReused:
						return
					}
					time.Sleep(100 * time.Microsecond) // waiting, as a caller does (briefly)
				}
			})
		}
		sid := fmt.Sprint("PN", a)
		if _, _, err := dbs[0].ActivateNumber(ctx, first.Number.ID, dialer.Activation{SID: sid, PhoneNumber: fmt.Sprintf("+1%d5550100", 600+a),
			AreaCode: req.AreaCode, At: t0, ReservedUntil: t0.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(bought)
		for id := range bought {
			t.Errorf("area code %s: a claim bought number %d while number %d was being activated", req.AreaCode, id, first.Number.ID)
		}
		if t.Failed() {
			return
		}
	}
}

// Ten handles taking one lease at once: one has it, the others see whose
// it is; it renews for its holder only; once expired (its holder died)
// another takes it; released, anyone may.
func testLeasesOneHolderAtATime(t *testing.T, e engine) {
	const n = 10
	dbs := openMany(t, e, n)
	ctx := context.Background()
	const ttl = time.Minute
	won := make([]bool, n)
	leases := make([]dialer.Lease, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			l, ok, err := dbs[i].TakeLease(ctx, "housekeeping", fmt.Sprint("p", i), fmt.Sprint("Agent ", i), t0, ttl)
			if err != nil {
				t.Error(err)
			}
			won[i], leases[i] = ok, l
		})
	}
	wg.Wait()
	winner := -1
	for i, ok := range won {
		if ok {
			if winner >= 0 {
				t.Fatalf("processes %d and %d both hold the lease", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("nobody holds the lease")
	}
	for i, l := range leases {
		if l.Holder != fmt.Sprint("p", winner) || l.Label != fmt.Sprint("Agent ", winner) || !l.Expires.Equal(t0.Add(ttl)) {
			t.Errorf("process %d sees lease %+v; want p%d's until %s", i, l, winner, t0.Add(ttl))
		}
	}
	other := (winner + 1) % n
	holder := fmt.Sprint("p", winner)
	if _, ok, _ := dbs[winner].TakeLease(ctx, "housekeeping", holder, "", t0.Add(ttl/2), ttl); !ok {
		t.Error("the holder could not renew its lease")
	}
	if _, ok, _ := dbs[other].TakeLease(ctx, "housekeeping", "q", "", t0.Add(ttl), ttl); ok {
		t.Error("another took a lease renewed until later")
	}
	if l, ok, _ := dbs[other].TakeLease(ctx, "housekeeping", "q", "Q", t0.Add(ttl/2+ttl), ttl); !ok || l.Label != "Q" {
		t.Errorf("once expired, another could not take it: %+v", l)
	}
	if err := dbs[winner].ReleaseLease(ctx, "housekeeping", holder); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := dbs[winner].TakeLease(ctx, "housekeeping", holder, "", t0.Add(ttl), ttl); ok {
		t.Error("releasing a lease one no longer has released another's")
	}
	if err := dbs[other].ReleaseLease(ctx, "housekeeping", "q"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := dbs[winner].TakeLease(ctx, "housekeeping", holder, "", t0.Add(ttl), ttl); !ok {
		t.Error("a released lease could not be taken")
	}
}
