package twilio

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

const (
	whPublicBase = "https://dialer.example.com/hooks/"
	whCallSID    = "CA00000000000000000000000000000001"
	whChildSID   = "CA00000000000000000000000000000002"
	whAgentNum   = "+14155550123"
	whContactNum = "+12125550199"
	whCallerID   = "+14155550100"
)

// whHookLog records what the hooks saw; Digits answers with dial/ok.
type whHookLog struct {
	mu       sync.Mutex
	digits   []string // "CallSid digits"
	statuses []dialer.CallInfo
	dial     dialer.Dial
	ok       bool
}

func (l *whHookLog) hooks() WebhookHooks {
	return WebhookHooks{
		Digits: func(sid, digits string) (dialer.Dial, bool) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.digits = append(l.digits, sid+" "+digits)
			return l.dial, l.ok
		},
		Status: func(info dialer.CallInfo) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.statuses = append(l.statuses, info)
		},
	}
}

func (l *whHookLog) calls() (digits []string, statuses []dialer.CallInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.digits...), append([]dialer.CallInfo(nil), l.statuses...)
}

func newTestWebhook(t testing.TB, base string, hooks WebhookHooks) http.Handler {
	t.Helper()
	h, err := NewWebhookHandler(testAuthToken, base, hooks, testLogger)
	if err != nil {
		t.Fatalf("NewWebhookHandler: %v", err)
	}
	return h
}

func whGatherParams(sid, digits string) url.Values {
	return url.Values{
		"AccountSid": {testAccountSID}, "ApiVersion": {"2010-04-01"},
		"CallSid": {sid}, "CallStatus": {"in-progress"}, "Direction": {"outbound-api"},
		"Called": {whAgentNum}, "Caller": {whCallerID},
		"From": {whCallerID}, "To": {whAgentNum},
		"Digits": {digits}, "FinishedOnKey": {""}, "msg": {"Gather End"},
	}
}

// whPost is a form POST to localPath, signed with token for signURL
// (unsigned when token is empty).
func whPost(localPath, signURL, token string, params url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, localPath, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-Twilio-Signature", twilioemu.Signature(token, signURL, params))
	}
	return req
}

func whServe(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// whTwiML is the part of TwiML the handler answers with.
type whTwiML struct {
	XMLName xml.Name   `xml:"Response"`
	Say     []string   `xml:"Say"`
	Hangup  []struct{} `xml:"Hangup"`
	Dial    []struct {
		CallerID string `xml:"callerId,attr"`
		Timeout  string `xml:"timeout,attr"`
		Numbers  []struct {
			StatusCallback       string `xml:"statusCallback,attr"`
			StatusCallbackMethod string `xml:"statusCallbackMethod,attr"`
			StatusCallbackEvent  string `xml:"statusCallbackEvent,attr"`
			Number               string `xml:",chardata"`
		} `xml:"Number"`
	} `xml:"Dial"`
	Other []struct {
		XMLName xml.Name
	} `xml:",any"`
}

// whParseTwiML checks that rec is a 200 TwiML answer and well-formed XML
// (every token), and decodes it.
func whParseTwiML(t testing.TB, rec *httptest.ResponseRecorder) whTwiML {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("Content-Type %q, want text/xml", ct)
	}
	if err := whWellFormed(rec.Body.Bytes()); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, rec.Body)
	}
	var doc whTwiML
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("TwiML: %v\n%s", err, rec.Body)
	}
	return doc
}

func whWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	roots := 0
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if roots != 1 || depth != 0 {
				return errors.New("not exactly one complete root element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func whIsGoodbye(doc whTwiML) bool {
	return len(doc.Dial) == 0 && len(doc.Say) == 1 && len(doc.Hangup) == 1 && len(doc.Other) == 0
}

func TestWebhookURLs(t *testing.T) {
	for _, base := range []string{"https://dialer.example.com/hooks", "https://dialer.example.com/hooks/", "https://dialer.example.com/hooks//"} {
		if got, want := GatherURL(base), "https://dialer.example.com/hooks/twilio/gather"; got != want {
			t.Errorf("GatherURL(%q) = %q, want %q", base, got, want)
		}
		if got, want := StatusURL(base), "https://dialer.example.com/hooks/twilio/status"; got != want {
			t.Errorf("StatusURL(%q) = %q, want %q", base, got, want)
		}
	}
	if got := GatherURL("http://127.0.0.1:8080"); got != "http://127.0.0.1:8080/twilio/gather" {
		t.Errorf("GatherURL = %q", got)
	}
}

func TestNewWebhookHandlerChecksConfig(t *testing.T) {
	for _, c := range []struct{ token, base string }{
		{"", "https://dialer.example.com"},
		{testAPISecret, "https://dialer.example.com"}, // an API key secret cannot check signatures
		{testAuthToken, ""},
		{testAuthToken, "dialer.example.com"},
		{testAuthToken, "ftp://dialer.example.com"},
		{testAuthToken, "https://dialer.example.com/?a=b"},
		{testAuthToken, "https://user:pw@dialer.example.com"},
		{testAuthToken, "https://dialer.example.com/#x"},
	} {
		_, err := NewWebhookHandler(c.token, c.base, WebhookHooks{}, testLogger)
		if kindOf(err) != dialer.EINVALID {
			t.Errorf("NewWebhookHandler(%d-char token, %q): %v, want invalid", len(c.token), c.base, err)
		}
		if err != nil && c.token != "" && strings.Contains(err.Error(), c.token) {
			t.Errorf("error repeats the token: %v", err)
		}
	}
}

func TestWebhookGatherDials(t *testing.T) {
	var l whHookLog
	l.ok = true
	l.dial = dialer.Dial{To: whContactNum, CallerID: whCallerID, RingTimeout: 25 * time.Second}
	h := newTestWebhook(t, whPublicBase, l.hooks())

	// Mounted behind a proxy that strips /hooks, and behind one that keeps it.
	for _, local := range []string{GatherPath, "/hooks" + GatherPath} {
		rec := whServe(h, whPost(local, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "1")))
		doc := whParseTwiML(t, rec)
		if len(doc.Dial) != 1 || len(doc.Dial[0].Numbers) != 1 || len(doc.Say) != 0 || len(doc.Hangup) != 0 || len(doc.Other) != 0 {
			t.Fatalf("want exactly one Dial with one Number:\n%s", rec.Body)
		}
		d, n := doc.Dial[0], doc.Dial[0].Numbers[0]
		if d.CallerID != whCallerID || d.Timeout != "25" {
			t.Errorf("Dial callerId=%q timeout=%q", d.CallerID, d.Timeout)
		}
		if strings.TrimSpace(n.Number) != whContactNum {
			t.Errorf("Number %q, want %s", n.Number, whContactNum)
		}
		if n.StatusCallback != StatusURL(whPublicBase) || n.StatusCallbackMethod != "POST" || n.StatusCallbackEvent == "" {
			t.Errorf("Number statusCallback=%q method=%q events=%q, want %s POST", n.StatusCallback, n.StatusCallbackMethod, n.StatusCallbackEvent, StatusURL(whPublicBase))
		}
	}
	if digits, _ := l.calls(); len(digits) != 2 || digits[0] != whCallSID+" 1" {
		t.Fatalf("Digits hook calls %q, want %q twice", digits, whCallSID+" 1")
	}

	// A query string on the action URL is part of what Twilio signs.
	q := "?session=s%201&x=y"
	rec := whServe(h, whPost(GatherPath+q, GatherURL(whPublicBase)+q, testAuthToken, whGatherParams(whCallSID, "#")))
	if doc := whParseTwiML(t, rec); len(doc.Dial) != 1 {
		t.Fatalf("query-string action: %s", rec.Body)
	}
	// The handler's own signature check agrees with twilio-go's validator
	// on the emulator's signature.
	rv := client.NewRequestValidator(testAuthToken)
	p := whGatherParams(whCallSID, "1")
	flat := map[string]string{}
	for k := range p {
		flat[k] = p.Get(k)
	}
	if !rv.Validate(GatherURL(whPublicBase), flat, twilioemu.Signature(testAuthToken, GatherURL(whPublicBase), p)) {
		t.Fatal("twilio-go refuses the emulator's signature")
	}
}

