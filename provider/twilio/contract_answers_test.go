package twilio

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio/contract"
)

// Contract tests of responses: answers holding the nulls and odd values
// Twilio's spec allows, served by a recording server behind a Prism proxy.
// The proxy holds each answer to the spec with no allowance for nulls the
// spec does not declare (so every null here is one the spec allows), and
// the adapter must read each one without failing and without refusing
// wrongly.

// nullCall is a call resource with every field the adapter reads null
// except sid and status (the spec's one non-nullable field).
func nullCall(sid, status string) string {
	return `{"sid": "` + sid + `", "status": "` + status + `", "account_sid": null, "parent_call_sid": null,
		"to": null, "from": null, "direction": null, "answered_by": null, "date_created": null, "date_updated": null,
		"start_time": null, "end_time": null, "duration": null, "price": null, "price_unit": null, "queue_time": null,
		"uri": null, "subresource_uris": null}`
}

func nullNumber(sid string) string {
	return `{"sid": "` + sid + `", "account_sid": null, "phone_number": null, "friendly_name": null, "voice_url": null,
		"date_created": null, "date_updated": null, "capabilities": null, "address_requirements": "none",
		"voice_receive_mode": "voice", "emergency_status": "Inactive", "emergency_address_status": "unregistered"}`
}

// answers is the recording server's script: the body for "METHOD
// path-suffix", answered 201 for POSTs that create, 200 otherwise.
type answers struct {
	mu     sync.Mutex
	bodies map[string]string
}

func (a *answers) set(key, body string) {
	a.mu.Lock()
	a.bodies[key] = body
	a.mu.Unlock()
}

func (a *answers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for key, body := range a.bodies {
		method, suffix, _ := strings.Cut(key, " ")
		if r.Method == method && strings.HasSuffix(r.URL.Path, suffix) {
			status := http.StatusOK
			if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/Calls.json") || strings.HasSuffix(r.URL.Path, "/IncomingPhoneNumbers.json")) {
				status = http.StatusCreated
			}
			writeJSON(w, status, body)
			return
		}
	}
	twilioError(w, http.StatusNotFound, 20404, "no answer scripted for "+r.Method+" "+r.URL.Path)
}

