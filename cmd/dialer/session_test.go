package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/ui"
)

const (
	sessEmuSID   = "AC00112233445566778899aabbccddeeff"
	sessEmuToken = "ffeeddccbbaa99887766554433221100"
)

// sessionWorld is `dialer session` in live mode against a Twilio emulator
// the test runs over HTTP (100 times faster than real time, calls never
// priced), on a data directory of its own.
type sessionWorld struct {
	t      *testing.T
	c      *callEnv
	emuURL string
	dbPath string
}

func newSessionWorld(t *testing.T, talk time.Duration) *sessionWorld {
	t.Helper()
	return newSessionWorldOn(t, cmdEngines[0], talk)
}

// newSessionWorldOn is newSessionWorld with its database on engine eng.
func newSessionWorldOn(t *testing.T, eng cmdEngine, talk time.Duration) *sessionWorld {
	t.Helper()
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: sessEmuSID, AuthToken: sessEmuToken, TimeScale: 0.01,
		PriceDelay: 1000 * time.Hour, TalkTime: talk})
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	c := newCallEnv(t)
	eng.use(t, c.envv)
	delete(c.envv, "DIALER_SANDBOX_TIME_SCALE")
	c.envv["TWILIO_ACCOUNT_SID"], c.envv["TWILIO_AUTH_TOKEN"], c.envv["DIALER_TWILIO_BASE_URL"] = sessEmuSID, sessEmuToken, url
	if code, out, errOut := c.run("", "agent", "set", "--name", "Fox Mulder", "--phone", "+12025550199"); code != 0 {
		t.Fatalf("agent set: %d %s %s", code, out, errOut)
	}
	dbPath := c.envv["DIALER_DATA_DIR"] + "/dialer.db"
	if u := c.envv["DIALER_DATABASE_URL"]; u != "" {
		dbPath = u
	}
	return &sessionWorld{t: t, c: c, emuURL: url, dbPath: dbPath}
}

// withStore opens the database, gives it to fn and closes it.
func (w *sessionWorld) withStore(fn func(db *store.DB)) {
	w.t.Helper()
	db, err := store.Open(context.Background(), w.dbPath)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// emuCall is a call as the emulator lists it.
type emuCall struct {
	To     string  `json:"to"`
	Parent *string `json:"parent_call_sid"`
	Status string  `json:"status"`
}

// emulatorCalls are every call placed at the emulator, newest first.
func (w *sessionWorld) emulatorCalls() []emuCall {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.emuURL+"/2010-04-01/Accounts/"+sessEmuSID+"/Calls.json?PageSize=1000", nil)
	req.SetBasicAuth(sessEmuSID, sessEmuToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Calls []emuCall }
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		w.t.Fatalf("emulator calls: %d %v", resp.StatusCode, err)
	}
	return page.Calls
}

// phonesIn are n distinct valid numbers of area code ac ending in last4.
func phonesIn(t *testing.T, ac, last4 string, n int) []string {
	t.Helper()
	var out []string
	for exch := 201; exch <= 999 && len(out) < n; exch++ {
		p := fmt.Sprintf("+1%s%03d%s", ac, exch, last4)
		if ph, err := dialer.ParsePhone(p); err == nil && ph.AreaCode == ac {
			out = append(out, p)
		}
	}
	if len(out) < n {
		t.Fatalf("only %d valid numbers in area code %s ending %s", len(out), ac, last4)
	}
	return out
}

// zoneAt is a time zone where it is hour o'clock now (fixed offsets, so
// the test passes at any hour of any day).
func zoneAt(hour int) string {
	off := (hour - time.Now().UTC().Hour() + 48) % 24
	if off > 14 {
		off -= 24
	}
	switch {
	case off > 0:
		return fmt.Sprintf("Etc/GMT-%d", off) // the sign is POSIX's, the other way round
	case off < 0:
		return fmt.Sprintf("Etc/GMT+%d", -off)
	}
	return "Etc/UTC"
}

