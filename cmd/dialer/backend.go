package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// sandboxAccountSID is the emulated account of sandbox mode. It is not a
// secret: the emulator listens on 127.0.0.1 only, with a token made afresh
// by whichever process runs it.
const sandboxAccountSID = "ACd1a1e700000000000000000000000000"

// backend is the provider a command talks to: Twilio (live) or the
// emulator (sandbox).
type backend struct {
	provider dialer.Provider
	sandbox  bool
	// authToken checks webhook signatures (keypad mode). Empty in live mode
	// with an API key and no TWILIO_AUTH_TOKEN.
	authToken string
	// timeScale is the sandbox emulator's (1 in live mode): polling keeps
	// pace with emulated time.
	timeScale float64
	// account is the provider account calls are placed through.
	account string
	close   func()
}

// sandboxMode says whether dialer runs against the emulator: --sandbox, or
// no Twilio credentials in the environment. Credentials that are set but
// malformed are an error, never a silent fall back to the sandbox.
func sandboxMode(e *env) (bool, twilio.Config, error) {
	cfg, ok, err := twilio.ConfigFromEnv(e.getenv)
	if err != nil {
		return false, cfg, err
	}
	if e.twilioBaseURL != "" {
		cfg.BaseURL = e.twilioBaseURL
	}
	return e.sandbox || !ok, cfg, nil
}

// openBackend connects to Twilio, or in sandbox mode to the emulator: the
// one another dialer process on this data directory already runs, else a
// new one in this process, its state kept in the data directory.
func openBackend(ctx context.Context, e *env, p paths, log *slog.Logger) (*backend, error) {
	sandbox, cfg, err := sandboxMode(e)
	if err != nil {
		return nil, err
	}
	if !sandbox {
		cfg.Logger = log
		prov, err := twilio.New(cfg)
		if err != nil {
			return nil, err
		}
		return &backend{provider: prov, authToken: cfg.AuthToken, timeScale: 1, account: cfg.AccountSID, close: func() {}}, nil
	}
	scale := 1.0
	if v := e.getenv("DIALER_SANDBOX_TIME_SCALE"); v != "" {
		if scale, err = strconv.ParseFloat(v, 64); err != nil || scale <= 0 {
			return nil, dialer.Errorf(dialer.EINVALID, "DIALER_SANDBOX_TIME_SCALE=%q: want a positive number (0.01 runs calls 100 times faster)", v)
		}
	}
	emu, err := shareEmulator(ctx, p.Data, scale, log)
	if err != nil {
		return nil, err
	}
	if emu.hostPID != 0 && e.getenv("DIALER_SANDBOX_TIME_SCALE") != "" && emu.scale != scale {
		fmt.Fprintf(e.stderr, "dialer: DIALER_SANDBOX_TIME_SCALE=%s is ignored: another dialer process (pid %d) runs the sandbox emulator at time scale %g\n",
			e.getenv("DIALER_SANDBOX_TIME_SCALE"), emu.hostPID, emu.scale)
	}
	st := &sandboxTransport{base: http.DefaultTransport, emu: emu, first: emu.close, dataDir: p.Data, scale: scale, log: log}
	prov, err := twilio.New(twilio.Config{AccountSID: sandboxAccountSID, AuthToken: emu.token, BaseURL: emu.url, Logger: log,
		HTTPClient: &http.Client{Transport: st}})
	if err != nil {
		st.close()
		return nil, err
	}
	return &backend{provider: prov, sandbox: true, authToken: emu.token, timeScale: emu.scale, account: sandboxAccountSID, close: st.close}, nil
}

// sandboxTransport sends the adapter's requests to this data directory's
// sandbox emulator wherever it runs now. When the process hosting it has
// ended (the connection is refused), it takes the emulator over: it starts
// one on the same state file, or joins the one another process started
// first, and sends the request there. A refused connection proves the
// request was never sent, so repeating it is safe even for a purchase.
type sandboxTransport struct {
	base    http.RoundTripper
	dataDir string
	scale   float64
	log     *slog.Logger

	mu     sync.Mutex
	emu    *sharedEmulator
	first  func()   // closes the emulator this process started with
	hosted []func() // emulators this process took over, closed at the end
	closed bool
}

func (t *sandboxTransport) current() *sharedEmulator {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu
}

func (t *sandboxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	emu := t.current()
	resp, err := t.send(req, emu)
	if err == nil || !refused(err) || req.Context().Err() != nil {
		return resp, err
	}
	next, terr := t.takeOver(req.Context(), emu)
	if terr != nil {
		t.log.Warn("sandbox emulator gone and not taken over", "err", terr)
		return nil, err
	}
	return t.send(req, next)
}

