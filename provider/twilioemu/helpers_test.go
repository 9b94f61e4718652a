package twilioemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "00112233445566778899aabbccddeeff"
	testKey   = "SK0123456789abcdef0123456789abcdef"
	testKeyPw = "keysecret"
)

// emu starts an emulator on 127.0.0.1:0 with cfg adjusted by mod and
// closes it when the test ends.
func emu(t *testing.T, mod func(*Config)) (*Server, string) {
	t.Helper()
	cfg := Config{AccountSID: testSID, AuthToken: testToken, APIKeys: map[string]string{testKey: testKeyPw}, Seed: 7}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, base
}

// rewriter sends api.twilio.com and pricing.twilio.com requests to the
// emulator, and refuses any other host.
type rewriter struct{ base *url.URL }

func (rw rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.URL.Host {
	case "api.twilio.com", "pricing.twilio.com":
	default:
		return nil, fmt.Errorf("unmapped host %s", req.URL.Host)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rw.base.Scheme, rw.base.Host, ""
	return http.DefaultTransport.RoundTrip(r)
}

// rest is a twilio-go client talking to the emulator at base.
func rest(t *testing.T, base string) *twilio.RestClient {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c := &client.Client{
		Credentials: client.NewCredentials(testSID, testToken),
		HTTPClient:  &http.Client{Transport: rewriter{u}, Timeout: 10 * time.Second},
	}
	c.SetAccountSid(testSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// call sends a raw authenticated request and decodes a JSON answer into out
// (when out is non-nil). It returns the status.
func doJSON(t *testing.T, method, target string, form url.Values, out any) int {
	t.Helper()
	resp := send(t, method, target, form, testSID, testToken)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, target, b, err)
		}
	}
	return resp.StatusCode
}

func send(t *testing.T, method, target string, form url.Values, user, pass string) *http.Response {
	t.Helper()
	var body io.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		if len(form) > 0 {
			target += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func acct(base string) string { return base + "/2010-04-01/Accounts/" + testSID }

// restErr returns err as a Twilio REST error, failing the test otherwise.
func restErr(t *testing.T, err error) *client.TwilioRestError {
	t.Helper()
	var te *client.TwilioRestError
	if !errors.As(err, &te) {
		t.Fatalf("want a TwilioRestError, got %v", err)
	}
	return te
}

// eventually polls cond every 2 ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
