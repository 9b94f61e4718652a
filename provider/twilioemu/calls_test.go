package twilioemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// fast makes emulated seconds last 10 ms.
func fast(c *Config) {
	c.TimeScale = 0.01
}

func buy(t *testing.T, rc *twilio.RestClient, areaCode string) string {
	t.Helper()
	n, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetAreaCode(areaCode))
	if err != nil {
		t.Fatal(err)
	}
	return *n.PhoneNumber
}

func fetch(t *testing.T, rc *twilio.RestClient, sid string) *api.ApiV2010Call {
	t.Helper()
	c, err := rc.Api.FetchCall(sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitStatus(t *testing.T, rc *twilio.RestClient, sid, status string) *api.ApiV2010Call {
	t.Helper()
	var c *api.ApiV2010Call
	eventually(t, 5*time.Second, sid+" "+status, func() bool {
		c = fetch(t, rc, sid)
		return *c.Status == status
	})
	return c
}

func waitPriced(t *testing.T, rc *twilio.RestClient, sid string) *api.ApiV2010Call {
	t.Helper()
	var c *api.ApiV2010Call
	eventually(t, 5*time.Second, sid+" priced", func() bool {
		c = fetch(t, rc, sid)
		return c.Price != nil
	})
	return c
}

// expectedPrice is the emulator's rule: 0.014 a started minute, negative,
// five decimals.
func expectedPrice(t *testing.T, duration string) string {
	t.Helper()
	d, err := strconv.Atoi(duration)
	if err != nil {
		t.Fatal(err)
	}
	return formatPrice(dialer.MustAmount("0.014") * dialer.Amount((d+59)/60))
}

func TestCallLifecycle(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	agent, contact := "+14155550100", "+12125550199"
	c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo(agent).SetFrom(from).
		SetTwiml(`<Response><Say>You are about to call 212 555 0199.</Say><Pause length="600"/></Response>`).
		SetTimeout(30).SetTimeLimit(3600))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*c.Sid, "CA") || len(*c.Sid) != 34 || *c.Status != "queued" || *c.Direction != "outbound-api" ||
		c.Price != nil || c.Duration != nil || c.ParentCallSid != nil || *c.To != agent || *c.From != from ||
		*c.ApiVersion != "2010-04-01" || *c.PriceUnit != "USD" || c.PhoneNumberSid == nil {
		t.Fatalf("created %+v", c)
	}
	if _, err := time.Parse(time.RFC1123Z, *c.DateCreated); err != nil {
		t.Errorf("date_created %q: %v", *c.DateCreated, err)
	}
	waitStatus(t, rc, *c.Sid, "ringing")
	live := waitStatus(t, rc, *c.Sid, "in-progress")
	if live.StartTime == nil || live.EndTime != nil || live.AnsweredBy != nil {
		t.Errorf("in progress %+v", live)
	}

	// The agent confirms: redirect into a Dial.
	twiml := fmt.Sprintf(`<Response><Dial callerId="%s" timeout="20" answerOnBridge="true"><Number>%s</Number></Dial></Response>`, from, contact)
	if _, err := rc.Api.UpdateCall(*c.Sid, (&api.UpdateCallParams{}).SetTwiml(twiml)); err != nil {
		t.Fatal(err)
	}
	var child api.ApiV2010Call
	eventually(t, 5*time.Second, "child leg answered", func() bool {
		page, err := rc.Api.PageCall((&api.ListCallParams{}).SetParentCallSid(*c.Sid), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Calls) != 1 {
			return false
		}
		child = page.Calls[0]
		return *child.Status == "in-progress"
	})
	if *child.Direction != "outbound-dial" || *child.ParentCallSid != *c.Sid || *child.From != from || *child.To != contact {
		t.Errorf("child %+v", child)
	}
	if st := *fetch(t, rc, *c.Sid).Status; st != "in-progress" {
		t.Errorf("parent %s while bridged", st)
	}

	// Hang up the parent: the child ends too.
	up, err := rc.Api.UpdateCall(*c.Sid, (&api.UpdateCallParams{}).SetStatus("completed"))
	if err != nil || *up.Status != "completed" || up.Duration == nil || up.EndTime == nil {
		t.Fatalf("hang up: %+v %v", up, err)
	}
	if up.Price != nil {
		t.Errorf("priced at once: %s", *up.Price)
	}
	ch := fetch(t, rc, *child.Sid)
	if *ch.Status != "completed" {
		t.Errorf("child %s after parent hung up", *ch.Status)
	}
	_, err = rc.Api.UpdateCall(*c.Sid, (&api.UpdateCallParams{}).SetTwiml("<Response><Hangup/></Response>"))
	if e := restErr(t, err); e.Code != 21220 || e.Status != 400 {
		t.Errorf("update ended call: %+v", e)
	}

	p := waitPriced(t, rc, *c.Sid)
	pc := waitPriced(t, rc, *child.Sid)
	if *p.Price != expectedPrice(t, *p.Duration) || *pc.Price != expectedPrice(t, *pc.Duration) || *p.Price == "0.00000" {
		t.Errorf("prices %s (%ss), %s (%ss)", *p.Price, *p.Duration, *pc.Price, *pc.Duration)
	}
	want := dialer.MustAmount("20.00") - dialer.MustAmount("1.15") + dialer.MustAmount(*p.Price) + dialer.MustAmount(*pc.Price)
	if b := balance(t, base); b != want {
		t.Errorf("balance %s, want %s", b, want)
	}
	all, err := rc.Api.ListCall((&api.ListCallParams{}).SetPageSize(1))
	if err != nil || len(all) != 2 || *all[0].Sid != *child.Sid {
		t.Errorf("list newest first: %d %v", len(all), err)
	}
	if done, _ := rc.Api.ListCall((&api.ListCallParams{}).SetStatus("completed").SetTo(contact)); len(done) != 1 {
		t.Errorf("filter by status and To: %d", len(done))
	}
}

