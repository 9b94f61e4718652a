package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
)

// serveWorld is a team in live mode against an emulator the test runs,
// with `dialer serve` answering the emulator's webhooks over HTTP.
type serveWorld struct {
	t      *testing.T
	emu    *twilioemu.Server
	emuURL string
	sam    *callEnv // the supervisor's machine; serve runs with its environment
	hook   string   // serve's public (and local) base URL
}

func newServeWorld(t *testing.T, eng cmdEngine) *serveWorld {
	t.Helper()
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: sessEmuSID, AuthToken: sessEmuToken, TimeScale: 0.01,
		PriceDelay: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	emuURL, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	w := &serveWorld{t: t, emu: emu, emuURL: emuURL, sam: newCallEnv(t)}
	eng.use(t, w.sam.envv)
	delete(w.sam.envv, "DIALER_SANDBOX_TIME_SCALE")
	w.sam.envv["TWILIO_ACCOUNT_SID"], w.sam.envv["TWILIO_AUTH_TOKEN"], w.sam.envv["DIALER_TWILIO_BASE_URL"] = sessEmuSID, sessEmuToken, emuURL
	w.ok(w.sam, "agent", "set", "--name", "Sam Super", "--phone", "+12025550100")
	return w
}

// machine is another agent's machine on the same database and account.
func (w *serveWorld) machine(name string) *callEnv {
	m := newCallEnv(w.t)
	for k, v := range w.sam.envv {
		if k != "HOME" && k != "XDG_CONFIG_HOME" {
			m.envv[k] = v
		}
	}
	w.ok(m, "agent", "use", name)
	return m
}

func (w *serveWorld) ok(c *callEnv, args ...string) string {
	w.t.Helper()
	code, out, errOut := c.run("", args...)
	if code != 0 {
		w.t.Fatalf("dialer %q: exit %d\n%s\n%s", args, code, out, errOut)
	}
	return out
}

func (w *serveWorld) json(c *callEnv, v any, args ...string) {
	w.t.Helper()
	out := w.ok(c, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		w.t.Fatalf("dialer %q: %v\n%s", args, err, out)
	}
}

// serve starts `dialer serve` on a free port and waits until it listens;
// it stops when the test ends.
func (w *serveWorld) serve() {
	w.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w.hook = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--webhook-url", w.hook, "--listen", addr}, strings.NewReader(""), &out, &errOut,
			func(k string) string { return w.sam.envv[k] })
	}()
	w.t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				w.t.Errorf("serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(10 * time.Second):
			w.t.Error("serve did not stop within 10 s of Ctrl-C")
		}
	})
	eventually(w.t, 10*time.Second, "serve listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// voiceURL is the voice URL the emulator holds for our number e164.
func (w *serveWorld) voiceURL(e164 string) string {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.emuURL+"/2010-04-01/Accounts/"+sessEmuSID+"/IncomingPhoneNumbers.json?PhoneNumber="+url.QueryEscape(e164), nil)
	req.SetBasicAuth(sessEmuSID, sessEmuToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Numbers []struct {
			VoiceURL       string `json:"voice_url"`
			StatusCallback string `json:"status_callback"`
		} `json:"incoming_phone_numbers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Numbers) != 1 {
		w.t.Fatalf("emulator number %s: %v %+v", e164, err, page)
	}
	return page.Numbers[0].VoiceURL
}

type emuLeg struct {
	SID       string  `json:"sid"`
	Status    string  `json:"status"`
	To        string  `json:"to"`
	From      string  `json:"from"`
	Parent    *string `json:"parent_call_sid"`
	Direction string  `json:"direction"`
}

// emuCalls are the calls the emulator knows, newest first.
func (w *serveWorld) emuCalls() []emuLeg {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.emuURL+"/2010-04-01/Accounts/"+sessEmuSID+"/Calls.json?PageSize=1000", nil)
	req.SetBasicAuth(sessEmuSID, sessEmuToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Calls []emuLeg }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		w.t.Fatal(err)
	}
	return page.Calls
}

// setVoiceURL points our number e164 at voice, as a person at Twilio's
// console could.
func (w *serveWorld) setVoiceURL(e164, voice string) {
	w.t.Helper()
	w.updateNumber(e164, url.Values{"VoiceUrl": {voice}})
}

// clearStatusCallback makes Twilio forget to report how calls to e164 end.
func (w *serveWorld) clearStatusCallback(e164 string) {
	w.t.Helper()
	w.updateNumber(e164, url.Values{"StatusCallback": {""}})
}

func (w *serveWorld) updateNumber(e164 string, form url.Values) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.emuURL+"/2010-04-01/Accounts/"+sessEmuSID+"/IncomingPhoneNumbers.json?PhoneNumber="+url.QueryEscape(e164), nil)
	req.SetBasicAuth(sessEmuSID, sessEmuToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	var page struct {
		Numbers []struct {
			SID string `json:"sid"`
		} `json:"incoming_phone_numbers"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Numbers) != 1 {
		w.t.Fatalf("emulator number %s: %+v", e164, page)
	}
	req, _ = http.NewRequest("POST", w.emuURL+"/2010-04-01/Accounts/"+sessEmuSID+"/IncomingPhoneNumbers/"+page.Numbers[0].SID+".json",
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sessEmuSID, sessEmuToken)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		w.t.Fatalf("updating %s at the emulator: %v", e164, err)
	}
	resp.Body.Close()
}

