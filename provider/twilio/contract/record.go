package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Violation is one entry of Prism's sl-violations header.
type Violation struct {
	Location []string `json:"location"`
	Severity string   `json:"severity"`
	Code     any      `json:"code"`
	Message  string   `json:"message"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.Severity, strings.Join(v.Location, "."), v.Message)
}

// Allowance excuses violations that are the spec's own known deviations
// from the live API, not faults of the server under test.
type Allowance struct {
	Location *regexp.Regexp // matched against the dotted location
	Message  *regexp.Regexp // matched against the message
	// Only limits the allowance to one kind of value in the response body
	// at the location: "null" or "empty" (the empty string). A wrong
	// value of any other kind stays a violation.
	Only string
	// Op limits the allowance to one spec operation, "METHOD template"
	// as the spec spells it ("POST /2010-04-01/Accounts/{AccountSid}/
	// Calls/{Sid}.json"). Empty: any operation.
	Op string
	// Status limits the allowance to one HTTP status. 0: any.
	Status int
	// TwilioCode, when set, requires the response body to be Twilio's
	// error object ({"code", "message", "more_info", "status"}) with
	// this code and with status equal to the HTTP status.
	TwilioCode int
	Why        string
}

func (a Allowance) allows(v Violation, ex *Exchange) bool {
	if a.Op != "" && a.Op != ex.Op {
		return false
	}
	if a.Status != 0 && a.Status != ex.Status {
		return false
	}
	if a.TwilioCode != 0 && !isTwilioError(ex.Body, a.TwilioCode, ex.Status) {
		return false
	}
	return a.Location.MatchString(strings.Join(v.Location, ".")) && a.Message.MatchString(v.Message)
}

// isTwilioError reports whether body is Twilio's error object with code
// and status.
func isTwilioError(body []byte, code, status int) bool {
	var e struct {
		Code     *int    `json:"code"`
		Message  *string `json:"message"`
		MoreInfo *string `json:"more_info"`
		Status   *int    `json:"status"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code == nil || e.Message == nil || e.MoreInfo == nil || e.Status == nil {
		return false
	}
	return *e.Code == code && *e.Status == status && *e.Message != "" && *e.MoreInfo != ""
}

// undeclaredStatus is Prism's message for a status code the operation
// does not declare; it ends with the codes the spec does declare (not the
// one returned). Prism makes it a Warning for a non-2xx status, an Error
// for an undeclared 2xx.
const undeclaredStatus = `^Unable to match the returned status code with those defined in the document: `

// KnownDeviations are the places where Twilio's OpenAPI specs disagree
// with what api.twilio.com and pricing.twilio.com actually send (and with
// Twilio's own examples in the same specs). Keep this list short: each
// entry hides a class of problems.
var KnownDeviations = []Allowance{
	{
		// The spec types latitude/longitude as numbers; Twilio sends
		// strings ("37.770000"), as the spec's own examples show.
		Location: regexp.MustCompile(`^response\.body\.available_phone_numbers\.\d+\.(latitude|longitude)$`),
		Message:  regexp.MustCompile(`must be number`),
		Why:      "lat/long are strings on the wire",
	},
	{
		// Prices are "number" with x-twilio overrideType string: Twilio
		// sends decimal strings ("-0.02800", "1.15").
		Location: regexp.MustCompile(`(^|\.)(price|base_price|current_price)$`),
		Message:  regexp.MustCompile(`must be number`),
		Why:      "prices are decimal strings on the wire",
	},
	{
		// uri fields are paths relative to the host ("/2010-04-01/..."),
		// not absolute URIs as format "uri" demands.
		Location: regexp.MustCompile(`(^|\.)(uri|first_page_uri|next_page_uri|previous_page_uri|subresource_uris\.[a-z_]+)$`),
		Message:  regexp.MustCompile(`must match format "uri"`),
		Why:      "uri fields are host-relative paths",
	},
	{
		// Some fields Twilio sends as null are not marked nullable (the
		// spec's own pricing v2 example: inbound_call_price.number_type).
		Location: regexp.MustCompile(`^response\.body\.`),
		Message:  regexp.MustCompile(`must be (string|number|integer|boolean|object|array)$`),
		Only:     "null",
		Why:      "null where the spec lacks nullable",
	},
	{
		// Twilio sends "" for unset URLs and SIDs (sms_url,
		// voice_application_sid, ...); the spec's formats and patterns
		// do not allow the empty string. Twilio's own examples do it too.
		Location: regexp.MustCompile(`^response\.body\.`),
		Message:  regexp.MustCompile(`must match format "uri"|must match pattern|must NOT have fewer than`),
		Only:     "empty",
		Why:      "empty string for unset URLs and SIDs",
	},
	{
		// Prism does not coerce header strings: "true" fails type
		// boolean. (Twilio and Prism itself send this CORS header.)
		Location: regexp.MustCompile(`^response\.header\.access-control-allow-credentials$`),
		Message:  regexp.MustCompile(`must be boolean`),
		Why:      "Prism checks header strings against type boolean",
	},
	// Twilio's specs declare no error response for any operation (only
	// 200/201/202/204/307), so Prism flags every Twilio error answer with
	// undeclaredStatus. Excuse the errors the adapter relies on, one
	// operation, status and Twilio code at a time, and only with Twilio's
	// error body (which no schema checks otherwise).
	{
		// Hanging up a call that has ended: the adapter maps 21220 to
		// call_ended (it tries Status=completed, then canceled).
		Op:         "POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
		Status:     http.StatusBadRequest,
		TwilioCode: 21220,
		Location:   regexp.MustCompile(`^response$`),
		Message:    regexp.MustCompile(undeclaredStatus + `200$`),
		Why:        "the spec declares no error responses (21220: call not in progress)",
	},
	{
		// Releasing a number that is gone: the adapter maps 20404 to
		// not_found.
		Op:         "DELETE /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
		Status:     http.StatusNotFound,
		TwilioCode: 20404,
		Location:   regexp.MustCompile(`^response$`),
		Message:    regexp.MustCompile(undeclaredStatus + `204$`),
		Why:        "the spec declares no error responses (20404: not found)",
	},
}

