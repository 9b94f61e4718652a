package day

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Tue 2026-12-08 14:00 UTC: 9 AM in New York, 4 AM in Honolulu.
const tuesday = "2026-12-08 14:00"

func ny(id int64, name string) dialer.Contact {
	return dialer.Contact{ID: id, Name: name, Phone: fmt.Sprintf("+1212555%04d", 100+id)}
}

func ids(es []Entry) string {
	var s []string
	for _, e := range es {
		s = append(s, fmt.Sprintf("%d:%s", e.Contact.ID, e.Why))
	}
	return strings.Join(s, " ")
}

func skips(ss []Skip) string {
	var s []string
	for _, k := range ss {
		s = append(s, fmt.Sprintf("%d %s: %s", k.Contact.ID, k.Kind, k.Reason))
	}
	return strings.Join(s, "\n")
}

func TestPlanOrdersAndSkips(t *testing.T) {
	now := utc(tuesday)
	dnc := ny(4, "Dora")
	dnc.DoNotCall = true
	island := hana
	island.ID = 5
	tollFree := dialer.Contact{ID: 9, Name: "Tess", Phone: "+18005550100"}
	contacts := []dialer.Contact{
		ny(1, "Ann"), ny(2, "Bob"), ny(3, "Cid"), dnc, island, ny(6, "Fay"), ny(7, "Gil"),
		ny(8, "Hal"), tollFree, ny(10, "Jo"), ny(11, "Kit"), ny(1, "Ann"), // Ann twice
	}
	hist := map[int64]dialer.ContactHistory{
		2:  {Attempts: 2, LastCalled: now.Add(-3 * 24 * time.Hour), LastOutcome: dialer.OutcomeNoAnswer},
		3:  {Attempts: 1, LastCalled: now.Add(-5 * 24 * time.Hour), LastOutcome: dialer.OutcomeVoicemail},
		6:  {Attempts: 1, LastCalled: now.Add(-24 * time.Hour)},
		7:  {Attempts: 3, LastCalled: now.Add(-48 * time.Hour)},
		8:  {Attempts: 5, LastCalled: now.Add(-7 * 24 * time.Hour)},
		10: {Attempts: 1, LastCalled: now.Add(-24 * time.Hour)},
	}
	callbacks := map[int64]dialer.Callback{
		6:  {ID: 60, ContactID: 6, Due: now.Add(-time.Hour)},
		7:  {ID: 70, ContactID: 7, Due: now.Add(-3 * time.Hour)},  // more overdue: first
		10: {ID: 100, ContactID: 10, Due: now.Add(2 * time.Hour)}, // not due yet
		4:  {ID: 40, ContactID: 4, Due: now.Add(-time.Hour)},      // due, but do-not-call
	}
	set := dialer.DefaultSettings() // 08:00-21:00, 5 attempts
	q := Plan(contacts, hist, callbacks, now, set)
	if got, want := ids(q.Entries), "7:callback 6:callback 1:never_called 11:never_called 3:retry 2:retry"; got != want {
		t.Errorf("queue %s\nwant  %s", got, want)
	}
	if got, want := ids(q.Later), "10:callback"; got != want {
		t.Errorf("later %s, want %s", got, want)
	}
	want := strings.Join([]string{
		"4 do_not_call: on the do-not-call list",
		"5 outside_hours: outside calling hours (08:00-21:00): it is Tue 4:00 AM in Pacific/Honolulu; callable from Tue 8:00 AM",
		"8 attempt_limit: 5 of 5 attempts",
		"9 invalid_phone: contact Tess: +18005550100 is a toll-free number; no local caller ID exists for it",
	}, "\n")
	if got := skips(q.Skipped); got != want {
		t.Errorf("skipped\n%s\nwant\n%s", got, want)
	}
	if q.Skipped[1].Until != utc("2026-12-08 18:00") || !q.Skipped[0].At.Equal(now) {
		t.Errorf("hours skip until %s, at %s", q.Skipped[1].Until, q.Skipped[0].At)
	}
	if e := q.Entries[4]; e.History.LastOutcome != dialer.OutcomeVoicemail || e.Callback.ID != 0 {
		t.Errorf("a retry carries its history and no callback: %+v", e)
	}
	if e := q.Entries[0]; e.Callback.ID != 70 {
		t.Errorf("a callback entry carries its callback: %+v", e)
	}

	// No limit: Hal, tried a week ago, comes first of the retries.
	set.AttemptLimit = 0
	q = Plan(contacts, hist, callbacks, now, set)
	if got, want := ids(q.Entries), "7:callback 6:callback 1:never_called 11:never_called 8:retry 3:retry 2:retry"; got != want {
		t.Errorf("with no limit: %s\nwant %s", got, want)
	}
	// A done callback is no callback.
	done := map[int64]dialer.Callback{6: {ID: 60, ContactID: 6, Due: now.Add(-time.Hour), DoneAt: now.Add(-time.Minute)}}
	q = Plan([]dialer.Contact{ny(6, "Fay"), ny(1, "Ann")}, hist, done, now, set)
	if got, want := ids(q.Entries), "1:never_called 6:retry"; got != want {
		t.Errorf("with a done callback: %s, want %s", got, want)
	}
}
