package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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
	close     func()
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
		return &backend{provider: prov, authToken: cfg.AuthToken, timeScale: 1, close: func() {}}, nil
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
	prov, err := twilio.New(twilio.Config{AccountSID: sandboxAccountSID, AuthToken: emu.token, BaseURL: emu.url, Logger: log})
	if err != nil {
		emu.close()
		return nil, err
	}
	return &backend{provider: prov, sandbox: true, authToken: emu.token, timeScale: scale, close: emu.close}, nil
}

// sharedEmulator is the sandbox emulator this process uses.
type sharedEmulator struct {
	url, token string
	close      func()
}

// emulatorFile tells other processes where this data directory's emulator
// listens. It is written by the process holding the lock on emulator.lock.
type emulatorFile struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
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
				return &sharedEmulator{url: info.URL, token: info.Token, close: func() {}}, nil
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
	tok := make([]byte, 16)
	rand.Read(tok)
	token := hex.EncodeToString(tok)
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
	b, _ := json.Marshal(emulatorFile{URL: url, Token: token, PID: os.Getpid()})
	tmp := infoPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		err = os.Rename(tmp, infoPath)
	}
	if err != nil {
		log.Warn("emulator address not shared", "err", err)
	}
	return &sharedEmulator{url: url, token: token, close: func() {
		os.Remove(infoPath)
		if err := emu.Close(); err != nil {
			log.Error("emulator state not saved", "err", err)
		}
		lock.Close() // releases the lock
	}}, nil
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