func TestContractSpecAllowedAnswers(t *testing.T) {
	contract.Require(t)
	t.Parallel() // Prism's start-up overlaps the other response test's
	script := &answers{bodies: map[string]string{}}
	up := httptest.NewServer(script)
	t.Cleanup(up.Close)
	px := contract.StartProxies(t, up.URL)
	rec := contract.NewRecorder(http.DefaultTransport, px.Specs)
	// Every known deviation but the one that excuses undeclared nulls.
	rec.Allow = slices.DeleteFunc(slices.Clone(contract.KnownDeviations), func(a contract.Allowance) bool { return a.Only == "null" })
	p := providerThrough(t, px, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cases := []struct {
		name   string
		answer map[string]string // scripted bodies for this case
		call   func() (any, error)
		ok     func(v any, err error) bool
	}{
		{"Balance null", map[string]string{"GET /Balance.json": `{"account_sid": "` + testAccountSID + `", "balance": null, "currency": null}`},
			func() (any, error) { return p.Balance(ctx) },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.EBALANCEUNKNOWN }},
		{"Balance null, currency given", map[string]string{"GET /Balance.json": `{"account_sid": null, "balance": null, "currency": "USD"}`},
			func() (any, error) { return p.Balance(ctx) },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.EBALANCEUNKNOWN }},
		{"Balance negative", map[string]string{"GET /Balance.json": `{"account_sid": null, "balance": "-0.50", "currency": "usd"}`},
			func() (any, error) { return p.Balance(ctx) },
			func(v any, err error) bool { return err == nil && v.(dialer.Money) == dialer.MustMoney("-0.5", "USD") }},
		{"FetchCall, all null but sid and status", map[string]string{"GET /Calls/" + testCallSID + ".json": nullCall(testCallSID, "in-progress")},
			func() (any, error) { return p.FetchCall(ctx, testCallSID) },
			func(v any, err error) bool {
				c, _ := v.(dialer.CallInfo)
				return err == nil && c.SID == testCallSID && c.Status == dialer.CallInProgress && c.Price == nil &&
					c.StartedAt.IsZero() && c.EndedAt.IsZero() && c.Duration == 0
			}},
		{"FetchCall, price without unit", map[string]string{"GET /Calls/" + testCallSID + ".json": strings.Replace(nullCall(testCallSID, "completed"),
			`"price": null`, `"price": "-0.01400"`, 1)},
			func() (any, error) { return p.FetchCall(ctx, testCallSID) },
			func(v any, err error) bool {
				c, _ := v.(dialer.CallInfo)
				return err == nil && c.Price != nil && *c.Price == dialer.MustMoney("0.014", "USD")
			}},
		{"FetchCall, empty duration", map[string]string{"GET /Calls/" + testCallSID + ".json": strings.Replace(nullCall(testCallSID, "busy"),
			`"duration": null`, `"duration": ""`, 1)},
			func() (any, error) { return p.FetchCall(ctx, testCallSID) },
			func(v any, err error) bool { return err == nil && v.(dialer.CallInfo).Duration == 0 }},
		{"ChildCalls, all null", map[string]string{"GET /Calls.json": `{"calls": [` + nullCall(testChildSID, "ringing") + `], "next_page_uri": null,
			"previous_page_uri": null, "page": 0, "page_size": 50, "start": 0, "end": 0}`},
			func() (any, error) { return p.ChildCalls(ctx, testCallSID) },
			func(v any, err error) bool {
				c, _ := v.([]dialer.CallInfo)
				return err == nil && len(c) == 1 && c[0].SID == testChildSID && c[0].ParentSID == ""
			}},
		{"ChildCalls, none", map[string]string{"GET /Calls.json": `{"calls": [], "next_page_uri": null}`},
			func() (any, error) { return p.ChildCalls(ctx, testCallSID) },
			func(v any, err error) bool { return err == nil && len(v.([]dialer.CallInfo)) == 0 }},
		{"CreateCall, all null but sid and status", map[string]string{"POST /Calls.json": nullCall(testCallSID, "queued")},
			func() (any, error) {
				return p.CreateCall(ctx, dialer.CallRequest{To: "+14155550100", From: "+14155550199", Say: "Calling Acme", Hold: time.Minute})
			},
			func(v any, err error) bool { return err == nil && v.(dialer.CallInfo).SID == testCallSID }},
		{"UpdateCall hangup, all null", map[string]string{"POST /Calls/" + testCallSID + ".json": nullCall(testCallSID, "completed")},
			func() (any, error) { return p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Hangup: true}) },
			func(v any, err error) bool { return err == nil && v.(dialer.CallInfo).Status == dialer.CallCompleted }},
		{"SearchNumbers, phone_number null", map[string]string{"GET /AvailablePhoneNumbers/US/Local.json": `{"available_phone_numbers": [
			{"phone_number": null, "friendly_name": null, "locality": null, "region": null, "postal_code": null, "iso_country": null,
			 "lata": null, "rate_center": null, "latitude": null, "longitude": null, "address_requirements": null, "beta": null, "capabilities": null},
			{"phone_number": "+14155550123", "friendly_name": null, "locality": null, "region": null, "postal_code": null, "iso_country": null,
			 "address_requirements": null, "capabilities": {"voice": true, "SMS": false, "MMS": false, "fax": false}}],
			"next_page_uri": null, "previous_page_uri": null}`},
			func() (any, error) {
				return p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "415", Limit: 5})
			},
			func(v any, err error) bool {
				a, _ := v.([]dialer.AvailableNumber)
				return err == nil && len(a) == 1 && a[0].PhoneNumber == "+14155550123"
			}},
		{"SearchNumbers, none", map[string]string{"GET /AvailablePhoneNumbers/US/Local.json": `{"available_phone_numbers": [], "next_page_uri": null}`},
			func() (any, error) {
				return p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "415", Limit: 5})
			},
			func(v any, err error) bool { return err == nil && len(v.([]dialer.AvailableNumber)) == 0 }},
		{"ListNumbers, all null but sid", map[string]string{"GET /IncomingPhoneNumbers.json": `{"incoming_phone_numbers": [` + nullNumber(testNumberSID) + `],
			"next_page_uri": null, "previous_page_uri": null}`},
			func() (any, error) { return p.ListNumbers(ctx) },
			func(v any, err error) bool {
				n, _ := v.([]dialer.OwnedNumber)
				return err == nil && len(n) == 1 && n[0].SID == testNumberSID && n[0].CreatedAt.IsZero()
			}},
		{"BuyNumber, all null but sid", map[string]string{"POST /IncomingPhoneNumbers.json": nullNumber(testNumberSID)},
			func() (any, error) { return p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "415"}) },
			func(v any, err error) bool { return err == nil && v.(dialer.OwnedNumber).SID == testNumberSID }},
		{"UpdateNumber, all null but sid", map[string]string{"POST /IncomingPhoneNumbers/" + testNumberSID + ".json": nullNumber(testNumberSID)},
			func() (any, error) {
				name := "renamed"
				return p.UpdateNumber(ctx, testNumberSID, dialer.NumberUpdate{FriendlyName: &name})
			},
			func(v any, err error) bool { return err == nil && v.(dialer.OwnedNumber).SID == testNumberSID }},
		{"NumberMonthlyPrice, current price missing", map[string]string{"GET /v1/PhoneNumbers/Countries/US": `{"country": null, "iso_country": "US",
			"price_unit": "usd", "url": null, "phone_number_prices": [{"number_type": "local", "base_price": "1.15"}]}`},
			func() (any, error) { return p.NumberMonthlyPrice(ctx, "US") },
			func(v any, err error) bool { return err == nil && v.(dialer.Money) == dialer.MustMoney("1.15", "USD") }},
		{"NumberMonthlyPrice, prices null", map[string]string{"GET /v1/PhoneNumbers/Countries/US": `{"country": null, "iso_country": null,
			"price_unit": null, "url": null, "phone_number_prices": null}`},
			func() (any, error) { return p.NumberMonthlyPrice(ctx, "US") },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.ENOTFOUND }},
		{"NumberMonthlyPrice, price_unit null", map[string]string{"GET /v1/PhoneNumbers/Countries/US": `{"country": null, "iso_country": "US",
			"price_unit": null, "url": null, "phone_number_prices": [{"number_type": "local", "base_price": "1.15", "current_price": "1.15"}]}`},
			func() (any, error) { return p.NumberMonthlyPrice(ctx, "US") },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.ENOTFOUND }},
		// The spec types these prices as numbers: read exactly.
		{"VoiceRate, number prices and nulls", map[string]string{"GET /v2/Voice/Numbers/+14155550100": `{"destination_number": null,
			"origination_number": null, "country": null, "iso_country": null, "price_unit": "USD", "url": null, "inbound_call_price": null,
			"outbound_call_prices": [{"base_price": 0.0085, "current_price": 0.0085, "origination_prefixes": ["ALL"]}]}`},
			func() (any, error) { return p.VoiceRate(ctx, "+14155550100", "+14155550199") },
			func(v any, err error) bool {
				return err == nil && v.(dialer.Money) == dialer.MustMoney("0.0085", "USD")
			}},
		{"VoiceRate, prices null", map[string]string{"GET /v2/Voice/Numbers/+14155550100": `{"destination_number": null,
			"origination_number": null, "price_unit": "USD", "inbound_call_price": null, "outbound_call_prices": null}`},
			func() (any, error) { return p.VoiceRate(ctx, "+14155550100", "+14155550199") },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.ENOTFOUND }},
		{"VoiceRate, price_unit null", map[string]string{"GET /v2/Voice/Numbers/+14155550100": `{"price_unit": null,
			"outbound_call_prices": [{"base_price": "0.013", "current_price": "0.013", "origination_prefixes": ["ALL"]}]}`},
			func() (any, error) { return p.VoiceRate(ctx, "+14155550100", "+14155550199") },
			func(_ any, err error) bool { return dialer.ErrorKind(err) == dialer.ENOTFOUND }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.answer {
				script.set(k, v)
			}
			before := len(rec.Exchanges())
			v, err := tc.call()
			record(err)
			if !tc.ok(v, err) {
				t.Errorf("got %+v, err %v (kind %s)", v, err, dialer.ErrorKind(err))
			}
			exs := rec.Exchanges()[before:]
			if len(exs) == 0 {
				t.Error("no request went through the proxy")
			}
			for _, ex := range exs {
				if ex.Op == "" || ex.Status >= 300 {
					t.Errorf("%s %s: operation %q, HTTP %d: %s", ex.Method, ex.Path, ex.Op, ex.Status, ex.Body)
				}
			}
			rec.Verify(t)
			if t.Failed() {
				t.Logf("Prism output:\n%s", tail(px.Logs(), 4000))
			}
		})
	}

	// The check is not vacuous: a null the spec does not allow is caught.
	script.set("GET /AvailablePhoneNumbers/US/Local.json", `{"available_phone_numbers": null, "next_page_uri": null}`)
	if _, err := p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US"}); err != nil {
		t.Errorf("search: %v", err)
	}
	probs := strings.Join(rec.Problems(), "\n")
	rec.Reset()
	if !strings.Contains(probs, "response.body.available_phone_numbers") {
		t.Errorf("a null list was not reported; problems: %q", probs)
	}
}

