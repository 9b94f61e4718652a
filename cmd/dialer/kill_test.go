//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
)

// hostSandboxEmulator runs the sandbox emulator of dataDir in the test
// process, as the first dialer process on a data directory does: it holds
// emulator.lock and says in emulator.json where it listens, so every dialer
// process started on dataDir uses it. The emulator outlives the processes
// the test kills.
func hostSandboxEmulator(t *testing.T, dataDir string, scale float64) (*twilioemu.Server, string, string) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dataDir, "emulator.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	token := "0123456789abcdef0123456789abcdef"
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: sandboxAccountSID, AuthToken: token, TimeScale: scale})
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"url": url, "token": token, "pid": os.Getpid()})
	if err := os.WriteFile(filepath.Join(dataDir, "emulator.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		emu.Close()
		lock.Close()
	})
	return emu, url, token
}

// phoneIn is a valid number of area code ac that no emulated callee
// treats specially.
func phoneIn(t *testing.T, ac string) string {
	t.Helper()
	for exch := 201; exch <= 999; exch++ {
		p := fmt.Sprintf("+1%s%03d0143", ac, exch)
		if ph, err := dialer.ParsePhone(p); err == nil && ph.AreaCode == ac {
			return p
		}
	}
	t.Fatalf("no valid number in area code %s", ac)
	return ""
}