func TestCalleeRules(t *testing.T) {
	_, base := emu(t, func(c *Config) { fast(c); c.PriceDelay = time.Second })
	rc := rest(t, base)
	from := buy(t, rc, "415")
	create := func(to string, p *api.CreateCallParams) string {
		t.Helper()
		c, err := rc.Api.CreateCall(p.SetTo(to).SetFrom(from).SetTwiml(`<Response><Say>Hello there</Say><Pause length="100"/></Response>`))
		if err != nil {
			t.Fatal(err)
		}
		return *c.Sid
	}
	busy := create("+12125551111", &api.CreateCallParams{})
	noAnswer := create("+12125552222", (&api.CreateCallParams{}).SetTimeout(5))
	shortRing := create("+12125550142", (&api.CreateCallParams{}).SetTimeout(2))
	machine := create("+12125553333", (&api.CreateCallParams{}).SetMachineDetection("DetectMessageEnd"))
	human := create("+12125550143", (&api.CreateCallParams{}).SetMachineDetection("Enable"))
	failed := create("+12125554444", &api.CreateCallParams{})
	cancel := create("+12125552222", &api.CreateCallParams{})
	sayOnly, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+12125550144").SetFrom(from).SetTwiml(`<Response><Say>Bye</Say></Response>`))
	if err != nil {
		t.Fatal(err)
	}

	waitStatus(t, rc, cancel, "ringing")
	if c, err := rc.Api.UpdateCall(cancel, (&api.UpdateCallParams{}).SetStatus("canceled")); err != nil || *c.Status != "canceled" {
		t.Fatalf("cancel: %v", err)
	}
	for sid, want := range map[string]string{busy: "busy", noAnswer: "no-answer", shortRing: "no-answer", failed: "failed", cancel: "canceled"} {
		c := waitStatus(t, rc, sid, want)
		if *c.Duration != "0" {
			t.Errorf("%s: duration %s", want, *c.Duration)
		}
		if c := waitPriced(t, rc, sid); *c.Price != "0.00000" {
			t.Errorf("%s: price %s", want, *c.Price)
		}
	}
	m := waitStatus(t, rc, machine, "in-progress")
	if m.AnsweredBy == nil || *m.AnsweredBy != "machine_end_beep" {
		t.Errorf("voicemail answered_by %v", m.AnsweredBy)
	}
	m = waitStatus(t, rc, machine, "completed")
	if d, _ := strconv.Atoi(*m.Duration); d < 19 || d > 30 {
		t.Errorf("voicemail lasted %ss, want about 20", *m.Duration)
	}
	if h := waitStatus(t, rc, human, "in-progress"); h.AnsweredBy == nil || *h.AnsweredBy != "human" {
		t.Errorf("human answered_by %v", h.AnsweredBy)
	}
	// TwiML that ends hangs up.
	s := waitStatus(t, rc, *sayOnly.Sid, "completed")
	if d, _ := strconv.Atoi(*s.Duration); d < 1 || d > 10 {
		t.Errorf("say-only call lasted %ss", *s.Duration)
	}
	if c := waitPriced(t, rc, *sayOnly.Sid); *c.Price != "-0.01400" {
		t.Errorf("one-minute price %s", *c.Price)
	}
}

