package dialer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// killedLeases is a process that dies holding its lease: it never gives
// it up, and the lease has to expire.
type killedLeases struct{ dialer.LeaseStore }

func (killedLeases) ReleaseLease(context.Context, string, string) error { return nil }

// Ten processes (each its own database handle) on one database run the
// team's chores: one reconciles and sweeps; when it dies holding the
// lease, another takes over once the lease expires, and only one.
func TestChoresRunInOneProcessAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dialer.db")
	prov := newFakeNumbers()
	const n = 10
	const ttl = 600 * time.Millisecond
	var (
		mu   sync.Mutex
		done = map[string][]int{} // chore -> the processes that did it, in order
	)
	type proc struct {
		chores *dialer.Chores
		stop   context.CancelFunc
		ended  chan struct{}
	}
	procs := make([]proc, n)
	for i := range n {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ctx, stop := context.WithCancel(context.Background())
		c := &dialer.Chores{Store: killedLeases{db}, Numbers: &dialer.Reservations{Store: db, Provider: prov},
			Holder: dialer.NewHolder("chores"), Label: fmt.Sprint("process ", i), TTL: ttl,
			Report: func(chore string, err error) {
				if err != nil {
					t.Errorf("process %d: %s: %v", i, chore, err)
				}
				mu.Lock()
				done[chore] = append(done[chore], i)
				mu.Unlock()
			}}
		procs[i] = proc{c, stop, make(chan struct{})}
		go func() { defer close(procs[i].ended); c.Run(ctx) }()
	}
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop()
			<-p.ended
		}
	})
	holder := func() int {
		t.Helper()
		who := -1
		for i, p := range procs {
			if p.chores.Holding() {
				if who >= 0 {
					t.Fatalf("processes %d and %d both hold the housekeeping lease", who, i)
				}
				who = i
			}
		}
		return who
	}
	// waitFor waits (up to 20 s: the machine may be loaded) until the
	// chore was done k times.
	waitFor := func(chore string, k int) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			got := len(done[chore])
			mu.Unlock()
			if got >= k {
				return
			}
		}
		t.Fatalf("%s was not done %d times in 20 s", chore, k)
	}
	waitFor("sweep", 1)
	time.Sleep(ttl) // the others try the lease twice meanwhile
	first := holder()
	mu.Lock()
	if first < 0 || len(done["sweep"]) != 1 || len(done["reconcile"]) != 1 || done["sweep"][0] != first {
		t.Fatalf("10 processes: holder %d; sweeps by %v, reconciles by %v; want one of each, by the holder", first, done["sweep"], done["reconcile"])
	}
	mu.Unlock()

	// The holder dies holding the lease: one process takes over once it
	// expires.
	procs[first].stop()
	<-procs[first].ended
	waitFor("sweep", 2)
	time.Sleep(ttl)
	second := holder()
	mu.Lock()
	defer mu.Unlock()
	if second < 0 || second == first || len(done["sweep"]) != 2 || done["sweep"][1] != second || len(done["reconcile"]) != 2 {
		t.Errorf("after the holder died: holder %d; sweeps by %v, reconciles by %v; want one more of each, by a new holder",
			second, done["sweep"], done["reconcile"])
	}
}

// The housekeeping's balance check: numbers in service go past due while
// the balance is not positive (claims then reuse none of them) and come
// back once it is.
func TestChoresPutNumbersPastDueWhileTheBalanceIsNotPositive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.res.BuyDedicated(ctx, dialer.DedicatedRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(err)
	}
	bal := &balanceSwitch{b: dialer.MustMoney("-0.50", "USD")}
	run := func() {
		t.Helper()
		ctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		var once sync.Once
		c := &dialer.Chores{Store: e.db, Numbers: e.res, Pricing: bal, Holder: dialer.NewHolder("t"), TTL: time.Hour,
			Report: func(chore string, err error) {
				if chore == "balance" {
					if err != nil {
						t.Error(err)
					}
					once.Do(func() { close(done) })
				}
			}}
		ended := make(chan struct{})
		go func() { c.Run(ctx); close(ended) }()
		<-done
		stop()
		<-ended // its lease given up: the next run takes it at once
	}
	run()
	if got, _ := e.db.Number(ctx, n.ID); got.Status != dialer.StatusPastDue {
		t.Fatalf("with a negative balance: %s", got.Status)
	}
	if st, _ := e.db.Stats(ctx, time.Time{}, "USD"); st.PastDue != 1 {
		t.Errorf("the day's figures count %d numbers past due", st.PastDue)
	}
	bal.b = dialer.MustMoney("5.00", "USD")
	run()
	if got, _ := e.db.Number(ctx, n.ID); got.Status != dialer.StatusActive {
		t.Fatalf("with a positive balance again: %s", got.Status)
	}
}

// balanceSwitch is an account's pricing whose balance a test sets.
type balanceSwitch struct{ b dialer.Money }

func (s *balanceSwitch) Balance(context.Context) (dialer.Money, error) { return s.b, nil }
func (s *balanceSwitch) NumberMonthlyPrice(context.Context, string) (dialer.Money, error) {
	return dialer.MustMoney("1.15", "USD"), nil
}
func (s *balanceSwitch) VoiceRate(context.Context, string, string) (dialer.Money, error) {
	return dialer.Money{}, nil
}
