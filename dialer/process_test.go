package dialer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// The test binary doubles as the child process of the multi-process tests:
// with DIALER_TEST_CHILD set it runs one child role and exits (a child
// never starts PostgreSQL). Otherwise it runs the tests and benchmarks and
// then stops the PostgreSQL server pgtest.URL may have started.
func TestMain(m *testing.M) {
	if role := os.Getenv("DIALER_TEST_CHILD"); role != "" {
		os.Exit(runChild(role))
	}
	pgtest.Main(m)
}

func runChild(role string) int {
	db, err := store.Open(context.Background(), os.Getenv("DIALER_TEST_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	prov := newFakeNumbers()
	prov.state = os.Getenv("DIALER_TEST_PROVIDER_STATE")
	prov.buyLog = os.Getenv("DIALER_TEST_BUY_LOG")
	res := &dialer.Reservations{Store: db, Provider: prov}
	switch role {
	case "race":
		// Wait for the starting gun so that every process asks at once.
		gun := os.Getenv("DIALER_TEST_GUN")
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(gun); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return 3
			}
		}
		prov.delay = 20 * time.Millisecond
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := res.Acquire(context.Background(), contact("+17205550123"), nil)
				if err == nil {
					fmt.Printf("number %d bought=%v\n", r.Number.ID, r.Bought)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "crash":
		// Die the moment the provider has sold the number, before the
		// database hears of it: as if the machine lost power.
		prov.afterBuy = func() { os.Exit(42) }
		_, err := res.Acquire(context.Background(), contact("+14155550100"), nil)
		fmt.Fprintln(os.Stderr, "crash child survived:", err)
		return 1
	}
	return 2
}

func child(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"DIALER_TEST_CHILD=" + role}, env...)...)
	return cmd
}

// Several OS processes on one database file, all pressing Call for the same
// new area code at once: one purchase, one fee, everyone gets that number.
func TestAcquireManyProcessesOneDatabaseBuysOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OS processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dialer.db")
	log := filepath.Join(dir, "buys.log")
	gun := filepath.Join(dir, "go")
	// Create the schema first so that the children race on the purchase,
	// not on the migration.
	e := newEnvAt(t, dbPath, newFakeNumbers())

	const procs = 6
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := 0; i < procs; i++ {
		cmd := child(t, "race", "DIALER_TEST_DB="+dbPath, "DIALER_TEST_BUY_LOG="+log, "DIALER_TEST_GUN="+gun)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	time.Sleep(200 * time.Millisecond) // let them all reach the gun
	if err := os.WriteFile(gun, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	numbers := map[string]int{}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		sc := bufio.NewScanner(strings.NewReader(outs[i].String()))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "number" {
				numbers[f[1]]++
			}
		}
	}
	buys, _ := os.ReadFile(log)
	if lines := strings.Count(string(buys), "\n"); lines != 1 {
		t.Fatalf("%d purchases at the provider, want 1:\n%s", lines, buys)
	}
	if c := e.charges(); len(c) != 1 {
		t.Fatalf("%d fees charged, want 1", len(c))
	}
	if len(numbers) != 1 {
		t.Errorf("processes were handed different numbers: %v", numbers)
	}
	if total := numbers[fmt.Sprint(e.charges()[0].NumberID)]; total != procs*4 {
		t.Errorf("%d of %d calls got the bought number", total, procs*4)
	}
}

// A process dies after the provider sold it a number and before the
// database recorded it. The next start-up's reconcile adopts the number
// and charges its fee once, however often it runs; the next call in that
// area code reuses it.
func TestCrashAfterPurchaseIsAdoptedOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OS processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dialer.db")
	state := filepath.Join(dir, "provider.json")
	cmd := child(t, "crash", "DIALER_TEST_DB="+dbPath, "DIALER_TEST_PROVIDER_STATE="+state)
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Fatalf("crash child exited %d (%v), want 42:\n%s", code, err, out)
	}

	prov := newFakeNumbers()
	prov.state = state
	e := newEnvAt(t, dbPath, prov) // the restart
	ctx := context.Background()
	if p := e.numbers(dialer.StatusPending); len(p) != 1 {
		t.Fatalf("after the crash: %d pending numbers, want the interrupted purchase", len(p))
	}
	if len(e.charges()) != 0 || prov.ownedCount() != 1 {
		t.Fatalf("after the crash: %d charges, provider owns %d", len(e.charges()), prov.ownedCount())
	}

	for i := 0; i < 2; i++ {
		res, err := e.res.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 - i; len(res.Adopted) != want {
			t.Errorf("reconcile %d adopted %d numbers, want %d", i+1, len(res.Adopted), want)
		}
		if len(res.Released) != 0 || len(res.Vanished) != 0 {
			t.Errorf("reconcile %d: %+v", i+1, res)
		}
	}
	if c := e.charges(); len(c) != 1 {
		t.Fatalf("%d fees after two reconciles, want 1", len(c))
	}
	act := e.numbers(dialer.StatusActive)
	if len(act) != 1 || act[0].AreaCode != "415" || act[0].ProviderSID == "" {
		t.Fatalf("active numbers %+v", act)
	}
	r, err := e.res.Acquire(ctx, contact("+14155550199"), nil)
	if err != nil || r.Bought || r.Number.ID != act[0].ID {
		t.Fatalf("after adoption: %+v, %v; want the adopted number reused", r, err)
	}
	if prov.purchases() != 0 || len(e.charges()) != 1 {
		t.Errorf("restarted process bought %d, charges %d", prov.purchases(), len(e.charges()))
	}
}

// A number the provider sold for a purchase this database gave up on (the
// user was told it failed and nothing was charged) is released, not kept.
func TestReconcileReleasesNumbersForFailedPurchases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cl, err := e.db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: e.clock.Now(), MaxNumbers: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.FailNumber(ctx, cl.Number.ID, "timed out"); err != nil {
		t.Fatal(err)
	}
	// The provider completed the purchase after all.
	if _, err := e.prov.BuyNumber(ctx, dialer.BuyRequest{AreaCode: "415", FriendlyName: dialer.Tag(e.db.InstanceID(), cl.Number.ID)}); err != nil {
		t.Fatal(err)
	}
	res, err := e.res.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Released) != 1 || e.prov.ownedCount() != 0 || len(e.charges()) != 0 {
		t.Errorf("released %d, provider owns %d, charges %d; want 1, 0, 0", len(res.Released), e.prov.ownedCount(), len(e.charges()))
	}
}