func TestWebhookGatherGoodbye(t *testing.T) {
	var l whHookLog // ok=false
	h := newTestWebhook(t, whPublicBase, l.hooks())
	if doc := whParseTwiML(t, whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "5")))); !whIsGoodbye(doc) {
		t.Errorf("declined: want Say + Hangup, got %+v", doc)
	}
	// No keys (Gather timed out, action posted anyway): goodbye, hook not asked.
	if doc := whParseTwiML(t, whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "")))); !whIsGoodbye(doc) {
		t.Errorf("no digits: want Say + Hangup, got %+v", doc)
	}
	if digits, _ := l.calls(); len(digits) != 1 {
		t.Errorf("Digits hook calls %q, want one (not for empty digits)", digits)
	}
	// Nil hooks: goodbye, and status callbacks are accepted.
	h = newTestWebhook(t, whPublicBase, WebhookHooks{})
	if doc := whParseTwiML(t, whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "1")))); !whIsGoodbye(doc) {
		t.Errorf("nil hooks: want Say + Hangup, got %+v", doc)
	}
	sp := url.Values{"CallSid": {whCallSID}, "CallStatus": {"ringing"}}
	if doc := whParseTwiML(t, whServe(h, whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, sp))); len(doc.Other)+len(doc.Dial)+len(doc.Say) != 0 {
		t.Errorf("status answer is not an empty Response: %+v", doc)
	}
}

// A hook returning markup instead of a number cannot inject TwiML: the
// number is checked (E.164) and the call is ended politely.
func TestWebhookGatherCannotInject(t *testing.T) {
	for _, d := range []dialer.Dial{
		{To: `+14155550100</Number><Redirect>https://evil.example/x</Redirect><Number>+1`, CallerID: whCallerID},
		{To: whContactNum, CallerID: `"/><Play>https://evil.example/a.mp3</Play><Dial callerId="+1`},
		{To: "", CallerID: whCallerID},
		{To: "+1 415 555 0100\x00", CallerID: whCallerID},
	} {
		l := whHookLog{ok: true, dial: d}
		h := newTestWebhook(t, whPublicBase, l.hooks())
		rec := whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "1")))
		doc := whParseTwiML(t, rec)
		if !whIsGoodbye(doc) {
			t.Errorf("dial %+v: want the goodbye, got %s", d, rec.Body)
		}
		if body := rec.Body.String(); strings.Contains(body, "evil") || strings.Contains(body, "Redirect") || strings.Contains(body, "Play") {
			t.Errorf("dial %+v leaked into the TwiML: %s", d, body)
		}
	}
}

