package twilioemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestInboundCallFollowsVoiceURL(t *testing.T) {
	s, base := emu(t, fast)
	rc := rest(t, base)
	ours := buy(t, rc, "415")
	caller := "+12125550177"
	agent := "+13105550100"
	answers := map[string]string{}
	h := newHook(t, answers)
	answers["/voice"] = fmt.Sprintf(`<Response><Dial callerId="%s" action="/dialed"><Number>%s</Number></Dial></Response>`, caller, agent)
	answers["/dialed"] = `<Response><Hangup/></Response>`

	// No voice URL yet: nothing to ask, so the call is refused.
	if _, err := s.PlaceInbound(Inbound{From: caller, To: ours}); err == nil {
		t.Fatal("an inbound call to a number without a voice URL was placed")
	}
	if _, err := s.PlaceInbound(Inbound{From: caller, To: "+14155550100"}); err == nil {
		t.Fatal("an inbound call to a number the account does not own was placed")
	}
	sid := ownedSID(t, rc, ours)
	if _, err := rc.Api.UpdateIncomingPhoneNumber(sid, (&api.UpdateIncomingPhoneNumberParams{}).
		SetVoiceUrl(h.srv.URL+"/voice").SetStatusCallback(h.srv.URL+"/status")); err != nil {
		t.Fatal(err)
	}
	// Through the control endpoint, as `dialer emulator` users would.
	var out struct{ SID string }
	if code := doJSONBody(t, base+"/_emulator/inbound", fmt.Sprintf(`{"from": %q, "to": %q, "hold": "60s"}`, caller, ours), &out); code != http.StatusOK || out.SID == "" {
		t.Fatalf("control endpoint answered %d, sid %q", code, out.SID)
	}
	eventually(t, 5*time.Second, "voice URL fetch", func() bool { return len(h.got("/voice")) == 1 })
	v := h.got("/voice")[0]
	if v.Get("CallSid") != out.SID || v.Get("Direction") != "inbound" || v.Get("From") != caller || v.Get("To") != ours || v.Get("CallStatus") != "ringing" {
		t.Errorf("voice URL params %v", v)
	}
	// The agent's phone rang with the caller's number as caller ID, was
	// bridged until the caller hung up after 60 s.
	p := waitStatus(t, rc, out.SID, "completed")
	if *p.Direction != "inbound" {
		t.Errorf("direction %s", *p.Direction)
	}
	if d, _ := strconv.Atoi(*p.Duration); d < 55 || d > 70 {
		t.Errorf("inbound call lasted %ss, want about 60", *p.Duration)
	}
	kids, err := rc.Api.ListCall((&api.ListCallParams{}).SetParentCallSid(out.SID))
	if err != nil || len(kids) != 1 {
		t.Fatalf("children %v, %v", kids, err)
	}
	if *kids[0].To != agent || *kids[0].From != caller || *kids[0].Direction != "outbound-dial" {
		t.Errorf("child leg to %s from %s (%s)", *kids[0].To, *kids[0].From, *kids[0].Direction)
	}
	eventually(t, 5*time.Second, "status callback", func() bool { return len(h.got("/status")) == 1 })
	if st := h.got("/status")[0]; st.Get("CallStatus") != "completed" || st.Get("Direction") != "inbound" {
		t.Errorf("status callback %v", st)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.badSig != 0 {
		t.Errorf("%d requests with a bad signature", h.badSig)
	}
}

func TestInboundCallerHangsUpFirst(t *testing.T) {
	// The agent's phone does not answer (...2222) and the caller gives up
	// after 10 s: the dialed leg is canceled, the Dial action not asked.
	s, base := emu(t, fast)
	rc := rest(t, base)
	ours := buy(t, rc, "415")
	answers := map[string]string{"/voice": `<Response><Dial timeout="30" action="/dialed"><Number>+13105552222</Number></Dial></Response>`}
	h := newHook(t, answers)
	if _, err := rc.Api.UpdateIncomingPhoneNumber(ownedSID(t, rc, ours), (&api.UpdateIncomingPhoneNumberParams{}).SetVoiceUrl(h.srv.URL+"/voice")); err != nil {
		t.Fatal(err)
	}
	sid, err := s.PlaceInbound(Inbound{From: "+12125550177", To: ours, Hold: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, rc, sid, "completed")
	kids, err := rc.Api.ListCall((&api.ListCallParams{}).SetParentCallSid(sid))
	if err != nil || len(kids) != 1 {
		t.Fatalf("children %v, %v", kids, err)
	}
	if *kids[0].Status != "canceled" {
		t.Errorf("the unanswered agent leg ended %s", *kids[0].Status)
	}
	if got := len(h.got("/dialed")); got != 0 {
		t.Errorf("the Dial action was asked %d times after the caller hung up", got)
	}
}

func ownedSID(t *testing.T, rc *twilio.RestClient, e164 string) string {
	t.Helper()
	ns, err := rc.Api.ListIncomingPhoneNumber((&api.ListIncomingPhoneNumberParams{}).SetPhoneNumber(e164))
	if err != nil || len(ns) != 1 {
		t.Fatalf("looking up %s: %v, %v", e164, ns, err)
	}
	return *ns[0].Sid
}

func doJSONBody(t *testing.T, target, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testSID, testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decoding the answer of %s: %v", target, err)
		}
	}
	return resp.StatusCode
}
