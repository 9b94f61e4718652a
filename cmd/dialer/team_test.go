//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// team is a team's machines in a test: one PostgreSQL database and one
// Twilio (an emulator over HTTP) shared, and each machine its own home,
// configuration and data directory, as agents' laptops have.
type team struct {
	t      *testing.T
	bin    string
	dbURL  string
	emu    *twilioemu.Server
	emuURL string
	root   string
}

func newTeam(t *testing.T, scale float64) *team {
	t.Helper()
	dbURL := pgtest.URL(t)
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: sessEmuSID, AuthToken: sessEmuToken, TimeScale: scale,
		PriceDelay: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	emuURL, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	return &team{t: t, bin: buildDialer(t), dbURL: dbURL, emu: emu, emuURL: emuURL, root: t.TempDir()}
}

// machine is the environment of machine i, made the first time it is asked
// for: machine 0's agent is the team's supervisor, who adds the others'.
func (tm *team) machine(i int) []string {
	tm.t.Helper()
	root := filepath.Join(tm.root, fmt.Sprint("m", i))
	env := []string{
		"HOME=" + filepath.Join(root, "home"),
		"DIALER_DATA_DIR=" + filepath.Join(root, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_STATE_HOME=" + filepath.Join(root, "state"),
		"PATH=" + os.Getenv("PATH"),
		"DIALER_DATABASE_URL=" + tm.dbURL,
		"TWILIO_ACCOUNT_SID=" + sessEmuSID,
		"TWILIO_AUTH_TOKEN=" + sessEmuToken,
		"DIALER_TWILIO_BASE_URL=" + tm.emuURL,
	}
	if _, err := os.Stat(root); err != nil {
		for _, d := range []string{"home", "config", "state", "data"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
				tm.t.Fatal(err)
			}
		}
		name, phone := fmt.Sprint("Agent ", i), fmt.Sprintf("+1202555%04d", 100+i)
		if i == 0 {
			// The team's first agent, its supervisor, ...
			runBin(tm.t, tm.bin, env, "agent", "set", "--name", name, "--phone", phone)
		} else {
			// ... adds the others, who say who they are on their machines.
			runBin(tm.t, tm.bin, tm.machine(0), "agents", "add", "--name", name, "--phone", phone)
			runBin(tm.t, tm.bin, env, "agent", "use", name)
		}
	}
	return env
}

// explain logs, for a failure, every number the team's database holds and
// what the first n machines logged about purchases.
func (tm *team) explain(n int) {
	t := tm.t
	if db, err := store.Open(t.Context(), tm.dbURL); err == nil {
		all, _ := db.Numbers(t.Context(), dialer.NumberFilter{})
		for _, x := range all {
			t.Logf("number %d %s serves %s: %s, created %s, activated %s, owner pid %d",
				x.ID, x.PhoneNumber, x.ServesAreaCode, x.Status, x.CreatedAt.Format(time.StampMicro), x.ActivatedAt.Format(time.StampMicro), x.Owner.PID)
		}
		db.Close()
	}
	for i := range n {
		b, _ := os.ReadFile(filepath.Join(tm.root, fmt.Sprint("m", i), "data", "dialer.log"))
		for l := range strings.Lines(string(b)) {
			if strings.Contains(l, "number") || strings.Contains(l, "purchase") {
				t.Logf("machine %d: %s", i, strings.TrimSpace(l))
			}
		}
	}
}

func (tm *team) command(ctx context.Context, machine int, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tm.bin, args...)
	cmd.Env = tm.machine(machine)
	return cmd
}

// Machines that share only the team's database and Twilio: 16 of them
// pressing Call at once for one new area code buy 1 number and charge 1
// fee, round after round (the first round also races to create the
// schema); then a kill -9 loop during purchases across the machines, and
// one `numbers reconcile` from a machine that took no part, leave no
// orphaned number, no double fee and no pending row.
func TestMachinesShareOneInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs 16 processes at once; skipped with -short")
	}
	const machines = 16
	tm := newTeam(t, 0.02)
	for i := range machines {
		tm.machine(i) // each machine's profile first: the rounds race on the purchase
	}
	rounds := []string{"415", "212", "303"}
	for r, ac := range rounds {
		type result struct {
			i   int
			err error
			out string
		}
		results := make(chan result, machines)
		gun := make(chan struct{})
		for i := range machines {
			go func() {
				<-gun
				ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
				defer cancel()
				cmd := tm.command(ctx, i, "call", "--to", fmt.Sprintf("+1%s%03d0143", ac, 202+i), "--confirm", "auto",
					"--override-hours", "team test", "--json")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				results <- result{i, cmd.Run(), out.String()}
			}()
		}
		close(gun)
		for range machines {
			if res := <-results; res.err != nil {
				t.Errorf("round %d, machine %d: %v\n%s", r+1, res.i, res.err, res.out)
			}
		}
		var numbers []struct {
			AreaCode string `json:"area_code"`
			Status   string `json:"status"`
		}
		if err := json.Unmarshal([]byte(runBin(t, tm.bin, tm.machine(0), "numbers", "list", "--json")), &numbers); err != nil {
			t.Fatal(err)
		}
		var charges []json.RawMessage
		if err := json.Unmarshal([]byte(runBin(t, tm.bin, tm.machine(0), "charges", "list", "--json")), &charges); err != nil {
			t.Fatal(err)
		}
		perArea := map[string]int{}
		for _, n := range numbers {
			if n.Status != "active" {
				t.Errorf("round %d: a number is %s", r+1, n.Status)
			}
			perArea[n.AreaCode]++
		}
		t.Logf("round %d (%s): %d machines at once; numbers %v, %d fees", r+1, ac, machines, perArea, len(charges))
		if len(numbers) != r+1 || perArea[ac] != 1 || len(charges) != r+1 {
			tm.explain(machines)
			t.Fatalf("after round %d: numbers %v and %d fees; want one number and one fee per area code", r+1, perArea, len(charges))
		}
		calls := readCallRecords(t, tm.bin, tm.machine(0))
		if len(calls) != machines*(r+1) {
			t.Fatalf("%d call rows after round %d, want %d", len(calls), r+1, machines*(r+1))
		}
		for _, c := range calls {
			if c.EndedAt == nil || c.Outcome == "" || c.Outcome == "unknown" {
				t.Errorf("call %d not ended: %+v", c.ID, c)
			}
		}
	}

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DIALER_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("kill seed %d (replay with DIALER_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	areas := []string{"617", "312", "206", "512", "415"}
	killDuringPurchases(t, rng, 12, tm.emu, areas, func(ctx context.Context, i int, ac string) *exec.Cmd {
		return tm.command(ctx, i%machines, "call", "--to", phoneIn(t, ac), "--confirm", "auto", "--hangup-after", "50ms",
			"--override-hours", "kill test", "--json")
	})
	bystander := machines // a machine that took no part reconciles
	code, out, errOut := runReconcile(t, func(ctx context.Context, args ...string) *exec.Cmd {
		return tm.command(ctx, bystander, args...)
	})
	if code != 0 {
		t.Fatalf("numbers reconcile: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("reconcile from machine %d: %s", bystander, strings.TrimSpace(out))
	prov, err := twilio.New(twilio.Config{AccountSID: sessEmuSID, AuthToken: sessEmuToken, BaseURL: tm.emuURL})
	if err != nil {
		t.Fatal(err)
	}
	checkNothingLeftBehind(t, tm.dbURL, prov, append(areas, rounds...))
}