func TestCallErrors(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	ok := `<Response><Say>Hi</Say></Response>`
	for _, tc := range []struct {
		name      string
		to, from  string
		twiml     string
		code, st  int
		skipTwiml bool
	}{
		{"no To", "", from, ok, 21201, 400, false},
		{"no From", "+12125550100", "", ok, 21213, 400, false},
		{"no TwiML", "+12125550100", from, "", 21205, 400, true},
		{"bad TwiML", "+12125550100", from, "<Response><Say>", 12100, 400, false},
		{"unknown verb", "+12125550100", from, "<Response><Enqueue>x</Enqueue></Response>", 12100, 400, false},
		{"magic invalid To", MagicInvalid, from, ok, 21217, 400, false},
		{"magic unroutable", MagicUnroutable, from, ok, 21214, 400, false},
		{"magic no permission", MagicNoPerm, from, ok, 21215, 400, false},
		{"magic blocked", MagicBlocked, from, ok, 21216, 400, false},
		{"invalid To", "+1212", from, ok, 21211, 400, false},
		{"international", "+442071838750", from, ok, 21215, 400, false},
		{"magic invalid From", "+12125550100", MagicInvalid, ok, 21212, 400, false},
		{"unowned From", "+12125550100", "+14155550100", ok, 21210, 400, false},
	} {
		p := &api.CreateCallParams{}
		if tc.to != "" {
			p.SetTo(tc.to)
		}
		if tc.from != "" {
			p.SetFrom(tc.from)
		}
		if !tc.skipTwiml {
			p.SetTwiml(tc.twiml)
		}
		_, err := rc.Api.CreateCall(p)
		if e := restErr(t, err); e.Code != tc.code || e.Status != tc.st {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
	if c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+12125550100").SetFrom(MagicValid).SetTwiml(ok)); err != nil || *c.Status != "queued" {
		t.Errorf("magic valid From: %v", err)
	}
	if _, err := rc.Api.FetchCall("CA"+strings.Repeat("0", 32), nil); restErr(t, err).Code != 20404 {
		t.Errorf("fetch unknown: %v", err)
	}
}

// hook is a customer web server: it records signed requests and answers
// TwiML from a table.
type hook struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    map[string][]url.Values
	answers map[string]string
	badSig  int
}

func newHook(t *testing.T, answers map[string]string) *hook {
	h := &hook{t: t, reqs: map[string][]url.Values{}, answers: answers}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		params := map[string]string{}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		v := client.NewRequestValidator(testToken)
		full := h.srv.URL + r.URL.RequestURI()
		h.mu.Lock()
		if !v.Validate(full, params, r.Header.Get("X-Twilio-Signature")) {
			h.badSig++
		}
		h.reqs[r.URL.Path] = append(h.reqs[r.URL.Path], r.PostForm)
		h.mu.Unlock()
		if a, ok := h.answers[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprint(w, a)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) got(path string) []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.reqs[path]...)
}

func TestGatherDialAndCallbacks(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	answers := map[string]string{}
	h := newHook(t, answers)
	contact := "+12125550177"
	answers["/gather"] = fmt.Sprintf(`<Response><Say>Connecting</Say><Dial callerId="%s" action="/dialed"><Number statusCallback="%s/child" statusCallbackEvent="initiated ringing answered completed">%s</Number></Dial></Response>`, from, h.srv.URL, contact)
	answers["/dialed"] = `<Response><Say>Goodbye</Say><Hangup/></Response>`

	c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+14155550100").SetFrom(from).
		SetTwiml(fmt.Sprintf(`<Response><Gather numDigits="1" action="%s/gather" method="POST" timeout="10"><Say>Press any key to connect</Say></Gather><Say>No key</Say></Response>`, h.srv.URL)).
		SetStatusCallback(h.srv.URL + "/status").SetStatusCallbackEvent([]string{"initiated", "ringing", "answered", "completed"}))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "gather action", func() bool { return len(h.got("/gather")) == 1 })
	g := h.got("/gather")[0]
	if g.Get("Digits") != "1" || g.Get("CallSid") != *c.Sid || g.Get("AccountSid") != testSID || g.Get("CallStatus") != "in-progress" ||
		g.Get("From") != from || g.Get("Direction") != "outbound-api" {
		t.Errorf("gather params %v", g)
	}
	// The agent hangs up TalkTime after answering, while bridged: the
	// child ends with the parent, and the Dial action is not requested.
	waitStatus(t, rc, *c.Sid, "completed")
	eventually(t, 5*time.Second, "completed callbacks", func() bool {
		return len(h.got("/status")) == 4 && len(h.got("/child")) == 4
	})
	var seq []string
	for i, p := range h.got("/status") {
		seq = append(seq, p.Get("CallStatus"))
		if p.Get("SequenceNumber") != strconv.Itoa(i) || p.Get("CallbackSource") != "call-progress-events" {
			t.Errorf("callback %d: %v", i, p)
		}
	}
	if strings.Join(seq, ",") != "initiated,ringing,in-progress,completed" {
		t.Errorf("parent callbacks %v", seq)
	}
	last := h.got("/status")[3]
	if d, _ := strconv.Atoi(last.Get("CallDuration")); d < 80 || d > 100 {
		t.Errorf("parent CallDuration %s, want about 90", last.Get("CallDuration"))
	}
	seq = nil
	for _, p := range h.got("/child") {
		seq = append(seq, p.Get("CallStatus"))
		if p.Get("ParentCallSid") != *c.Sid || p.Get("Direction") != "outbound-dial" || p.Get("To") != contact {
			t.Errorf("child callback %v", p)
		}
	}
	if strings.Join(seq, ",") != "initiated,ringing,in-progress,completed" {
		t.Errorf("child callbacks %v", seq)
	}
	h.mu.Lock()
	if h.badSig != 0 {
		t.Errorf("%d requests with a bad signature", h.badSig)
	}
	h.mu.Unlock()
}

