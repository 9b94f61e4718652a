//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// freshEnv is the environment of a real dialer binary in a fresh home,
// and its data directory.
func freshEnv(t *testing.T, extra ...string) ([]string, string) {
	t.Helper()
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	env := []string{
		"HOME=" + filepath.Join(root, "home"),
		"DIALER_DATA_DIR=" + dataDir,
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "xdg-data"),
		"XDG_STATE_HOME=" + filepath.Join(root, "xdg-state"),
		"PATH=" + os.Getenv("PATH"),
	}
	for _, d := range []string{"home", "config", "xdg-data", "xdg-state"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return append(env, extra...), dataDir
}

// runBin runs the binary to its end and returns its stdout.
func runBin(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dialer %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("dialer %s did not end in 60 s", strings.Join(args, " "))
	}
	return stdout.String()
}

const (
	emuSID   = "AC0123456789abcdef0123456789abcdef"
	emuToken = "0123456789abcdef0123456789abcdef"
)

// startEmulatorProcess runs `dialer emulator` on a state file and returns
// it with its base URL.
func startEmulatorProcess(t *testing.T, bin string, env []string, state string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "emulator", "--listen", "127.0.0.1:0", "--state", state, "--time-scale", "0.1",
		"--account-sid", emuSID, "--auth-token", emuToken)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "DIALER_TWILIO_BASE_URL="); ok {
				urls <- u
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(15 * time.Second):
		t.Fatal("the emulator did not say where it listens")
	}
	return nil, ""
}

type callRecord struct {
	ID        int64      `json:"id"`
	Outcome   string     `json:"outcome"`
	EndReason string     `json:"end_reason"`
	EndedAt   *time.Time `json:"ended_at"`
	Legs      []struct {
		Role   string `json:"role"`
		Status string `json:"status"`
	} `json:"legs"`
}

func readCallRecords(t *testing.T, bin string, env []string) []callRecord {
	t.Helper()
	var calls []callRecord
	out := runBin(t, bin, env, "calls", "list", "--json")
	if err := json.Unmarshal([]byte(out), &calls); err != nil {
		t.Fatalf("calls list --json: %v\n%s", err, out)
	}
	return calls
}

// lockedBuffer collects a process's output for a test that reads it while
// it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The provider stops answering mid-call; SIGTERM ends `dialer call` within
// 5 s, non-zero, with the call recorded as ended and why; `calls backfill`
// against the restarted provider records the true end.
func TestSigtermWhileProviderIsGone(t *testing.T) {
	for _, repair := range []string{"backfill", "show"} {
		t.Run("then "+repair, func(t *testing.T) { sigtermWhileProviderIsGone(t, repair) })
	}
}

