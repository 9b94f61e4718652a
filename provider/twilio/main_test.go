package twilio

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio/contract"
)

// Fake credentials in Twilio's shapes. The secrets are what the leak check
// looks for in every error and log line the tests produce.
const (
	testAccountSID = "AC0123456789abcdef0123456789abcdef"
	testAuthToken  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	testAPIKey     = "SKfedcba9876543210fedcba9876543210"
	testAPISecret  = "Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
)

// sink collects every log line and every error string the tests see.
var sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

type sinkWriter struct{}

func (sinkWriter) Write(p []byte) (int, error) {
	sink.mu.Lock()
	defer sink.mu.Unlock()
	return sink.buf.Write(p)
}

var testLogger = slog.New(slog.NewTextHandler(sinkWriter{}, &slog.HandlerOptions{Level: slog.LevelDebug}))

// record adds an error's text (and its user sentence) to the sink.
func record(err error) {
	if err == nil {
		return
	}
	fmt.Fprintf(sinkWriter{}, "error: %s | %s | %#v\n", err.Error(), dialer.ErrorMessage(err), err)
}

// kindOf records err and returns its kind.
func kindOf(err error) dialer.Kind {
	record(err)
	return dialer.ErrorKind(err)
}

func TestMain(m *testing.M) {
	code := m.Run()
	contract.StopAll()
	if leaks := findSecrets(); len(leaks) > 0 {
		fmt.Fprintln(os.Stderr, "FAIL: secrets found in errors or log lines:")
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, "  ", l)
		}
		code = 1
	}
	os.Exit(code)
}

func findSecrets() []string {
	sink.mu.Lock()
	defer sink.mu.Unlock()
	secrets := []string{
		testAuthToken, testAPISecret,
		base64.StdEncoding.EncodeToString([]byte(testAccountSID + ":" + testAuthToken)),
		base64.StdEncoding.EncodeToString([]byte(testAPIKey + ":" + testAPISecret)),
		"Authorization", "Basic ",
	}
	var leaks []string
	for _, line := range strings.Split(sink.buf.String(), "\n") {
		for _, s := range secrets {
			if strings.Contains(line, s) {
				leaks = append(leaks, fmt.Sprintf("%q in %q", s, line))
			}
		}
	}
	return leaks
}

// TestLeakCheckSeesLines proves the sink receives both logs and errors, so
// that the check in TestMain is not vacuous.
func TestLeakCheckSeesLines(t *testing.T) {
	srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) {
		twilioError(w, 401, 20003, "Authenticate")
	})
	p := newTestProvider(t, srv.URL, nil)
	_, err := p.Balance(context.Background())
	if kindOf(err) != dialer.EAUTH {
		t.Fatalf("kind %v, want auth: %v", dialer.ErrorKind(err), err)
	}
	sink.mu.Lock()
	out := sink.buf.String()
	sink.mu.Unlock()
	if !strings.Contains(out, "Balance.json") || !strings.Contains(out, "error: ") {
		t.Fatalf("sink misses log lines or errors:\n%s", out)
	}
}

// fakeTwilio is an httptest server that also checks basic auth the way
// Twilio does.
func fakeTwilio(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || !((u == testAccountSID && p == testAuthToken) || (u == testAPIKey && p == testAPISecret)) {
			twilioError(w, 401, 20003, "Authenticate")
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code": %d, "message": %q, "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`, code, msg, code, status)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// newTestProvider points a Provider at baseURL with fast retries.
func newTestProvider(t *testing.T, baseURL string, edit func(*Config)) *Provider {
	t.Helper()
	cfg := Config{
		AccountSID: testAccountSID,
		AuthToken:  testAuthToken,
		BaseURL:    baseURL,
		Timeout:    5 * time.Second,
		Retry:      RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
		Logger:     testLogger,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}
