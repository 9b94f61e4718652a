package twilio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio/contract"
)

// Contract tests: every Provider method against Prism mocks of Twilio's
// own OpenAPI specs (static examples). Prism answers 422 to requests that
// break the spec; the Recorder also fails on parameter names the spec
// operation does not declare, and on sl-violations beyond the spec's
// known deviations. Skipped without the Node packages (see
// contract.Require); DIALER_CONTRACT=1 makes that a failure.

// contractProvider is a Provider on the shared Prism mocks, its requests
// checked by a Recorder over base.
func contractProvider(t *testing.T, base http.RoundTripper) (*Provider, *contract.Recorder, *contract.Mocks) {
	t.Helper()
	m := contract.SharedMocks(t)
	rec := contract.NewRecorder(base, m.Specs)
	// Mock responses are Twilio's own examples, or generated from its
	// schemas: only requests are checked.
	rec.IgnoreResponse = true
	return providerThrough(t, m, rec), rec, m
}

// providerThrough is a Provider on pair's servers whose every request
// goes through rec, without retries.
func providerThrough(t *testing.T, pair *contract.Pair, rec *contract.Recorder) *Provider {
	t.Helper()
	p, err := New(Config{
		AccountSID: testAccountSID,
		AuthToken:  testAuthToken,
		BaseURLs:   pair.BaseURLs(),
		HTTPClient: &http.Client{Transport: rec},
		Timeout:    10 * time.Second,
		Retry:      RetryPolicy{MaxAttempts: 1},
		Logger:     testLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContractEveryMethod(t *testing.T) {
	p, rec, m := contractProvider(t, http.DefaultTransport)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	str := func(s string) *string { return &s }

	cases := []struct {
		name string
		op   string // METHOD and path suffix the adapter must have called
		call func() (any, error)
		ok   func(v any) bool
	}{
		{"SearchNumbers", "GET /AvailablePhoneNumbers/US/Local.json", func() (any, error) {
			return p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "808", Contains: "925",
				Region: "HI", Locality: "Hilo", PostalCode: "96720", NearNumber: "+18089251571", Limit: 5})
		}, func(v any) bool { a := v.([]dialer.AvailableNumber); return len(a) > 0 && a[0].PhoneNumber != "" }},
		{"BuyNumber by area code", "POST /IncomingPhoneNumbers.json", func() (any, error) {
			return p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "415", FriendlyName: "dialer:415", VoiceURL: "https://example.com/voice"})
		}, func(v any) bool { return strings.HasPrefix(v.(dialer.OwnedNumber).SID, "PN") }},
		{"BuyNumber exactly", "POST /IncomingPhoneNumbers.json", func() (any, error) {
			return p.BuyNumber(ctx, dialer.BuyRequest{PhoneNumber: "+14155550123", FriendlyName: "dialer:dedicated"})
		}, func(v any) bool { return !v.(dialer.OwnedNumber).CreatedAt.IsZero() }},
		{"UpdateNumber", "POST /IncomingPhoneNumbers/" + testNumberSID + ".json", func() (any, error) {
			return p.UpdateNumber(ctx, testNumberSID, dialer.NumberUpdate{FriendlyName: str("renamed"), VoiceURL: str("https://example.com/v2")})
		}, func(v any) bool { return v.(dialer.OwnedNumber).SID != "" }},
		{"ReleaseNumber", "DELETE /IncomingPhoneNumbers/" + testNumberSID + ".json", func() (any, error) {
			return nil, p.ReleaseNumber(ctx, testNumberSID)
		}, nil},
		{"ListNumbers", "GET /IncomingPhoneNumbers.json", func() (any, error) {
			return p.ListNumbers(ctx)
		}, func(v any) bool { return len(v.([]dialer.OwnedNumber)) > 0 }},
		{"CreateCall hold", "POST /Calls.json", func() (any, error) {
			return p.CreateCall(ctx, dialer.CallRequest{To: "+14155550100", From: "+14155550199", Say: "Calling Acme",
				Hold: 5 * time.Minute, RingTimeout: 25 * time.Second, TimeLimit: time.Hour, StatusCallback: "https://example.com/status"})
		}, func(v any) bool { return strings.HasPrefix(v.(dialer.CallInfo).SID, "CA") }},
		{"CreateCall dial", "POST /Calls.json", func() (any, error) {
			return p.CreateCall(ctx, dialer.CallRequest{To: "+14155550100", From: "+14155550199",
				Dial: &dialer.Dial{To: "+12125550123", CallerID: "+14155550199", StatusCallback: "https://example.com/leg"}})
		}, nil},
		{"CreateCall gather", "POST /Calls.json", func() (any, error) {
			return p.CreateCall(ctx, dialer.CallRequest{To: "+14155550100", From: "+14155550199",
				Gather: &dialer.Gather{ActionURL: "https://example.com/key", Prompt: "Press a key", Timeout: 5 * time.Second}})
		}, nil},
		{"FetchCall", "GET /Calls/" + testCallSID + ".json", func() (any, error) {
			return p.FetchCall(ctx, testCallSID)
		}, func(v any) bool { return v.(dialer.CallInfo).Status != "" }},
		{"UpdateCall dial", "POST /Calls/" + testCallSID + ".json", func() (any, error) {
			return p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Dial: &dialer.Dial{To: "+12125550123", CallerID: "+14155550199", RingTimeout: 20 * time.Second}})
		}, nil},
		{"UpdateCall hangup", "POST /Calls/" + testCallSID + ".json", func() (any, error) {
			return p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Hangup: true})
		}, nil},
		{"ChildCalls", "GET /Calls.json", func() (any, error) {
			return p.ChildCalls(ctx, testCallSID)
		}, func(v any) bool { return len(v.([]dialer.CallInfo)) > 0 }},
		{"Balance", "GET /Balance.json", func() (any, error) {
			return p.Balance(ctx)
		}, func(v any) bool { return v.(dialer.Money).Currency != "" }},
		{"NumberMonthlyPrice", "GET /v1/PhoneNumbers/Countries/US", func() (any, error) {
			return p.NumberMonthlyPrice(ctx, "US")
		}, func(v any) bool { return v.(dialer.Money) == dialer.MustMoney("1.00", "USD") }},
		// Twilio's example has null inbound prices: twilio-go's own
		// FetchVoiceNumber fails on it; the raw decoding must not.
		{"VoiceRate", "GET /v2/Voice/Numbers/+18001234567", func() (any, error) {
			return p.VoiceRate(ctx, "+18001234567", "+14155550199")
		}, func(v any) bool { return v.(dialer.Money) == dialer.MustMoney("0.013", "USD") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.call()
			if err != nil {
				t.Errorf("%s: %v (kind %s)", tc.name, err, kindOf(err))
			} else if tc.ok != nil && !tc.ok(v) {
				t.Errorf("%s: unexpected result %+v", tc.name, v)
			}
			method, suffix, _ := strings.Cut(tc.op, " ")
			seen := false
			for _, ex := range rec.Exchanges() {
				if ex.Method == method && strings.HasSuffix(ex.Path, suffix) {
					seen = true
					if ex.Status >= 300 {
						t.Errorf("%s %s: HTTP %d: %s", ex.Method, ex.Path, ex.Status, ex.Body)
					}
				}
			}
			if !seen {
				t.Errorf("no %s request seen", tc.op)
			}
			rec.Verify(t)
			if t.Failed() {
				t.Logf("Prism output:\n%s", tail(m.Logs(), 4000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// The spec check is not vacuous: an undeclared name sent through the
// adapter's own transport is reported even though Prism accepts it.
func TestContractCatchesUndeclaredParam(t *testing.T) {
	p, rec, _ := contractProvider(t, http.DefaultTransport)
	s := p.session(context.Background())
	resp, err := s.rh.Get(apiBase+"/2010-04-01/Accounts/"+testAccountSID+"/Calls.json",
		map[string][]string{"ParentCallSID": {testCallSID}}, nil, "") // misspelled: Sid
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	probs := strings.Join(rec.Problems(), "\n")
	rec.Reset()
	if resp.StatusCode != 200 || !strings.Contains(probs, "ParentCallSID") {
		t.Errorf("HTTP %d, problems %q: want Prism's 200 and the recorder's complaint", resp.StatusCode, probs)
	}
}