func TestWebhookRefuses(t *testing.T) {
	var calls atomic.Int32
	hooks := WebhookHooks{
		Digits: func(string, string) (dialer.Dial, bool) {
			calls.Add(1)
			return dialer.Dial{To: whContactNum, CallerID: whCallerID}, true
		},
		Status: func(dialer.CallInfo) { calls.Add(1) },
	}
	h := newTestWebhook(t, whPublicBase, hooks)
	gurl := GatherURL(whPublicBase)
	good := whGatherParams(whCallSID, "1")

	// A real listener, to sign for its own address.
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	type tc struct {
		name string
		req  func() *http.Request
		want int
	}
	cases := []tc{
		{"forged signature", func() *http.Request {
			return whPost(GatherPath, gurl, "0000000000000000000000000000beef", good)
		}, 403},
		{"missing signature", func() *http.Request { return whPost(GatherPath, gurl, "", good) }, 403},
		{"garbage signature", func() *http.Request {
			r := whPost(GatherPath, gurl, "", good)
			r.Header.Set("X-Twilio-Signature", "not base64 at all \x00")
			return r
		}, 403},
		{"signed for the local listener URL", func() *http.Request {
			return whPost(GatherPath, srv.URL+GatherPath, testAuthToken, good)
		}, 403},
		{"signed for the other webhook", func() *http.Request {
			return whPost(GatherPath, StatusURL(whPublicBase), testAuthToken, good)
		}, 403},
		{"tampered after signing", func() *http.Request {
			r := whPost(GatherPath, gurl, testAuthToken, good)
			tampered := whGatherParams(whCallSID, "1")
			tampered.Set("Digits", "2")
			r.Body = io.NopCloser(strings.NewReader(tampered.Encode()))
			r.ContentLength = int64(len(tampered.Encode()))
			return r
		}, 403},
		{"parameter added after signing", func() *http.Request {
			r := whPost(GatherPath, gurl, testAuthToken, good)
			r.Body = io.NopCloser(strings.NewReader(good.Encode() + "&Extra=1"))
			r.ContentLength = -1
			return r
		}, 403},
		{"query added after signing", func() *http.Request {
			return whPost(GatherPath+"?x=1", gurl, testAuthToken, good)
		}, 403},
		{"repeated parameter", func() *http.Request {
			// Signed over the first value (all twilio-go checks), then a second Digits.
			r := whPost(GatherPath, gurl, testAuthToken, good)
			body := good.Encode() + "&Digits=9"
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			// twilio-go's validator sees first values only, so the signature holds.
			r.Header.Set("X-Twilio-Signature", twilioemu.Signature(testAuthToken, gurl, good))
			return r
		}, 400},
		{"bad CallSid", func() *http.Request {
			return whPost(GatherPath, gurl, testAuthToken, whGatherParams("CA123", "1"))
		}, 400},
		{"missing CallSid", func() *http.Request {
			p := whGatherParams(whCallSID, "1")
			p.Del("CallSid")
			return whPost(GatherPath, gurl, testAuthToken, p)
		}, 400},
		{"digits that are not keys", func() *http.Request {
			return whPost(GatherPath, gurl, testAuthToken, whGatherParams(whCallSID, "<Hangup/>"))
		}, 400},
		{"GET", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, GatherPath+"?"+good.Encode(), nil)
		}, 405},
		{"PUT", func() *http.Request {
			r := whPost(GatherPath, gurl, testAuthToken, good)
			r.Method = http.MethodPut
			return r
		}, 405},
		{"unknown path", func() *http.Request { return whPost("/twilio/other", gurl, testAuthToken, good) }, 404},
		{"path outside the base path", func() *http.Request { return whPost("/elsewhere"+GatherPath, gurl, testAuthToken, good) }, 404},
		{"not a form", func() *http.Request {
			r := whPost(GatherPath, gurl, testAuthToken, good)
			r.Header.Set("Content-Type", "application/json")
			return r
		}, 415},
		{"body too large", func() *http.Request {
			p := whGatherParams(whCallSID, "1")
			p.Set("Pad", strings.Repeat("a", 70<<10))
			return whPost(GatherPath, gurl, testAuthToken, p)
		}, 413},
		{"unreadable form", func() *http.Request {
			r := whPost(GatherPath, gurl, testAuthToken, good)
			r.Body = io.NopCloser(strings.NewReader("CallSid=%zz"))
			r.ContentLength = -1
			return r
		}, 400},
		{"status: bad CallStatus", func() *http.Request {
			return whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, url.Values{"CallSid": {whCallSID}, "CallStatus": {"exploded"}})
		}, 400},
		{"status: bad ParentCallSid", func() *http.Request {
			return whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, url.Values{"CallSid": {whCallSID}, "CallStatus": {"ringing"}, "ParentCallSid": {"CAxyz"}})
		}, 400},
		{"status: bad CallDuration", func() *http.Request {
			return whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, url.Values{"CallSid": {whCallSID}, "CallStatus": {"completed"}, "CallDuration": {"-3"}})
		}, 400},
		{"status: bad Timestamp", func() *http.Request {
			return whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, url.Values{"CallSid": {whCallSID}, "CallStatus": {"completed"}, "Timestamp": {"yesterday"}})
		}, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := whServe(h, c.req())
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want a plain body", ct)
			}
			if rec.Body.Len() > 200 || strings.Contains(rec.Body.String(), testAuthToken) {
				t.Errorf("body too long or holds the token: %q", rec.Body)
			}
			if c.want == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q, want POST", rec.Header().Get("Allow"))
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("hooks called %d times for refused requests", n)
	}

	// Over the real listener: signed for the public URL it passes, signed
	// for the listener's own URL it does not.
	send := func(signURL string) int {
		p := whGatherParams(whCallSID, "1")
		req, _ := http.NewRequest(http.MethodPost, srv.URL+GatherPath, strings.NewReader(p.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twilioemu.Signature(testAuthToken, signURL, p))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(srv.URL + GatherPath); code != 403 {
		t.Errorf("signed for the listener: %d, want 403", code)
	}
	if code := send(gurl); code != 200 {
		t.Errorf("signed for the public URL: %d, want 200", code)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("hooks called %d times, want 1", n)
	}
}

func TestWebhookStatus(t *testing.T) {
	var l whHookLog
	h := newTestWebhook(t, whPublicBase, l.hooks())
	surl := StatusURL(whPublicBase)
	ts := "Tue, 31 Aug 2010 20:36:28 +0000"
	end := time.Date(2010, 8, 31, 20, 36, 28, 0, time.UTC)
	send := func(p url.Values) {
		t.Helper()
		whParseTwiML(t, whServe(h, whPost(StatusPath, surl, testAuthToken, p)))
	}
	send(url.Values{
		"AccountSid": {testAccountSID}, "CallSid": {whChildSID}, "ParentCallSid": {whCallSID},
		"CallStatus": {"completed"}, "CallDuration": {"42"}, "Duration": {"1"}, "Timestamp": {ts},
		"To": {whContactNum}, "From": {whCallerID}, "Direction": {"outbound-dial"},
		"AnsweredBy": {"human"}, "CallbackSource": {"call-progress-events"}, "SequenceNumber": {"3"},
	})
	send(url.Values{"CallSid": {whCallSID}, "CallStatus": {"initiated"}, "Timestamp": {ts}})
	send(url.Values{"CallSid": {whCallSID}, "CallStatus": {"in-progress"}, "Timestamp": {ts}})
	send(url.Values{"CallSid": {whCallSID}, "CallStatus": {"no-answer"}, "CallDuration": {"0"}, "Timestamp": {ts}})

	_, got := l.calls()
	want := []dialer.CallInfo{
		{SID: whChildSID, ParentSID: whCallSID, To: whContactNum, From: whCallerID, Status: dialer.CallCompleted,
			Direction: "outbound-dial", AnsweredBy: "human", Duration: 42 * time.Second, StartedAt: end.Add(-42 * time.Second), EndedAt: end},
		{SID: whCallSID, Status: dialer.CallQueued},
		{SID: whCallSID, Status: dialer.CallInProgress, StartedAt: end},
		{SID: whCallSID, Status: dialer.CallNoAnswer, EndedAt: end},
	}
	if len(got) != len(want) {
		t.Fatalf("Status hook got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].StartedAt.Equal(want[i].StartedAt) || !got[i].EndedAt.Equal(want[i].EndedAt) {
			t.Errorf("event %d times: started %v ended %v, want %v %v", i, got[i].StartedAt, got[i].EndedAt, want[i].StartedAt, want[i].EndedAt)
		}
		got[i].StartedAt, got[i].EndedAt, want[i].StartedAt, want[i].EndedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// Parallel signed requests against one handler (run with -race).
func TestWebhookConcurrent(t *testing.T) {
	l := whHookLog{ok: true, dial: dialer.Dial{To: whContactNum, CallerID: whCallerID}}
	h := newTestWebhook(t, whPublicBase, l.hooks())
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			var rec *httptest.ResponseRecorder
			if i%2 == 0 {
				rec = whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, whGatherParams(whCallSID, "1")))
			} else {
				rec = whServe(h, whPost(StatusPath, StatusURL(whPublicBase), testAuthToken, url.Values{"CallSid": {whCallSID}, "CallStatus": {"ringing"}}))
			}
			if rec.Code != 200 {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if d, s := l.calls(); len(d) != 16 || len(s) != 16 {
		t.Fatalf("hooks saw %d gathers and %d statuses, want 16 each", len(d), len(s))
	}
}

// End to end: the real adapter places a keypad-confirmed bridge call on
// the emulator, which presses "1" and posts the signed Gather action over
// HTTP to the webhook server; its Dial creates the contact's leg.
func TestWebhookBridgeWithEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var l whHookLog
	var mu sync.Mutex
	var callerID string
	var contact string
	hooks := l.hooks()
	hooks.Digits = func(sid, digits string) (dialer.Dial, bool) {
		l.mu.Lock()
		l.digits = append(l.digits, sid+" "+digits)
		l.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		return dialer.Dial{To: contact, CallerID: callerID, RingTimeout: 30 * time.Second}, true
	}
	// The webhook server first, so that it outlives the emulator's last callbacks.
	hs := httptest.NewServer(nil)
	t.Cleanup(hs.Close)
	base := hs.URL
	hs.Config.Handler = newTestWebhook(t, base, hooks)

	emu, err := twilioemu.New(twilioemu.Config{
		AccountSID: testAccountSID, AuthToken: testAuthToken, TimeScale: 0.005, Seed: 11,
		TalkTime: time.Hour, // calls end only when hung up
		Logger:   testLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	emuURL, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	p, err := New(Config{AccountSID: testAccountSID, AuthToken: testAuthToken, BaseURL: emuURL, Logger: testLogger,
		Retry: RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}

	owned, err := p.BuyNumber(ctx, dialer.BuyRequest{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatalf("BuyNumber: %v", err)
	}
	avail, err := p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", AreaCode: "212", Limit: 2})
	if err != nil || len(avail) < 2 {
		t.Fatalf("SearchNumbers: %d numbers, %v", len(avail), err)
	}
	agent := avail[0].PhoneNumber
	mu.Lock()
	callerID, contact = owned.PhoneNumber, avail[1].PhoneNumber
	mu.Unlock()

	parent, err := p.CreateCall(ctx, dialer.CallRequest{
		To: agent, From: owned.PhoneNumber,
		Say:            "Calling " + contact + ".",
		Gather:         &dialer.Gather{ActionURL: GatherURL(base), Prompt: "Press any key to connect.", Timeout: 10 * time.Second},
		StatusCallback: StatusURL(base),
	})
	if err != nil {
		t.Fatalf("CreateCall: %v", err)
	}

	// The child leg appears and is answered.
	var child dialer.CallInfo
	for child.Status != dialer.CallInProgress {
		if ctx.Err() != nil {
			t.Fatalf("no answered child leg; last %+v", child)
		}
		time.Sleep(10 * time.Millisecond)
		legs, err := p.ChildCalls(ctx, parent.SID)
		if err != nil {
			t.Fatalf("ChildCalls: %v", err)
		}
		if len(legs) > 1 {
			t.Fatalf("%d child legs, want 1: %+v", len(legs), legs)
		}
		if len(legs) == 1 {
			child = legs[0]
			if child.Status.Ended() {
				t.Fatalf("child leg ended: %+v", child)
			}
		}
	}
	if child.To != contact || child.From != owned.PhoneNumber || child.ParentSID != parent.SID || child.Direction != "outbound-dial" {
		t.Fatalf("child leg %+v, want %s from %s under %s", child, contact, owned.PhoneNumber, parent.SID)
	}
	if digits, _ := l.calls(); len(digits) != 1 || digits[0] != parent.SID+" 1" {
		t.Fatalf("Digits hook calls %q, want %q", digits, parent.SID+" 1")
	}

	if _, err := p.UpdateCall(ctx, parent.SID, dialer.CallUpdate{Hangup: true}); err != nil {
		t.Fatalf("UpdateCall hangup: %v", err)
	}

	// Both legs report, through the same Status hook, up to completed.
	seen := func() (map[dialer.CallStatus]bool, map[dialer.CallStatus]bool) {
		_, st := l.calls()
		ps, cs := map[dialer.CallStatus]bool{}, map[dialer.CallStatus]bool{}
		for _, e := range st {
			switch {
			case e.SID == parent.SID && e.ParentSID == "":
				ps[e.Status] = true
			case e.SID == child.SID && e.ParentSID == parent.SID:
				cs[e.Status] = true
			default:
				t.Errorf("unexpected status event %+v", e)
			}
		}
		return ps, cs
	}
	for {
		ps, cs := seen()
		if ps[dialer.CallCompleted] && cs[dialer.CallCompleted] {
			for _, s := range []dialer.CallStatus{dialer.CallQueued, dialer.CallRinging, dialer.CallInProgress} {
				if !ps[s] || !cs[s] {
					t.Errorf("status %s: parent %v, child %v", s, ps[s], cs[s])
				}
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("status events: parent %v, child %v", ps, cs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	final, err := p.FetchCall(ctx, child.SID)
	if err != nil || final.Status != dialer.CallCompleted {
		t.Fatalf("child after hangup: %+v, %v", final, err)
	}
}

// FuzzWebhookGather feeds arbitrary CallSid, digits, dialed party and
// extra parameters through a correctly signed Gather action: the handler
// never panics and answers either well-formed TwiML (whose only number is
// E.164) or a 4xx.
func FuzzWebhookGather(f *testing.F) {
	f.Add(whCallSID, "1", whContactNum, whCallerID, "CallerName", "Alice")
	f.Add(whCallSID, "", whContactNum, whCallerID, "", "")
	f.Add(whCallSID, "*#9", "+1<b>", "", "To", `"><Hangup/>`)
	f.Add("CA123", "1", whContactNum, whCallerID, "Digits", "2")
	f.Add(whCallSID, "1", whContactNum, `"/><Play>x</Play>`, "CallSid", whChildSID)
	f.Add(whCallSID, "\x00", "+1\x00", "\xff", "\xfe", "\x01")
	f.Add(whCallSID, "9", whContactNum, whCallerID, "x", "y")
	f.Fuzz(func(t *testing.T, sid, digits, to, callerID, extraKey, extraVal string) {
		hooks := WebhookHooks{Digits: func(string, string) (dialer.Dial, bool) {
			return dialer.Dial{To: to, CallerID: callerID}, !strings.HasPrefix(digits, "9")
		}}
		h, err := NewWebhookHandler(testAuthToken, whPublicBase, hooks, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := whGatherParams(sid, digits)
		p.Add(extraKey, extraVal)
		rec := whServe(h, whPost(GatherPath, GatherURL(whPublicBase), testAuthToken, p))
		if rec.Code >= 400 && rec.Code < 500 {
			return
		}
		doc := whParseTwiML(t, rec)
		for _, d := range doc.Dial {
			if !e164Re.MatchString(d.CallerID) && d.CallerID != "" {
				t.Fatalf("callerId %q", d.CallerID)
			}
			for _, n := range d.Numbers {
				if !e164Re.MatchString(n.Number) {
					t.Fatalf("number %q", n.Number)
				}
			}
		}
		if len(doc.Other) != 0 || (len(doc.Dial) == 0) != whIsGoodbye(doc) {
			t.Fatalf("unexpected TwiML %s", rec.Body)
		}
	})
}