// Answers Prism generates from the spec's schemas with a fixed seed: any
// nullable field may be null and strings hold arbitrary text. Whatever
// comes, the adapter must not crash, and what it cannot use it must say it
// could not read (or, for a null balance or price, that Twilio does not
// tell it), never blame the caller's input.
func TestContractGeneratedAnswers(t *testing.T) {
	contract.Require(t)
	t.Parallel()
	p, rec, _ := contractProvider(t, contract.Dynamic(http.DefaultTransport, 7))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := "renamed"
	calls := []struct {
		name string
		call func() (any, error)
	}{
		{"SearchNumbers", func() (any, error) {
			return p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "415", Limit: 5})
		}},
		{"BuyNumber", func() (any, error) { return p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "415"}) }},
		{"UpdateNumber", func() (any, error) {
			return p.UpdateNumber(ctx, testNumberSID, dialer.NumberUpdate{FriendlyName: &name})
		}},
		{"ListNumbers", func() (any, error) { return p.ListNumbers(ctx) }},
		{"CreateCall", func() (any, error) {
			return p.CreateCall(ctx, dialer.CallRequest{To: "+14155550100", From: "+14155550199", Say: "Hi", Hold: time.Minute})
		}},
		{"FetchCall", func() (any, error) { return p.FetchCall(ctx, testCallSID) }},
		{"UpdateCall", func() (any, error) { return p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Hangup: true}) }},
		{"ChildCalls", func() (any, error) { return p.ChildCalls(ctx, testCallSID) }},
		{"Balance", func() (any, error) { return p.Balance(ctx) }},
		{"NumberMonthlyPrice", func() (any, error) { return p.NumberMonthlyPrice(ctx, "US") }},
		{"VoiceRate", func() (any, error) { return p.VoiceRate(ctx, "+14155550100", "+14155550199") }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			v, err := c.call()
			record(err)
			rec.Verify(t) // the requests still follow the spec
			if err == nil {
				t.Logf("read: %+v", v)
				return
			}
			msg := dialer.ErrorMessage(err)
			t.Logf("%s: %s", dialer.ErrorKind(err), msg)
			var de *dialer.Error
			if !errors.As(err, &de) || strings.Contains(msg, "\n") {
				t.Fatalf("not one sentence of a *dialer.Error: %#v", err)
			}
			switch k := dialer.ErrorKind(err); k {
			case dialer.EINTERNAL, dialer.EUNAVAILABLE:
				if !strings.Contains(msg, "Twilio's answer could not be read") || !strings.Contains(msg, "(") {
					t.Errorf("%s without what could not be read: %q", k, msg)
				}
			case dialer.EBALANCEUNKNOWN, dialer.ENOTFOUND:
				if !strings.HasPrefix(msg, "Twilio ") {
					t.Errorf("%s: %q", k, msg)
				}
			default:
				t.Errorf("kind %s for a generated answer: %q", k, msg)
			}
		})
	}
	if n := len(rec.Exchanges()); n < len(calls) {
		t.Errorf("%d requests for %d calls", n, len(calls))
	}
}