// Exchange is one request the Recorder saw and its answer.
type Exchange struct {
	Method, Host, Path string
	// Op is the spec operation the request matched, "METHOD template";
	// empty when the Recorder has no Specs or none matched.
	Op          string
	Query, Form url.Values
	Status      int
	Body        []byte
	Violations  []Violation
}

// Recorder is an http.RoundTripper that checks traffic to Prism:
//   - every query and form parameter name is declared by the spec
//     operation (Prism silently ignores misspelled optional ones);
//   - Prism did not refuse the request (422 and other 4xx it generates,
//     whose problem+json body is kept for the failure message);
//   - the sl-violations header holds nothing beyond Allow (a Prism proxy
//     reports the upstream's response violations there).
//
// Use it as the base transport of the client under test, then call Verify.
type Recorder struct {
	Base  http.RoundTripper // nil: http.DefaultTransport
	Specs *Specs
	Allow []Allowance // nil: KnownDeviations
	// IgnoreResponse skips response violations: set it against Prism
	// mocks, whose responses are the spec's own examples (which break the
	// spec's schemas here and there) rather than a server under test.
	IgnoreResponse bool

	mu        sync.Mutex
	exchanges []Exchange
	problems  []string
}

// NewRecorder returns a Recorder over base for specs.
func NewRecorder(base http.RoundTripper, specs *Specs) *Recorder {
	return &Recorder{Base: base, Specs: specs}
}

func (r *Recorder) problem(format string, args ...any) {
	r.mu.Lock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// RoundTrip records and checks one exchange.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := Exchange{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, Query: req.URL.Query()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
			if ex.Form, err = url.ParseQuery(string(b)); err != nil {
				r.problem("%s %s: unreadable form body: %v", req.Method, req.URL.Path, err)
			}
		}
	}
	op := req.Method + " " + req.URL.Path
	if r.Specs != nil {
		tmpl, unknown, err := r.Specs.Undeclared(req.Method, req.URL.Path, ex.Query, ex.Form)
		if err != nil {
			r.problem("%s: %v", op, err)
		} else {
			ex.Op = req.Method + " " + tmpl
		}
		if len(unknown) > 0 {
			r.problem("%s: parameters not declared by the spec operation %s %s: %s", op, req.Method, tmpl, strings.Join(unknown, ", "))
		}
	}
	base := r.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.Status, ex.Body = resp.StatusCode, body

	if resp.StatusCode == http.StatusUnprocessableEntity || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		r.problem("%s: Prism refused it (HTTP %d): %s", op, resp.StatusCode, body)
	}
	if h := resp.Header.Get("sl-violations"); h != "" {
		if err := json.Unmarshal([]byte(h), &ex.Violations); err != nil {
			r.problem("%s: unreadable sl-violations header: %.500s", op, h)
		}
		for _, v := range ex.Violations {
			if r.IgnoreResponse && len(v.Location) > 0 && v.Location[0] == "response" {
				continue
			}
			if !r.allowed(v, &ex) {
				// The status tells apart exchanges on one path (an update
				// that worked, and a later one refused).
				r.problem("%s (HTTP %d): spec violation: %s", op, resp.StatusCode, v)
			}
		}
	}
	r.mu.Lock()
	r.exchanges = append(r.exchanges, ex)
	r.mu.Unlock()
	return resp, nil
}

func (r *Recorder) allowed(v Violation, ex *Exchange) bool {
	allow := r.Allow
	if allow == nil {
		allow = KnownDeviations
	}
	for _, a := range allow {
		if !a.allows(v, ex) {
			continue
		}
		if a.Only != "" {
			val, ok := valueAt(ex.Body, v.Location)
			if !ok || (a.Only == "null" && val != nil) || (a.Only == "empty" && val != "") {
				continue // another kind of wrong value: a real violation
			}
		}
		return true
	}
	return false
}

// valueAt returns the JSON value in body at location ("response",
// "body", key, index, ...).
func valueAt(body []byte, loc []string) (any, bool) {
	if len(loc) < 2 || loc[0] != "response" || loc[1] != "body" {
		return nil, false
	}
	var cur any
	if json.Unmarshal(body, &cur) != nil {
		return nil, false
	}
	for _, k := range loc[2:] {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// Exchanges returns every exchange the Recorder saw since it was made or
// last Reset (Verify keeps them).
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exchanges...)
}

// Problems returns the failures found so far.
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

// Reset forgets exchanges and problems.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.exchanges, r.problems = nil, nil
	r.mu.Unlock()
}

// Verify fails t for every problem found, then forgets the problems, so
// that a later Verify reports only new ones. The exchanges stay: callers
// check Exchanges after Verify to see how much traffic was checked.
func (r *Recorder) Verify(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	probs := r.problems
	r.problems = nil
	r.mu.Unlock()
	for _, p := range probs {
		t.Error(p)
	}
}