// A session over a list of ten: a callback due comes first, then contacts
// never called by id, then those tried longest ago; the do-not-call one,
// the one where it is night and the one at the attempt limit are skipped
// with their reasons and never dialed; a callback not due yet is left for
// later. Each call is placed at the provider, gets its disposition from
// how it ended (--outcome for those answered), and the summary adds up.
func TestSessionCallsAListInOrder(t *testing.T) { forEngines(t, testSessionCallsAListInOrder) }

func testSessionCallsAListInOrder(t *testing.T, eng cmdEngine) {
	w := newSessionWorldOn(t, eng, 0)
	day, night := zoneAt(12), zoneAt(3)
	humans := phonesIn(t, "212", "0143", 8)
	busy, noAnswer, voicemail := phonesIn(t, "212", "1111", 1)[0], phonesIn(t, "212", "2222", 1)[0], phonesIn(t, "212", "3333", 1)[0]
	type person struct {
		name, phone, zone string
	}
	people := []person{
		{"Ann Never", humans[0], day},     // 1: never called, answers
		{"Bob Busy", busy, day},           // 2: never called, busy
		{"Cat Dnc", humans[1], day},       // 3: on the do-not-call list
		{"Dan Night", humans[2], night},   // 4: 3 AM where he is
		{"Eve Limit", humans[3], day},     // 5: called twice already, the limit
		{"Fay Oldest", humans[4], day},    // 6: tried 3 days ago, answers
		{"Gus Voicemail", voicemail, day}, // 7: tried yesterday, voicemail
		{"Hal Callback", humans[5], day},  // 8: callback due an hour ago, answers
		{"Ivy Later", humans[6], day},     // 9: callback due tomorrow
		{"Jon Noanswer", noAnswer, day},   // 10: never called, no answer
	}
	outsider := person{"Kim Elsewhere", humans[7], day} // not on the list
	now := time.Now().UTC()
	ids := map[string]int64{}
	w.withStore(func(db *store.DB) {
		ctx := context.Background()
		set, err := db.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		set.AttemptLimit = 2
		if err := db.SaveSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
		var listed []int64
		for _, p := range append(people, outsider) {
			c, err := db.CreateContact(ctx, dialer.Contact{Name: p.name, Phone: p.phone, TimeZone: p.zone, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				t.Fatal(err)
			}
			ids[p.name] = c.ID
			if p != outsider {
				listed = append(listed, c.ID)
			}
		}
		if err := db.AddToList(ctx, "Leads", listed, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddDNC(ctx, []string{humans[1]}, "asked us not to", "test", now); err != nil {
			t.Fatal(err)
		}
		past := func(name string, ago time.Duration) {
			c, err := db.StartCall(ctx, dialer.Call{ContactID: ids[name], AgentName: "Fox Mulder", AgentPhone: "+12025550199",
				CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: now.Add(-ago)})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.FinishCall(ctx, c.ID, dialer.OutcomeNoAnswer, "", now.Add(-ago+time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		past("Eve Limit", 96*time.Hour)
		past("Eve Limit", 72*time.Hour)
		past("Fay Oldest", 72*time.Hour)
		past("Gus Voicemail", 24*time.Hour)
		for name, due := range map[string]time.Time{"Hal Callback": now.Add(-time.Hour), "Ivy Later": now.Add(24 * time.Hour)} {
			if _, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: ids[name], Due: due, CreatedBy: "test", CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	})

	code, out, errOut := w.c.run("", "session", "--list", "Leads", "--confirm", "auto", "--hangup-after", "500ms",
		"--outcome", "interested", "--json")
	if code != 0 {
		t.Fatalf("session: exit %d\n%s\n%s", code, out, errOut)
	}
	var got sessionJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("session --json: %v\n%s", err, out)
	}

	// The order: skips found when planning, then the callback due, those
	// never called (by id), those tried longest ago.
	var order []string
	for _, c := range got.Contacts {
		order = append(order, c.Contact.Name+" "+c.Result+" "+c.Skip)
	}
	want := []string{"Cat Dnc skipped do_not_call", "Dan Night skipped outside_hours", "Eve Limit skipped attempt_limit",
		"Hal Callback called ", "Ann Never called ", "Bob Busy called ", "Jon Noanswer called ", "Fay Oldest called ", "Gus Voicemail called "}
	if !slices.Equal(order, want) {
		t.Fatalf("contacts in order\n%s\nwant\n%s\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"), out)
	}
	byName := map[string]sessionContactJSON{}
	for _, c := range got.Contacts {
		byName[c.Contact.Name] = c
	}
	for name, reason := range map[string]string{
		"Cat Dnc":   "on the do-not-call list",
		"Dan Night": "outside calling hours (08:00-21:00): it is ",
		"Eve Limit": "2 of 2 attempts",
	} {
		if r := byName[name].Reason; !strings.HasPrefix(r, reason) {
			t.Errorf("%s skipped for %q, want %q", name, r, reason)
		}
	}
	if q := byName["Hal Callback"].Queue; q != "callback" {
		t.Errorf("Hal's queue %q", q)
	}
	if len(got.Remaining) != 1 || got.Remaining[0].Contact.Name != "Ivy Later" || got.Remaining[0].CallbackDue == nil {
		t.Errorf("remaining %+v, want Ivy's callback not due yet", got.Remaining)
	}

	// At the provider: each contact called was dialed once, the agent's
	// phone rang once per call, nobody skipped was dialed.
	dialed := map[string]int{}
	for _, c := range w.emulatorCalls() {
		dialed[c.To]++
	}
	for _, p := range people {
		n, wantN := dialed[p.phone], 0
		if byName[p.name].Result == "called" {
			wantN = 1
		}
		if n != wantN {
			t.Errorf("%s (%s) dialed %d times at the provider, want %d", p.name, p.phone, n, wantN)
		}
	}
	if dialed[outsider.phone] != 0 || dialed["+12025550199"] != 6 {
		t.Errorf("provider calls %v: want the agent rung 6 times and nobody off the list", dialed)
	}

	// In the store: each call with its outcome and disposition; the
	// summary adds them up.
	wantCalls := map[string][2]string{
		"Hal Callback": {"answered", "Interested"}, "Ann Never": {"answered", "Interested"}, "Fay Oldest": {"answered", "Interested"},
		"Bob Busy": {"busy", "Busy"}, "Jon Noanswer": {"no_answer", "No answer"}, "Gus Voicemail": {"voicemail", "Left voicemail"},
	}
	var talk time.Duration
	legs := 0
	w.withStore(func(db *store.DB) {
		calls, err := db.Calls(context.Background(), dialer.CallFilter{Since: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 6 {
			t.Fatalf("%d calls recorded, want 6", len(calls))
		}
		slices.Reverse(calls) // oldest first
		for i, c := range calls {
			name := strings.Fields(order[3+i])[0] + " " + strings.Fields(order[3+i])[1]
			if c.ContactID != ids[name] {
				t.Errorf("call %d went to contact %d, want %s", i+1, c.ContactID, name)
				continue
			}
			if w := wantCalls[name]; string(c.Outcome) != w[0] || c.Disposition != w[1] {
				t.Errorf("%s: outcome %s, disposition %q; want %s, %q", name, c.Outcome, c.Disposition, w[0], w[1])
			}
			if j := byName[name]; j.CallID != c.ID || j.Outcome != string(c.Outcome) || j.Disposition != c.Disposition || j.CallerID != c.CallerID {
				t.Errorf("%s: JSON %+v, recorded %+v", name, j, c)
			}
			if l, ok := c.Leg(dialer.ContactLeg); ok && c.Outcome == dialer.OutcomeAnswered {
				talk += l.Duration
			}
			legs += len(c.Legs)
		}
		if cbs, _ := db.Callbacks(context.Background(), dialer.CallbackFilter{ContactID: ids["Hal Callback"], Open: true}); len(cbs) != 0 {
			t.Errorf("Hal's callback is still open: %+v", cbs)
		}
	})
	sum := got.Summary
	if sum.Dialed != 6 || sum.Connected != 3 || sum.ConnectRate != 0.5 || sum.Skipped != 3 || sum.Remaining != 1 || sum.Stopped != "" {
		t.Errorf("summary %+v", sum)
	}
	// One caller ID bought for 212 (fee 1.00 USD); the emulator prices
	// no call in this test, so every leg is pending.
	if sum.Spend != "1.00" || sum.SpendUnit != "USD" || sum.UnpricedLegs != legs || legs < 6 {
		t.Errorf("spend %s %s, %d legs unpriced; want 1.00 USD and all %d", sum.Spend, sum.SpendUnit, sum.UnpricedLegs, legs)
	}
	if talk <= 0 || sum.TalkSeconds != int64(talk/time.Second) {
		t.Errorf("talk %d s, want the answered calls' contact legs: %v", sum.TalkSeconds, talk)
	}
	fees := 0
	for _, c := range got.Contacts {
		if c.NewNumberFee != nil {
			fees++
		}
	}
	if fees != 1 || byName["Hal Callback"].NewNumberFee == nil {
		t.Errorf("%d calls bought a number, want the first only", fees)
	}
}

// Ctrl-C during a call: the call is hung up and recorded, the contacts
// after it are left, and the summary prints; the session ran: exit 0.
// Names are shown inert.
func TestSessionCtrlCStopsWithASummary(t *testing.T) {
	forEngines(t, testSessionCtrlCStopsWithASummary)
}

func testSessionCtrlCStopsWithASummary(t *testing.T, eng cmdEngine) {
	w := newSessionWorldOn(t, eng, time.Hour) // a contact who would talk for an hour (36 s here)
	phones := phonesIn(t, "212", "0143", 3)
	w.withStore(func(db *store.DB) {
		now := time.Now().UTC()
		for i, name := range []string{"Ann \x1b]0;pwned\x07One", "Bob Two", "Cid Three"} {
			if _, err := db.CreateContact(context.Background(), dialer.Contact{Name: name, Phone: phones[i], TimeZone: zoneAt(12), CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Ctrl-C once the first contact has talked for a while.
		for ctx.Err() == nil {
			for _, c := range w.emulatorCalls() {
				if c.To == phones[0] && c.Status == "in-progress" {
					time.Sleep(100 * time.Millisecond) // 10 s of the emulator's time
					cancel()
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"session", "--confirm", "auto"}, strings.NewReader(""), &out, &errOut, func(k string) string { return w.c.envv[k] })
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the session took %v to stop", took)
	}
	text := out.String()
	for _, want := range []string{
		"Session over every contact: 3 contacts to call, 0 skipped.",
		"called   Ann One (" + phones[0] + ") [never called] · caller ID +1212",
		"(bought for this call, fee 1.00 USD) · answered, talk 0:00:",
		"Session summary (stopped: interrupted)",
		"dialed:       1\n", "connected:    1\n", "connect rate: 100%\n", "spend:        1.00 USD (+2 legs not priced yet)\n",
		"skipped:      0\n", "remaining:    2\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "talk 0:00:00") {
		t.Errorf("no talk time for a call answered for a while:\n%s", text)
	}
	t.Logf("output:\n%s", text)
	if strings.ContainsAny(text, "\x1b\x07") {
		t.Errorf("a contact's name reached the terminal as control codes: %q", text)
	}
	for _, c := range w.emulatorCalls() {
		if c.To == phones[1] || c.To == phones[2] {
			t.Errorf("%s dialed after Ctrl-C", c.To)
		}
		if c.Status == "in-progress" || c.Status == "ringing" || c.Status == "queued" {
			t.Errorf("a call to %s is still %s after the session", c.To, c.Status)
		}
	}
	w.withStore(func(db *store.DB) {
		calls, err := db.Calls(context.Background(), dialer.CallFilter{})
		if err != nil || len(calls) != 1 || calls[0].Outcome != dialer.OutcomeAnswered || calls[0].EndedAt.IsZero() || calls[0].Disposition != "" {
			t.Errorf("calls recorded %+v %v: want one, answered and ended, no disposition without --outcome", calls, err)
		}
	})
}

func TestSessionUsage(t *testing.T) {
	c := newCallEnv(t)
	c.run("", "agent", "set", "--name", "Ann", "--phone", "+12025550199")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"session"}, "session needs --confirm auto"},
		{[]string{"session", "--confirm", "terminal"}, "takes only auto"},
		{[]string{"session", "--confirm", "auto", "x"}, "session takes flags only"},
		{[]string{"session", "--confirm", "auto", "--limit", "-1"}, "--limit -1 is negative"},
		{[]string{"session", "--confirm", "auto", "--outcome", "Great"}, "want one of Interested, "},
		{[]string{"session", "--confirm", "auto", "--outcome", "do not call again"}, "one contact's wish"},
	} {
		code, out, errOut := c.run("", tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if code, _, errOut := c.run("", "session", "--confirm", "auto", "--list", "Nobody"); code != 1 || !strings.Contains(errOut, "Nobody") {
		t.Errorf("an unknown list: exit %d, %s", code, errOut)
	}
}

// The dispositions a session derives are ones the call screen offers.
func TestSessionDispositionsAreTheScreens(t *testing.T) {
	for _, o := range []dialer.Outcome{dialer.OutcomeAnswered, dialer.OutcomeVoicemail, dialer.OutcomeBusy, dialer.OutcomeNoAnswer,
		dialer.OutcomeFailed, dialer.OutcomeCanceled, dialer.OutcomeUnknown} {
		if d := sessionDisposition(o, "Interested"); d != "" && !slices.Contains(ui.Dispositions, d) {
			t.Errorf("%s: disposition %q is not the call screen's", o, d)
		}
	}
	if slices.Contains(sessionOutcomes(), dncDisposition) || len(sessionOutcomes()) != len(ui.Dispositions)-1 {
		t.Errorf("--outcome takes %v", sessionOutcomes())
	}
}

// A session stops early, with its summary, when --limit is reached (exit
// 0), when the daily cap refuses a call, or when the agent's phone is not
// answered (exit 1: no other contact could be called either).
func TestSessionStopsEarly(t *testing.T) {
	for _, tc := range []struct {
		name, agentPhone string
		cap              int
		args             []string
		code             int
		dialed, skipped  int
		stopped          string
	}{
		{"limit", "+12025550199", 0, []string{"--limit", "1", "--hangup-after", "300ms"}, 0, 1, 0, "--limit 1 reached"},
		{"daily cap", "+12025550199", 1, []string{"--hangup-after", "300ms"}, 1, 1, 1, "today's cap of 1 calls is reached"},
		{"agent away", "+12025552222", 0, nil, 1, 0, 1, "your phone +12025552222 was not answered, so the contact was not dialed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSessionWorld(t, 0)
			w.c.run("", "agent", "set", "--name", "Fox Mulder", "--phone", tc.agentPhone)
			phones := phonesIn(t, "212", "0143", 3)
			w.withStore(func(db *store.DB) {
				ctx, now := context.Background(), time.Now().UTC()
				set, _ := db.Settings(ctx)
				set.DailyCallCap = tc.cap
				if err := db.SaveSettings(ctx, set); err != nil {
					t.Fatal(err)
				}
				for i, p := range phones {
					if _, err := db.CreateContact(ctx, dialer.Contact{Name: fmt.Sprint("Contact ", i+1), Phone: p, TimeZone: zoneAt(12), CreatedAt: now, UpdatedAt: now}); err != nil {
						t.Fatal(err)
					}
				}
			})
			code, out, errOut := w.c.run("", append([]string{"session", "--confirm", "auto", "--json"}, tc.args...)...)
			var got sessionJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil || code != tc.code {
				t.Fatalf("exit %d (want %d), %v\n%s\n%s", code, tc.code, err, out, errOut)
			}
			s := got.Summary
			if s.Dialed != tc.dialed || s.Skipped != tc.skipped || s.Remaining != 3-tc.dialed-tc.skipped || s.Stopped != tc.stopped {
				t.Errorf("summary %+v", s)
			}
			if tc.code != 0 && !strings.Contains(errOut, tc.stopped) {
				t.Errorf("stderr %q, want the reason", errOut)
			}
			contacts := 0
			for _, c := range w.emulatorCalls() {
				if slices.Contains(phones, c.To) {
					contacts++
				}
			}
			if contacts != tc.dialed {
				t.Errorf("%d contacts dialed at the provider, want %d", contacts, tc.dialed)
			}
		})
	}
}
