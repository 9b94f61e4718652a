package twilio

import (
	"context"
	"net/http"
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
