package integration

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilio/contract"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	contract.StopAll()
	if err := pgtest.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	// authToken is distinctive so that a leak is easy to find.
	authToken = "5ec2e7005ec2e7005ec2e7005ec2e700"
)

// logBuf collects every log line of a test.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// world is an emulator, the adapter talking to it over HTTP, a store and
// the reservation engine, all logging to one buffer.
type world struct {
	emu   *twilioemu.Server
	url   string
	prov  *twilio.Provider
	db    *store.DB
	res   *dialer.Reservations
	logs  *logBuf
	clock *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type opts struct {
	emu       twilioemu.Config
	adapter   twilio.Config
	transport http.RoundTripper
}

func newWorld(t testing.TB, o opts) *world {
	t.Helper()
	logs := &logBuf{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ec := o.emu
	ec.AccountSID, ec.AuthToken, ec.Logger = accountSID, authToken, log.With("side", "emulator")
	if ec.TimeScale == 0 {
		ec.TimeScale = 0.005
	}
	emu, err := twilioemu.New(ec)
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	ac := o.adapter
	ac.AccountSID, ac.AuthToken, ac.Logger = accountSID, authToken, log.With("side", "adapter")
	if ac.BaseURL == "" && ac.BaseURLs == nil {
		ac.BaseURL = url
	}
	if ac.Retry.BaseDelay == 0 {
		ac.Retry.BaseDelay = 5 * time.Millisecond
	}
	if o.transport != nil {
		ac.HTTPClient = &http.Client{Transport: o.transport}
	}
	prov, err := twilio.New(ac)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dialer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Now().UTC()}
	return &world{emu: emu, url: url, prov: prov, db: db, logs: logs, clock: c,
		res: &dialer.Reservations{Store: db, Provider: prov, Clock: c, Logger: log.With("side", "engine")}}
}

// purchases counts the number purchases the emulator answered.
func (w *world) purchases() int {
	n := 0
	for _, r := range w.emu.Requests() {
		if r.Method == "POST" && filepath.Base(r.Path) == "IncomingPhoneNumbers.json" && r.Status == 201 {
			n++
		}
	}
	return n
}

func (w *world) charges(t testing.TB) []dialer.Charge {
	t.Helper()
	cs, err := w.db.Charges(context.Background(), dialer.ChargeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func contact(phone string) dialer.Contact { return dialer.Contact{Name: "Dana Scully", Phone: phone} }