func TestDialEndsAndContinues(t *testing.T) {
	// The child hangs up first (voicemail): the parent goes on with the
	// Dial action's TwiML.
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	answers := map[string]string{"/dialed": `<Response><Say>Goodbye</Say></Response>`}
	h := newHook(t, answers)
	c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+14155550100").SetFrom(from).
		SetTwiml(fmt.Sprintf(`<Response><Dial callerId="%s" action="%s/dialed"><Number>+12125553333</Number></Dial></Response>`, from, h.srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "dial action", func() bool { return len(h.got("/dialed")) == 1 })
	d := h.got("/dialed")[0]
	if d.Get("DialCallStatus") != "completed" || !strings.HasPrefix(d.Get("DialCallSid"), "CA") {
		t.Errorf("dial action params %v", d)
	}
	if dur, _ := strconv.Atoi(d.Get("DialCallDuration")); dur < 19 || dur > 30 {
		t.Errorf("DialCallDuration %s", d.Get("DialCallDuration"))
	}
	p := waitStatus(t, rc, *c.Sid, "completed")
	if dur, _ := strconv.Atoi(*p.Duration); dur < 20 || dur > 40 {
		t.Errorf("parent lasted %ss", *p.Duration)
	}

	// A caller ID the account does not own fails the Dial; the call goes on.
	c2, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+14155550100").SetFrom(from).
		SetTwiml(fmt.Sprintf(`<Response><Dial callerId="+14155550111" action="%s/dialed"><Number>+12125550100</Number></Dial></Response>`, h.srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "failed dial action", func() bool { return len(h.got("/dialed")) == 2 })
	if d := h.got("/dialed")[1]; d.Get("DialCallStatus") != "failed" || d.Get("DialCallSid") != "" {
		t.Errorf("failed dial params %v", d)
	}
	waitStatus(t, rc, *c2.Sid, "completed")
	if kids, _ := rc.Api.ListCall((&api.ListCallParams{}).SetParentCallSid(*c2.Sid)); len(kids) != 0 {
		t.Errorf("failed dial created %d legs", len(kids))
	}
}

func TestSignatureMatchesTwilioGo(t *testing.T) {
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	sig := Signature("12345", u, params)
	flat := map[string]string{}
	for k, v := range params {
		flat[k] = v[0]
	}
	v := client.NewRequestValidator("12345")
	if !v.Validate(u, flat, sig) {
		t.Fatalf("twilio-go rejects signature %s", sig)
	}
	if v.Validate(u+"x", flat, sig) {
		t.Fatal("signature ignores the URL")
	}
}

func TestUrlRedirectAndSilentGather(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	answers := map[string]string{
		"/start": `<Response><Say>Hi</Say><Redirect method="GET">/next?step=2</Redirect></Response>`,
		"/next":  `<Response><Gather action="/never" timeout="3"><Say>Press</Say></Gather><Say>No key pressed</Say></Response>`,
	}
	h := newHook(t, answers)
	c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+12125555555").SetFrom(from).SetUrl(h.srv.URL + "/start").SetTwiml("<Response><Hangup/></Response>"))
	if err != nil {
		t.Fatal(err)
	}
	done := waitStatus(t, rc, *c.Sid, "completed")
	if len(h.got("/start")) != 1 || len(h.got("/next")) != 1 || len(h.got("/never")) != 0 {
		t.Errorf("fetches: start %d, next %d, never %d", len(h.got("/start")), len(h.got("/next")), len(h.got("/never")))
	}
	// Say 1 s, Say 1 s, Gather wait 3 s, Say 1 s: about 6 s answered.
	if d, _ := strconv.Atoi(*done.Duration); d < 5 || d > 12 {
		t.Errorf("duration %ss, want about 6", *done.Duration)
	}
	if st := h.got("/start")[0]; st.Get("CallStatus") != "in-progress" || st.Get("CallSid") != *c.Sid {
		t.Errorf("Url fetch params %v", st)
	}
	h.mu.Lock()
	if h.badSig != 0 {
		t.Errorf("%d requests with a bad signature", h.badSig)
	}
	h.mu.Unlock()
}