func sigtermWhileProviderIsGone(t *testing.T, repair string) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes; skipped with -short")
	}
	bin := buildDialer(t)
	state := filepath.Join(t.TempDir(), "twilio.json")
	env, _ := freshEnv(t, "TWILIO_ACCOUNT_SID="+emuSID, "TWILIO_AUTH_TOKEN="+emuToken)
	emu, url := startEmulatorProcess(t, bin, env, state)
	live := append(env, "DIALER_TWILIO_BASE_URL="+url)
	runBin(t, bin, live, "agent", "set", "--name", "Fox Mulder", "--phone", "+12025550199")

	call := exec.Command(bin, "call", "--to", "+12125550143", "--confirm", "auto", "--override-hours", "test")
	call.Env = live
	var stdout, stderr lockedBuffer
	call.Stdout, call.Stderr = &stdout, &stderr
	if err := call.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { call.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- call.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stdout.String(), "Connected."); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the call never connected\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		}
	}

	// The provider goes away (the emulator saves the call, ended, as it stops).
	emu.Process.Signal(syscall.SIGTERM)
	emu.Wait()
	time.Sleep(300 * time.Millisecond) // a poll or two finds it gone
	call.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	select {
	case err := <-exited:
		t.Logf("dialer call ended %v after SIGTERM: %v", time.Since(sent).Round(time.Millisecond), err)
		if err == nil {
			t.Fatalf("dialer call exited 0 although the end of the call is unknown\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("dialer call still running 5 s after SIGTERM\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "provider unreachable; the call may still be live at Twilio") {
		t.Fatalf("stderr does not say what is known: %s", stderr.String())
	}
	calls := readCallRecords(t, bin, live)
	if len(calls) != 1 || calls[0].EndedAt == nil || calls[0].Outcome != "unknown" ||
		!strings.Contains(calls[0].EndReason, "provider unreachable") {
		t.Fatalf("record after SIGTERM: %+v", calls)
	}

	if out := runBin(t, bin, live, "calls", "show", fmt.Sprint(calls[0].ID)); !strings.Contains(out, "Its end is not confirmed") {
		t.Fatalf("calls show of the open call, provider still gone: %s", out)
	}

	// The provider is back: backfill records the true end.
	_, url2 := startEmulatorProcess(t, bin, env, state)
	back := append(env, "DIALER_TWILIO_BASE_URL="+url2)
	if repair == "backfill" {
		out := runBin(t, bin, back, "calls", "backfill")
		if !strings.Contains(out, "Recorded the end of 1 open call") {
			t.Fatalf("calls backfill said: %s", out)
		}
	} else {
		out := runBin(t, bin, back, "calls", "show", fmt.Sprint(calls[0].ID))
		if !strings.Contains(out, "Outcome: answered") || strings.Contains(out, "not confirmed") {
			t.Fatalf("calls show with the provider back said: %s", out)
		}
	}
	calls = readCallRecords(t, bin, back)
	if calls[0].Outcome != "answered" || strings.Contains(calls[0].EndReason, "may still be live") {
		t.Fatalf("record after backfill: %+v", calls[0])
	}
	for _, l := range calls[0].Legs {
		if l.Status != "completed" {
			t.Fatalf("leg after backfill: %+v", l)
		}
	}
}

// Many `dialer call` processes on one data directory and one new area code,
// with no long-lived process hosting the sandbox emulator: whoever hosts it
// ends and another takes over. Every process exits, one number is bought,
// one fee charged, and every call row is ended.
func TestConcurrentCallsOnOneNewAreaCode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes; skipped with -short")
	}
	bin := buildDialer(t)
	for _, n := range []int{8, 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			env, _ := freshEnv(t, "DIALER_SANDBOX_TIME_SCALE=0.02")
			runBin(t, bin, env, "agent", "set", "--name", "Fox Mulder", "--phone", "+12025550199")
			type result struct {
				i   int
				err error
				out string
			}
			results := make(chan result, n)
			gun := make(chan struct{})
			for i := 0; i < n; i++ {
				go func() {
					<-gun
					to := fmt.Sprintf("+1415%03d0143", 202+i)
					cmd := exec.Command(bin, "call", "--to", to, "--confirm", "auto", "--override-hours", "test")
					cmd.Env = env
					var out bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &out
					if err := cmd.Start(); err != nil {
						results <- result{i, err, ""}
						return
					}
					done := make(chan error, 1)
					go func() { done <- cmd.Wait() }()
					select {
					case err := <-done:
						results <- result{i, err, out.String()}
					case <-time.After(90 * time.Second):
						cmd.Process.Kill()
						<-done
						results <- result{i, fmt.Errorf("still running after 90 s"), out.String()}
					}
				}()
			}
			close(gun)
			for range n {
				r := <-results
				if r.err != nil && strings.Contains(r.err.Error(), "still running") {
					t.Errorf("process %d hung: %s", r.i, r.out)
				} else if r.err != nil {
					t.Logf("process %d: %v\n%s", r.i, r.err, r.out)
				}
			}
			if t.Failed() {
				return
			}
			var numbers []struct {
				AreaCode string `json:"area_code"`
				Status   string `json:"status"`
			}
			if err := json.Unmarshal([]byte(runBin(t, bin, env, "numbers", "list", "--json")), &numbers); err != nil {
				t.Fatal(err)
			}
			var charges []json.RawMessage
			if err := json.Unmarshal([]byte(runBin(t, bin, env, "charges", "list", "--json")), &charges); err != nil {
				t.Fatal(err)
			}
			if len(numbers) != 1 || numbers[0].Status != "active" || len(charges) != 1 {
				t.Fatalf("%d numbers (%+v) and %d charges; want 1 active number and 1 fee", len(numbers), numbers, len(charges))
			}
			calls := readCallRecords(t, bin, env)
			if len(calls) != n {
				t.Fatalf("%d call rows for %d processes", len(calls), n)
			}
			outcomes := map[string]int{}
			for _, c := range calls {
				outcomes[c.Outcome]++
				if c.EndedAt == nil || c.Outcome == "" {
					t.Errorf("call %d not ended: %+v", c.ID, c)
				}
			}
			t.Logf("outcomes: %v", outcomes)
			if outcomes["unknown"] > 0 {
				t.Fatalf("%d calls lost their provider when the process hosting the emulator ended (nobody took it over)", outcomes["unknown"])
			}
		})
	}
}

// A time scale asked for while another process hosts the sandbox emulator
// at its own cannot apply: it is said, not silently ignored.
func TestSandboxTimeScaleIgnoredIsSaid(t *testing.T) {
	dir := t.TempDir()
	hostSandboxEmulator(t, dir, 1)
	var out, errOut bytes.Buffer
	envv := map[string]string{"HOME": t.TempDir(), "DIALER_DATA_DIR": dir, "DIALER_SANDBOX_TIME_SCALE": "0.5"}
	code := run(t.Context(), []string{"calls", "backfill"}, strings.NewReader(""), &out, &errOut, func(k string) string { return envv[k] })
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "DIALER_SANDBOX_TIME_SCALE=0.5 is ignored: another dialer process (pid ") {
		t.Fatalf("stderr does not say the time scale is ignored: %q", errOut.String())
	}
}

// Whichever process hosts a data directory's sandbox emulator, it accepts
// the same token: webhooks signed before a takeover validate after it, and
// closing a host twice (the transport and the backend both hold it) does
// not remove the address file of the next host.
func TestSandboxEmulatorKeepsItsTokenAcrossHosts(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	first, err := shareEmulator(t.Context(), dir, 1, log)
	if err != nil {
		t.Fatal(err)
	}
	first.close()
	second, err := shareEmulator(t.Context(), dir, 1, log)
	if err != nil {
		t.Fatal(err)
	}
	defer second.close()
	if second.token != first.token || second.url == first.url {
		t.Fatalf("second host: token %q url %s; first: token %q url %s", second.token, second.url, first.token, first.url)
	}
	first.close() // again
	if _, err := os.Stat(filepath.Join(dir, "emulator.json")); err != nil {
		t.Fatalf("closing the first host again removed the second host's address: %v", err)
	}
}