// TestKillNineDuringPurchasesLeavesNothingBehind kills real `dialer call`
// processes (kill -9) at random moments of buying their caller ID, 20
// times, on one sandbox data directory; then runs one `numbers reconcile`.
// Nothing may be left behind: no pending purchase, no number at the
// provider the inventory does not have (or the reverse), no fee charged
// twice or for a number not kept; and the next call in each area code
// gets its number at once, without waiting for anything.
//
// The kill moments come from a seeded generator; the seed is logged, and
// DIALER_KILL_SEED replays a run.
func TestKillNineDuringPurchasesLeavesNothingBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills 20 processes; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DIALER_KILL_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DIALER_KILL_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay with DIALER_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))

	start := time.Now()
	bin := buildDialer(t)
	const scale = 0.005
	env, dataDir := freshEnv(t, "DIALER_SANDBOX_TIME_SCALE="+strconv.FormatFloat(scale, 'f', -1, 64))
	emu, url, token := hostSandboxEmulator(t, dataDir, scale)
	dialerCmd := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		return cmd
	}
	if out, err := dialerCmd(t.Context(), "agent", "set", "--name", "Kill Tester", "--phone", "+12025550199").CombinedOutput(); err != nil {
		t.Fatalf("agent set: %v\n%s", err, out)
	}
	areas := []string{"415", "212", "303", "617", "312", "206", "512"}
	callArgs := func(ac string) []string {
		return []string{"call", "--to", phoneIn(t, ac), "--confirm", "auto", "--hangup-after", "50ms",
			"--override-hours", "kill test", "--json"}
	}

	killDuringPurchases(t, rng, 20, emu, areas, func(ctx context.Context, i int, ac string) *exec.Cmd {
		return dialerCmd(ctx, callArgs(ac)...)
	})

	code, out, errOut := runReconcile(t, dialerCmd)
	if code != 0 {
		t.Fatalf("numbers reconcile: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("reconcile: %s", out)
	prov, err := twilio.New(twilio.Config{AccountSID: sandboxAccountSID, AuthToken: token, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	checkNothingLeftBehind(t, filepath.Join(dataDir, "dialer.db"), prov, areas)
	if t.Failed() {
		t.FailNow() // a purchase left pending holds up the calls below for minutes
	}

	// The next call in each area code gets its number at once: no
	// "Waiting for …", no purchase held up. The area codes are apart: their
	// calls run at once.
	type result struct {
		ac  string
		out []byte
		err error
	}
	results := make(chan result, len(areas))
	for _, ac := range areas {
		go func() {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			out, err := dialerCmd(ctx, callArgs(ac)...).Output()
			results <- result{ac, out, err}
		}()
	}
	for range areas {
		r := <-results
		ac, out := r.ac, r.out
		if r.err != nil {
			t.Errorf("call in %s after reconcile: %v\n%s", ac, r.err, out)
			continue
		}
		phases := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var ev eventJSON
			if json.Unmarshal([]byte(l), &ev) != nil {
				t.Errorf("call in %s: not JSON: %q", ac, l)
				continue
			}
			phases[ev.Phase] = true
			if strings.Contains(ev.Message, "Waiting") {
				t.Errorf("call in %s after reconcile waited: %q", ac, ev.Message)
			}
		}
		if !phases["ended"] || !phases["ringing_agent"] {
			t.Errorf("call in %s: phases %v\n%s", ac, phases, out)
		}
	}
	checkNothingLeftBehind(t, filepath.Join(dataDir, "dialer.db"), prov, areas)
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
}

// killDuringPurchases starts kills `dialer call` processes one after
// another (command gives the i-th, for area code ac) and kills each (kill
// -9) at a random moment: half anywhere from its start, half in its
// purchase, which the emulator makes last a while. None may have waited
// for a purchase whose process was killed.
func killDuringPurchases(t *testing.T, rng *rand.Rand, kills int, emu *twilioemu.Server, areas []string,
	command func(ctx context.Context, i int, ac string) *exec.Cmd) {
	t.Helper()
	// Each purchase asks the emulator, which answers after this long: the
	// purchase is in flight for a while, and a kill can land in it.
	const latency = 40 * time.Millisecond
	emu.SetLatency(latency)
	for i := 0; i < kills; i++ {
		ac := areas[i%len(areas)]
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		cmd := command(ctx, i, ac)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		first := make(chan string, 1)
		lines := make(chan []string, 1)
		go func() {
			var all []string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if len(all) == 0 {
					first <- sc.Text()
				}
				all = append(all, sc.Text())
			}
			io.Copy(io.Discard, stdout)
			lines <- all
		}()
		// Half the kills land anywhere from the process's start (opening
		// the database, checking the balance and the rate, claiming,
		// asking, recording); half in the purchase itself, once the
		// process says it is getting a number.
		var when string
		if rng.IntN(2) == 0 {
			d := time.Duration(rng.Int64N(int64(8 * latency)))
			when = fmt.Sprintf("%v after start", d)
			time.Sleep(d)
		} else {
			d := time.Duration(rng.Int64N(int64(latency + 10*time.Millisecond)))
			when = fmt.Sprintf("%v after its first event", d)
			select {
			case <-first:
				time.Sleep(d)
			case <-time.After(15 * time.Second):
				when = "after 15 s without an event"
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		werr := cmd.Wait() // reaped: its process id is free again
		cancel()
		got := <-lines
		t.Logf("kill %2d, area code %s, %s: %v; events %d", i+1, ac, when, werr, len(got))
		for _, l := range got {
			if strings.Contains(l, "Waiting for") {
				t.Errorf("kill %d: a process waited for a purchase whose process was killed: %s", i+1, l)
			}
		}
	}
	emu.SetLatency(0)
}

func runReconcile(t *testing.T, dialerCmd func(context.Context, ...string) *exec.Cmd) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := dialerCmd(ctx, "numbers", "reconcile")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// checkNothingLeftBehind compares the inventory and the fees of the
// database at dbTarget (a file or a URL) with the provider: no pending
// purchase, each number the provider has for this installation recorded
// active under its SID and the reverse, at most one number per area code,
// one fee per number kept and none for another.
func checkNothingLeftBehind(t *testing.T, dbTarget string, prov *twilio.Provider, areas []string) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, dbTarget)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.Numbers(ctx, dialer.NumberFilter{})
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]dialer.Number{} // by SID
	perArea := map[string]int{}
	statuses := map[dialer.NumberStatus]int{}
	for _, n := range all {
		statuses[n.Status]++
		switch n.Status {
		case dialer.StatusPending:
			t.Errorf("purchase %d for area code %s still pending (owner pid %d)", n.ID, n.ServesAreaCode, n.Owner.PID)
		case dialer.StatusActive:
			active[n.ProviderSID] = n
			perArea[n.ServesAreaCode]++
		case dialer.StatusFailed:
		default:
			t.Errorf("number %d is %s", n.ID, n.Status)
		}
	}
	t.Logf("inventory: %v", statuses)
	for ac, k := range perArea {
		if k > 1 {
			t.Errorf("area code %s has %d numbers: bought twice", ac, k)
		}
	}
	owned, err := prov.ListNumbers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atProvider := map[string]bool{}
	for _, o := range owned {
		atProvider[o.SID] = true
		inst, id, ok := dialer.ParseTag(o.FriendlyName)
		n, recorded := active[o.SID]
		switch {
		case !ok || inst != db.InstanceID():
			t.Errorf("the provider has %s (%q), not bought by this installation", o.PhoneNumber, o.FriendlyName)
		case !recorded || n.ID != id:
			t.Errorf("orphaned number: the provider has %s (%q) and the inventory has it not", o.PhoneNumber, o.FriendlyName)
		}
	}
	for sid, n := range active {
		if !atProvider[sid] {
			t.Errorf("number %d (%s) recorded active but the provider does not have it", n.ID, n.PhoneNumber)
		}
	}
	charges, err := db.Charges(ctx, dialer.ChargeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	fees := map[int64]int{}
	for _, c := range charges {
		fees[c.NumberID]++
	}
	for id, k := range fees {
		n, err := db.Number(ctx, id)
		if err != nil || n.Status != dialer.StatusActive || k != 1 {
			t.Errorf("number %d (%s, %v) was charged %d fees, want 1 for a number kept", id, n.Status, err, k)
		}
	}
	for _, n := range active {
		if fees[n.ID] != 1 {
			t.Errorf("number %d (%s) kept with %d fees, want 1", n.ID, n.PhoneNumber, fees[n.ID])
		}
	}
}