// send sends req to emu, with emu's token.
func (t *sandboxTransport) send(req *http.Request, emu *sharedEmulator) (*http.Response, error) {
	u, err := url.Parse(emu.url)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, ""
	r.SetBasicAuth(sandboxAccountSID, emu.token)
	if req.GetBody != nil {
		if r.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.base.RoundTrip(r)
}

// takeOver replaces the emulator that stopped answering, once however many
// requests found it gone.
func (t *sandboxTransport) takeOver(ctx context.Context, gone *sharedEmulator) (*sharedEmulator, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errors.New("closing")
	}
	if t.emu != gone {
		return t.emu, nil // another request took it over already
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	next, err := shareEmulator(ctx, t.dataDir, t.scale, t.log)
	if err != nil {
		return nil, err
	}
	if next.hostPID == 0 && next != t.emu {
		t.hosted = append(t.hosted, next.close)
		t.log.Info("took over the sandbox emulator", "url", next.url)
	} else {
		t.log.Info("joined the sandbox emulator of another process", "pid", next.hostPID, "url", next.url)
	}
	t.emu = next
	return next, nil
}

func (t *sandboxTransport) close() {
	t.mu.Lock()
	t.closed = true
	closers := append([]func(){t.first}, t.hosted...)
	t.mu.Unlock()
	for _, c := range closers {
		c()
	}
}

// refused reports whether err proves that no connection was made.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// sharedEmulator is the sandbox emulator this process uses.
type sharedEmulator struct {
	url, token string
	scale      float64
	hostPID    int // the process that runs it; 0 when this one does
	close      func()
}

// emulatorFile tells other processes where this data directory's emulator
// listens. It is written by the process holding the lock on emulator.lock.
type emulatorFile struct {
	URL   string  `json:"url"`
	Token string  `json:"token"`
	PID   int     `json:"pid"`
	Scale float64 `json:"time_scale,omitempty"`
}

// shareEmulator gives every dialer process on one data directory the same
// emulated Twilio: the first takes an exclusive lock and runs it; the
// others connect to it while the lock is held. Two emulators on one state
// file would each forget the other's purchases.
func shareEmulator(ctx context.Context, dataDir string, scale float64, log *slog.Logger) (*sharedEmulator, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	lockPath := filepath.Join(dataDir, "emulator.lock")
	infoPath := filepath.Join(dataDir, "emulator.json")
	for attempt := 0; ; attempt++ {
		lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("emulator lock: %w", err)
		}
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			return runEmulator(dataDir, infoPath, lock, scale, log)
		}
		lock.Close()
		// Another process runs it: use it once it has said where.
		if b, err := os.ReadFile(infoPath); err == nil {
			var info emulatorFile
			if json.Unmarshal(b, &info) == nil && info.URL != "" && reachable(info.URL) {
				if info.Scale == 0 {
					info.Scale = 1
				}
				return &sharedEmulator{url: info.URL, token: info.Token, scale: info.Scale, hostPID: info.PID, close: func() {}}, nil
			}
		}
		if attempt > 50 {
			return nil, dialer.Errorf(dialer.EUNAVAILABLE, "another dialer process holds the sandbox emulator (%s) but it does not answer", lockPath)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func runEmulator(dataDir, infoPath string, lock *os.File, scale float64, log *slog.Logger) (*sharedEmulator, error) {
	token, err := sandboxToken(dataDir)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("sandbox emulator: %w", err)
	}
	emu, err := twilioemu.New(twilioemu.Config{
		AccountSID: sandboxAccountSID,
		AuthToken:  token,
		StatePath:  filepath.Join(dataDir, "sandbox-twilio.json"),
		TimeScale:  scale,
		Logger:     log.With("component", "emulator"),
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("sandbox emulator: %w", err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		emu.Close()
		lock.Close()
		return nil, fmt.Errorf("sandbox emulator: %w", err)
	}
	b, _ := json.Marshal(emulatorFile{URL: url, Token: token, PID: os.Getpid(), Scale: scale})
	tmp := infoPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		err = os.Rename(tmp, infoPath)
	}
	if err != nil {
		log.Warn("emulator address not shared", "err", err)
	}
	var once sync.Once
	return &sharedEmulator{url: url, token: token, scale: scale, close: func() {
		once.Do(func() {
			os.Remove(infoPath) // still under the lock: nobody else wrote it
			if err := emu.Close(); err != nil {
				log.Error("emulator state not saved", "err", err)
			}
			lock.Close() // releases the lock
		})
	}}, nil
}

// sandboxToken is the sandbox emulator's auth token for a data directory,
// made once and kept beside its state (as private as emulator.json, which
// carries it too), so that whichever process hosts the emulator next
// accepts what earlier ones signed: webhooks of a call in keypad mode keep
// validating after a takeover. It is called with emulator.lock held.
func sandboxToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "emulator.token")
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); len(t) == 32 {
			if _, err := hex.DecodeString(t); err == nil {
				return t, nil
			}
		}
	}
	tok := make([]byte, 16)
	rand.Read(tok)
	token := hex.EncodeToString(tok)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", err
	}
	return token, nil
}

func reachable(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/") // any answer will do: something listens
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}