// inbound rings our number `to` from `from` and waits until its record
// has ended and its legs are priced; it returns the record.
func (w *serveWorld) inbound(from, to string) callJSON {
	w.t.Helper()
	sid, err := w.emu.PlaceInbound(twilioemu.Inbound{From: from, To: to, Hold: 60 * time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	var got callJSON
	eventually(w.t, 20*time.Second, "inbound call "+sid+" recorded", func() bool {
		var cs []callJSON
		w.json(w.sam, &cs, "calls", "list", "--json")
		for _, c := range cs {
			for _, l := range c.Legs {
				if l.SID == sid && c.EndedAt != nil {
					got = c
					return true
				}
			}
		}
		return false
	})
	return got
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Calls to our numbers reach the right agent through `dialer serve`: the
// agent who last called the caller from that number, else the number's
// assigned agent, else the fallback phone, else the message; each is
// recorded with its legs, and a missed one is a callback for its agent.
// A request without Twilio's signature is refused.
func TestServeRoutesInboundCalls(t *testing.T) { forEngines(t, testServeRoutesInboundCalls) }

func testServeRoutesInboundCalls(t *testing.T, eng cmdEngine) {
	w := newServeWorld(t, eng)
	w.ok(w.sam, "agents", "add", "--name", "Ann Agent", "--phone", "+13105550101")
	// Bob's phone never answers (the emulator's ...2222).
	w.ok(w.sam, "agents", "add", "--name", "Bob Agent", "--phone", "+13105552222")
	w.ok(w.sam, "settings", "set", "calling_hours", "00:00-24:00")
	w.serve()
	if got := w.ok(w.sam, "settings", "get", "webhook_url"); strings.TrimSpace(got) != w.hook {
		t.Fatalf("serve did not record its URL: webhook_url is %q", got)
	}

	// Numbers bought from now on point at serve: a dedicated one, assigned
	// to Bob, and one unassigned.
	var bobs, spare numberJSON
	w.json(w.sam, &bobs, "numbers", "buy", "--area-code", "212", "--yes", "--json")
	w.ok(w.sam, "numbers", "assign", bobs.PhoneNumber, "Bob Agent")
	w.json(w.sam, &spare, "numbers", "buy", "--area-code", "303", "--yes", "--json")
	for _, n := range []string{bobs.PhoneNumber, spare.PhoneNumber} {
		if got := w.voiceURL(n); got != w.hook+"/twilio/voice" {
			t.Errorf("%s sends its calls to %q", n, got)
		}
	}

	// A number pointed elsewhere (by hand, at Twilio's console) is pointed
	// back by numbers sync; a second sync changes nothing.
	w.setVoiceURL(spare.PhoneNumber, "https://elsewhere.example.com/voice")
	var synced struct {
		VoiceURL string       `json:"voice_url"`
		Held     int          `json:"held"`
		Changed  []numberJSON `json:"changed"`
	}
	w.json(w.sam, &synced, "numbers", "sync", "--json")
	if synced.VoiceURL != w.hook+"/twilio/voice" || synced.Held != 2 || len(synced.Changed) != 1 || synced.Changed[0].PhoneNumber != spare.PhoneNumber {
		t.Errorf("numbers sync: %+v", synced)
	}
	if got := w.voiceURL(spare.PhoneNumber); got != w.hook+"/twilio/voice" {
		t.Errorf("after numbers sync, %s sends its calls to %q", spare.PhoneNumber, got)
	}
	if out := w.ok(w.sam, "numbers", "sync"); out != "0 of 2 numbers changed; all 2 send their calls to "+w.hook+"/twilio/voice.\n" {
		t.Errorf("numbers sync again: %q", out)
	}

	// Ann calls Carol; the caller ID is bought on demand, pointed at serve.
	ann := w.machine("Ann Agent")
	carol := "+15125550177"
	var placed struct {
		Call callJSON `json:"call"`
	}
	code, out, errOut := ann.run("", "call", "--to", carol, "--confirm", "auto", "--json")
	if code != 0 {
		t.Fatalf("Ann's call: %d %s %s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &placed); err != nil || placed.Call.CallerID == "" {
		t.Fatalf("Ann's call: %v %s", err, out)
	}
	annsNumber := placed.Call.CallerID
	if got := w.voiceURL(annsNumber); got != w.hook+"/twilio/voice" {
		t.Errorf("the number bought for Ann's call sends its calls to %q", got)
	}

	// 1. Carol calls that number back: Ann's phone rings, showing Carol's number.
	back := w.inbound(carol, annsNumber)
	if back.Direction != "inbound" || back.AgentName != "Ann Agent" || back.Outcome != "answered" || back.CallerID != annsNumber ||
		back.Contact.Phone != carol || len(back.Legs) != 2 {
		t.Errorf("Carol's call back: %+v", back)
	}
	for _, l := range back.Legs {
		switch l.Role {
		case "agent":
			// Emulated time runs 100 times as fast: a loaded machine's
			// delays shorten the talk, never to nothing.
			if l.To != "+13105550101" || l.Status != "completed" || l.DurationSeconds < 5 {
				t.Errorf("Carol's call back, Ann's leg: %+v", l)
			}
		case "contact":
			if l.To != annsNumber || l.DurationSeconds < 5 {
				t.Errorf("Carol's call back, Carol's leg: %+v", l)
			}
		}
	}
	for _, c := range w.emuCalls() {
		if c.Direction == "outbound-dial" && c.To == "+13105550101" && c.From != carol && c.From != annsNumber {
			t.Errorf("Ann's phone showed %s", c.From)
		}
		if c.Direction == "inbound" && c.To == annsNumber {
			for _, k := range w.emuCalls() {
				if k.Parent != nil && *k.Parent == c.SID && k.From != carol {
					t.Errorf("Ann's phone showed %s for Carol's call, not Carol's number", k.From)
				}
			}
		}
	}

	// Her call is a use of the number: its reservation runs from then.
	var ns []numberJSON
	w.json(w.sam, &ns, "numbers", "list", "--json")
	for _, n := range ns {
		if n.PhoneNumber == annsNumber && (n.LastUsedAt == nil || n.LastUsedAt.Before(*back.StartedAt) ||
			n.ReservedUntil == nil || n.ReservedUntil.Before(back.StartedAt.Add(14*24*time.Hour))) {
			t.Errorf("after Carol's call back, the number was last used %v, reserved until %v", n.LastUsedAt, n.ReservedUntil)
		}
	}

	// While Carol talks to Ann again, the Team screen says so.
	again, err := w.emu.PlaceInbound(twilioemu.Inbound{From: carol, To: annsNumber, Hold: 300 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	target := w.sam.envv["DIALER_DATABASE_URL"]
	if target == "" {
		target = w.sam.envv["DIALER_DATA_DIR"] + "/dialer.db"
	}
	db, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eventually(t, 10*time.Second, "the Team screen shows Ann talking to Carol", func() bool {
		sts, err := db.Team(context.Background(), time.Now().Add(-time.Hour), time.Now(), "USD")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range sts {
			if st.Agent.Name == "Ann Agent" && st.State == dialer.AgentOnCall && st.Contact == carol+" (calling in)" {
				return true
			}
		}
		return false
	})
	eventually(t, 20*time.Second, "Carol's second call ends", func() bool {
		for _, c := range w.emuCalls() {
			if c.SID == again {
				return c.Status == "completed"
			}
		}
		return false
	})

	// 2. A stranger calls Bob's number: Bob's phone rings, unanswered; the
	// stranger becomes a contact with a callback due now for Bob.
	stranger := "+16175550123"
	missed := w.inbound(stranger, bobs.PhoneNumber)
	if missed.AgentName != "Bob Agent" || missed.Outcome != "no_answer" || missed.Contact.Phone != stranger {
		t.Errorf("the stranger's call to Bob's number: %+v", missed)
	}
	var cbs []callbackJSON
	w.json(w.sam, &cbs, "callbacks", "list", "--json")
	if len(cbs) != 1 || cbs[0].Phone != stranger || !cbs[0].DueNow || cbs[0].AgentID != 3 || !strings.Contains(cbs[0].Note, "Missed call to "+bobs.PhoneNumber) {
		t.Errorf("callbacks after the missed call: %+v", cbs)
	}

	if out := w.ok(w.sam, "callbacks", "list"); !strings.Contains(out, " FOR ") || !strings.Contains(out, " Bob Agent ") {
		t.Errorf("callbacks list does not say whom the missed call's callback is for:\n%s", out)
	}

	// 3. No agent for the spare number: the fallback phone (Sam's) rings.
	w.ok(w.sam, "settings", "set", "inbound_fallback", "+12025550100")
	fb := w.inbound("+17035550150", spare.PhoneNumber)
	if fb.AgentName != "fallback" || fb.AgentPhone != "+12025550100" || fb.Outcome != "answered" {
		t.Errorf("the call to the spare number, with a fallback phone: %+v", fb)
	}

	// 4. No fallback phone: the message, and a callback for no one.
	w.ok(w.sam, "settings", "set", "inbound_fallback", "message")
	msg := w.inbound("+19085550140", spare.PhoneNumber)
	if msg.Outcome != "no_answer" || len(msg.Legs) != 1 {
		t.Errorf("the call to the spare number, with the message: %+v", msg)
	}
	w.json(w.sam, &cbs, "callbacks", "list", "--json")
	if len(cbs) != 2 {
		t.Errorf("callbacks after the message: %+v", cbs)
	}

	// Every leg is priced once the provider has priced it: the caller's
	// leg at the inbound rate, the agent's at the outbound one.
	time.Sleep(50 * time.Millisecond) // the emulator prices a leg 1 s (emulated) after it ended
	w.ok(w.sam, "calls", "backfill")
	var priced []callJSON
	w.json(w.sam, &priced, "calls", "list", "--json")
	for _, c := range priced {
		if c.ID != back.ID {
			continue
		}
		if c.TotalPrice == nil {
			t.Errorf("Carol's call back is not priced: %+v", c)
		}
		for _, l := range c.Legs {
			if l.Price == nil || *l.Price == "0.00" {
				t.Errorf("Carol's call back, %s leg: price %v", l.Role, l.Price)
			}
			if l.Role == "agent" && (l.RatePerMinute == nil || *l.RatePerMinute != "0.014") {
				t.Errorf("Carol's call back, Ann's leg: rate %v", l.RatePerMinute)
			}
		}
	}

	// A call whose end Twilio never reported (the status callback lost):
	// housekeeping's repair (`calls backfill`) records it from the
	// provider.
	w.ok(w.sam, "settings", "set", "inbound_fallback", "+12025550100")
	w.clearStatusCallback(spare.PhoneNumber)
	sid, err := w.emu.PlaceInbound(twilioemu.Inbound{From: "+19145550128", To: spare.PhoneNumber, Hold: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the unreported call ends at the provider", func() bool {
		for _, c := range w.emuCalls() {
			if c.SID == sid {
				return c.Status == "completed"
			}
		}
		return false
	})
	var open []callJSON
	w.json(w.sam, &open, "calls", "list", "--json")
	if open[0].EndedAt != nil || open[0].Contact.Phone != "+19145550128" {
		t.Fatalf("the unreported call before repair: %+v", open[0])
	}
	w.ok(w.sam, "calls", "backfill")
	w.json(w.sam, &open, "calls", "list", "--json")
	if open[0].EndedAt == nil || open[0].Outcome != "answered" || len(open[0].Legs) != 2 {
		t.Errorf("the unreported call after repair: %+v", open[0])
	}

	// Keypad confirmation of a call placed by Ann's own dialer goes
	// through serve: Ann presses a key, serve dials the contact.
	code, out, errOut = ann.run("", "call", "--to", "+15125550188", "--confirm", "keypad", "--json")
	if code != 0 {
		t.Fatalf("Ann's keypad call: %d %s %s", code, out, errOut)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	var keyed struct {
		Call callJSON `json:"call"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &keyed); err != nil || keyed.Call.Outcome != "answered" || len(keyed.Call.Legs) != 2 ||
		keyed.Call.Confirm != "keypad" {
		t.Errorf("Ann's keypad call through serve: %v %+v", err, keyed.Call)
	}

	// A forged webhook (no signature, a wrong one) is refused and rings no one.
	var before []callJSON
	w.json(w.sam, &before, "calls", "list", "--json")
	form := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "From": {carol}, "To": {annsNumber}, "Direction": {"inbound"}, "CallStatus": {"ringing"}}
	for _, sig := range []string{"", "bm90IGEgc2lnbmF0dXJl"} {
		req, _ := http.NewRequest("POST", w.hook+"/twilio/voice", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a voice webhook with signature %q answered %d", sig, resp.StatusCode)
		}
	}
	var after []callJSON
	w.json(w.sam, &after, "calls", "list", "--json")
	if len(after) != len(before) {
		t.Errorf("forged webhooks recorded %d calls", len(after)-len(before))
	}
}

// serve says what it needs: both flags, a usable URL, and a provider that
// calls webhooks (not the sandbox's emulator inside this process).
func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--listen", "127.0.0.1:0"}, "dialer: serve needs --webhook-url URL (what Twilio calls) and --listen ADDRESS (where this process listens)"},
		{[]string{"serve", "--webhook-url", "ftp://x.example.com", "--listen", "127.0.0.1:0"}, `dialer: --webhook-url: webhook URL "ftp://x.example.com": want an absolute https:// URL`},
		{[]string{"serve", "--webhook-url", "https://x.example.com", "--listen", "127.0.0.1:0"}, "dialer: serve answers Twilio's webhooks, and in sandbox mode nothing calls them"},
	} {
		code, out, errOut := runCLI(t, dir, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("dialer %q: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
}
