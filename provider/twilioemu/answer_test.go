package twilioemu

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// contact is a voicemail: it answers and hangs up before the agent does,
// so the Dial's action is asked with the leg's status.
const contact = "+12125553333"

// dialStatuses places n calls one after another, each an agent's leg
// from from whose TwiML dials contact with callerId, and returns each
// Dial's DialCallStatus in order, with the agent legs' final statuses.
func dialStatuses(t *testing.T, rc *twilio.RestClient, h *hook, from, callerID, to string, n int) (dialed, agent []string) {
	t.Helper()
	for i := range n {
		before := len(h.got("/dialed"))
		c, err := rc.Api.CreateCall((&api.CreateCallParams{}).SetTo("+14155550100").SetFrom(from).
			SetTwiml(fmt.Sprintf(`<Response><Dial callerId="%s" timeout="5" action="%s/dialed"><Number>%s</Number></Dial></Response>`, callerID, h.srv.URL, to)))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, fmt.Sprintf("dial action %d", i), func() bool { return len(h.got("/dialed")) == before+1 })
		dialed = append(dialed, h.got("/dialed")[before].Get("DialCallStatus"))
		agent = append(agent, *waitStatus(t, rc, *c.Sid, "completed").Status)
	}
	return dialed, agent
}

func TestAnswerRate(t *testing.T) {
	s, base := emu(t, fast)
	rc := rest(t, base)
	worn, fresh := buy(t, rc, "415"), buy(t, rc, "415")
	h := newHook(t, map[string]string{"/dialed": `<Response><Hangup/></Response>`})

	if err := s.SetAnswerRate(worn, 0.25); err != nil {
		t.Fatal(err)
	}
	// Exactly a quarter of the legs from worn are answered, always the
	// same ones: the 4th and the 8th.
	dialed, agent := dialStatuses(t, rc, h, fresh, worn, contact, 8)
	want := "no-answer,no-answer,no-answer,completed,no-answer,no-answer,no-answer,completed"
	if got := strings.Join(dialed, ","); got != want {
		t.Errorf("legs dialed from %s with answer rate 0.25: %s, want %s", worn, got, want)
	}
	// The agent's leg (created with the API, from fresh) is answered
	// each time; so is every leg dialed from the other number.
	if got := strings.Join(agent, ","); got != strings.Repeat("completed,", 7)+"completed" {
		t.Errorf("agent legs %s", got)
	}
	dialed, _ = dialStatuses(t, rc, h, fresh, fresh, contact, 2)
	if got := strings.Join(dialed, ","); got != "completed,completed" {
		t.Errorf("legs from a number with no answer rate: %s", got)
	}
	// A busy callee stays busy rather than unanswered.
	dialed, _ = dialStatuses(t, rc, h, fresh, worn, "+12125551111", 1)
	if dialed[0] != "busy" {
		t.Errorf("busy callee dialed from %s: %s", worn, dialed[0])
	}

	for _, bad := range []float64{-0.1, 1.5} {
		if err := s.SetAnswerRate(worn, bad); err == nil || !strings.Contains(err.Error(), "want a share from 0 to 1") {
			t.Errorf("SetAnswerRate(%v): %v", bad, err)
		}
	}
	if err := s.SetAnswerRate("", 0.5); err == nil {
		t.Error("SetAnswerRate with no caller ID: no error")
	}
	// Rate 1 clears it.
	if err := s.SetAnswerRate(worn, 1); err != nil {
		t.Fatal(err)
	}
	dialed, _ = dialStatuses(t, rc, h, fresh, worn, contact, 1)
	if dialed[0] != "completed" {
		t.Errorf("after rate 1: %s", dialed[0])
	}
}

func TestAnswerRateEndpoint(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	h := newHook(t, map[string]string{"/dialed": `<Response><Hangup/></Response>`})
	post := func(body string) int {
		t.Helper()
		return postControl(t, base, "answer-rate", body, testSID, testToken)
	}
	for body, want := range map[string]int{
		fmt.Sprintf(`{"caller_id":%q}`, from):          400, // no rate
		fmt.Sprintf(`{"caller_id":%q,"rate":2}`, from): 400,
		`{"rate":0.5}`:  400, // no caller ID
		`{"caller_id":`: 400,
		fmt.Sprintf(`{"caller_id":%q,"rate":0.5}`, from):    200,
		fmt.Sprintf(`{"caller_id":%q,"rate":0.5}`, "+1415"): 200, // any caller ID: nothing checks it is owned
	} {
		if got := post(body); got != want {
			t.Errorf("answer-rate %s: %d, want %d", body, got, want)
		}
	}
	if st := postControl(t, base, "answer-rate", `{"caller_id":"+14155550100","rate":0}`, "", ""); st != 401 {
		t.Errorf("answer-rate without auth: %d", st)
	}
	if st := post(fmt.Sprintf(`{"caller_id":%q,"rate":0}`, from)); st != 200 {
		t.Fatalf("answer-rate 0: %d", st)
	}
	dialed, _ := dialStatuses(t, rc, h, from, from, contact, 2)
	if got := strings.Join(dialed, ","); got != "no-answer,no-answer" {
		t.Errorf("legs from %s with answer rate 0: %s", from, got)
	}
}
