package twilio

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Every duration Twilio receives, as a call parameter or a TwiML
// attribute, is rounded up to whole seconds, at least 1.
func TestDurationsRoundUpToWholeSeconds(t *testing.T) {
	var forms formLog
	srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) {
		forms.add(r)
		writeJSON(w, 201, callJSON(testCallSID, "queued", ""))
	})
	p := newTestProvider(t, srv.URL, nil)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{time.Nanosecond, "1"},
		{999 * time.Millisecond, "1"},
		{time.Second, "1"},
		{time.Second + time.Nanosecond, "2"},
		{1500 * time.Millisecond, "2"},
		{90 * time.Second, "90"},
		{time.Hour - time.Millisecond, "3600"},
	} {
		n := len(forms.forms)
		for _, req := range []dialer.CallRequest{
			{RingTimeout: tc.d, TimeLimit: tc.d, Hold: tc.d},
			{Gather: &dialer.Gather{ActionURL: "https://example.com/key", Timeout: tc.d}},
			{Dial: &dialer.Dial{To: "+12125550123", RingTimeout: tc.d}},
		} {
			req.To, req.From = "+14155550100", "+14155550199"
			if _, err := p.CreateCall(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		f := forms.forms[n]
		got := []string{f.Get("Timeout"), f.Get("TimeLimit"),
			parseTwiML(t, f.Get("Twiml")).Nodes[0].attr("length"),
			parseTwiML(t, forms.forms[n+1].Get("Twiml")).Nodes[0].attr("timeout"),
			parseTwiML(t, forms.forms[n+2].Get("Twiml")).Nodes[0].attr("timeout")}
		for i, g := range got {
			if g != tc.want {
				t.Errorf("%v: value %d (Timeout, TimeLimit, Pause, Gather, Dial) is %q, want %q", tc.d, i, g, tc.want)
			}
		}
	}
	if got := wholeSeconds(-time.Second); got != 1 {
		t.Errorf("wholeSeconds(-1s) = %d, want 1", got)
	}
}

// With a base URL, TWILIO_EDGE and TWILIO_REGION must not rewrite hosts
// (the transport maps the plain ones); without, twilio-go's default stays.
func TestOverrideIgnoresEdgeAndRegion(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_REGION", "au1")
	for _, tc := range []struct {
		name         string
		edit         func(*Config)
		edge, region string
	}{
		{"BaseURL", nil, "", ""},
		{"BaseURLs", func(c *Config) {
			c.BaseURL, c.BaseURLs = "", map[string]string{"api.twilio.com": "http://127.0.0.1:1"}
		}, "", ""},
		{"Twilio itself", func(c *Config) { c.BaseURL = "" }, "sydney", "au1"},
	} {
		p := newTestProvider(t, "http://127.0.0.1:1", tc.edit)
		if s := p.session(context.Background()); s.rh.Edge != tc.edge || s.rh.Region != tc.region {
			t.Errorf("%s: edge %q region %q, want %q %q", tc.name, s.rh.Edge, s.rh.Region, tc.edge, tc.region)
		}
	}
}

// Every E.164 check refuses with its own wording, as EINVALID, before any
// request.
func TestE164Checks(t *testing.T) {
	var requests atomic.Int32
	srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1) })
	p := newTestProvider(t, srv.URL, nil)
	ctx := context.Background()
	const bad, ok = "4155550100", "+14155550100"
	form := " is not in E.164 form such as +14155550100"
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"search near", second(p.SearchNumbers(ctx, dialer.NumberQuery{Country: "US", NearNumber: bad})), `near number "4155550100"` + form},
		{"buy", second(p.BuyNumber(ctx, dialer.BuyRequest{PhoneNumber: "+0123"})), `"+0123"` + form},
		{"call to", second(p.CreateCall(ctx, dialer.CallRequest{To: bad, From: ok})), `the number to call "4155550100"` + form},
		{"call from", second(p.CreateCall(ctx, dialer.CallRequest{To: ok, From: ""})), `the caller ID ""` + form},
		{"call dial to", second(p.CreateCall(ctx, dialer.CallRequest{To: ok, From: ok, Dial: &dialer.Dial{To: "+1 415"}})), `the number to dial "+1 415"` + form},
		{"call dial caller ID", second(p.CreateCall(ctx, dialer.CallRequest{To: ok, From: ok, Dial: &dialer.Dial{To: ok, CallerID: bad}})), `the caller ID "4155550100"` + form},
		{"update dial to", second(p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Dial: &dialer.Dial{To: ""}})), `the number to dial ""` + form},
		{"update dial caller ID", second(p.UpdateCall(ctx, testCallSID, dialer.CallUpdate{Dial: &dialer.Dial{To: ok, CallerID: "+"}})), `the caller ID "+"` + form},
		{"rate to", second(p.VoiceRate(ctx, bad, ok)), `"4155550100"` + form},
		{"rate from", second(p.VoiceRate(ctx, ok, "+1415555010x")), `"+1415555010x"` + form},
	} {
		var de *dialer.Error
		if !errors.As(tc.err, &de) || de.Kind != dialer.EINVALID || de.Message != tc.want || de.Err != nil {
			t.Errorf("%s: %#v, want EINVALID %q", tc.name, tc.err, tc.want)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func second[T any](_ T, err error) error { return err }
