package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// placeCall records a finished call to c with its contact leg.
func placeCall(t *testing.T, db *store.DB, c dialer.Contact, at time.Time, o dialer.Outcome, talk time.Duration, price string) {
	t.Helper()
	ctx := context.Background()
	call, err := db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Sam", AgentPhone: "+14155550111",
		CallerID: "+12125550100", Confirm: dialer.ConfirmAuto, StartedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	leg := dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprintf("CA%032d", call.ID), To: c.Phone, Status: dialer.CallCompleted, Duration: talk}
	if price != "" {
		m := dialer.MustMoney(price, "USD")
		leg.Price = &m
	}
	if err := db.SaveLeg(ctx, call.ID, leg); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishCall(ctx, call.ID, o, "", at.Add(talk)); err != nil {
		t.Fatal(err)
	}
}

var statsKeys = []string{"call_spend", "callbacks_due", "calls", "connect_rate", "connects", "currency", "number_fees", "since", "talk_seconds", "unpriced_legs"}

func TestStats(t *testing.T) { forEngines(t, testStats) }

func testStats(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	seed(t, c.db()) // a 1.00 USD reservation fee on 2026-11-02
	ctx := context.Background()
	db, err := store.Open(ctx, c.db())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ann, err := db.CreateContact(ctx, dialer.Contact{Name: "Ann", Phone: "+12125550143", CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	placeCall(t, db, ann, time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC), dialer.OutcomeAnswered, time.Hour, "0.50") // before --since
	placeCall(t, db, ann, day1, dialer.OutcomeAnswered, 90*time.Second, "0.0280")
	placeCall(t, db, ann, day1.Add(time.Hour), dialer.OutcomeNoAnswer, 0, "0")
	placeCall(t, db, ann, day1.Add(2*time.Hour), dialer.OutcomeAnswered, 30*time.Second, "") // not priced yet
	placeCall(t, db, ann, now, dialer.OutcomeAnswered, 5*time.Second, "0.0020")              // today
	if _, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: ann.ID, Due: now.Add(-time.Minute), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := c.ok("stats", "--since", "2026-11-02", "--json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys(raw), statsKeys) {
		t.Errorf("stats --json keys %v, want %v", keys(raw), statsKeys)
	}
	var s statsJSON
	json.Unmarshal([]byte(out), &s)
	since, _ := time.ParseInLocation("2006-01-02", "2026-11-02", time.Local)
	want := statsJSON{Since: since.UTC(), Calls: 4, Connects: 3, ConnectRate: 0.75, TalkSeconds: 125, NumberFees: "1.00",
		CallSpend: "0.03", Currency: "USD", UnpricedLegs: 1, CallbacksDue: 1}
	if s != want {
		t.Errorf("stats --since 2026-11-02:\n%+v\nwant\n%+v", s, want)
	}

	var today statsJSON
	c.json(&today, "stats", "--today", "--json")
	if today.Calls != 1 || today.TalkSeconds != 5 || today.CallSpend != "0.002" || today.NumberFees != "0.00" || today.CallbacksDue != 1 ||
		!today.Since.Equal(localMidnight(time.Now())) {
		t.Errorf("stats --today: %+v", today)
	}
	out = c.ok("stats", "--since", "2026-11-02")
	for _, want := range []string{"Since Mon 2026-11-02\n", "calls:         4\n", "connect rate:  75%\n", "talk time:     0:02:05\n",
		"number fees:   1.00 USD\n", "call spend:    0.03 USD (+1 leg not priced yet)\n", "callbacks due: 1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
	if out := c.ok("stats"); !strings.HasPrefix(out, "Today\ncalls:         1\n") {
		t.Errorf("stats:\n%s", out)
	}

	future := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	for _, tc := range []struct {
		msg  string
		args []string
	}{
		{"stats takes --today or --since, not both", []string{"stats", "--today", "--since", "2026-11-02"}},
		{`--since "yesterday" is not a date such as 2026-12-01`, []string{"stats", "--since", "yesterday"}},
		{"--since " + future + " is in the future", []string{"stats", "--since", future}},
		{"stats takes no arguments", []string{"stats", "today"}},
	} {
		c.fails(2, tc.msg, tc.args...)
	}
}
