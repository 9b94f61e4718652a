package day

import (
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// fakeClock is a clock a test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func usd(s string) dialer.Money { return dialer.MustMoney(s, "USD") }

// tenContacts are a session's list at Mon 2026-12-07 20:30 in New York
// (Tue 01:30 UTC): a do-not-call one, one out of hours (in London), one
// over the attempt limit, one with a callback due, and six to call.
func tenContacts(now time.Time) ([]dialer.Contact, map[int64]dialer.ContactHistory, map[int64]dialer.Callback) {
	cat := ny(3, "Cat")
	cat.DoNotCall = true
	dan := ny(4, "Dan")
	dan.TimeZone = "Europe/London" // 1:30 AM there
	bob := lena
	bob.ID, bob.Name = 2, "Bob"
	gus := hana
	gus.ID, gus.Name = 7, "Gus"
	ivy := lena
	ivy.ID, ivy.Name = 9, "Ivy"
	contacts := []dialer.Contact{ny(1, "Ann"), bob, cat, dan, ny(5, "Eve"), ny(6, "Fay"), gus, ny(8, "Hal"), ivy, ny(10, "Jon")}
	hist := map[int64]dialer.ContactHistory{
		5: {Attempts: 1, LastCalled: now.Add(-24 * time.Hour)},
		6: {Attempts: 5, LastCalled: now.Add(-24 * time.Hour)},
		7: {Attempts: 1, LastCalled: now.Add(-48 * time.Hour)},
		9: {Attempts: 2, LastCalled: now.Add(-24 * time.Hour)},
	}
	callbacks := map[int64]dialer.Callback{5: {ID: 1, ContactID: 5, Due: now.Add(-time.Hour)}}
	return contacts, hist, callbacks
}

func next(t *testing.T, s *Session, want string) Entry {
	t.Helper()
	e, ok, err := s.Next()
	if err != nil || !ok {
		t.Fatalf("next: %v, %v; want %s", ok, err, want)
	}
	if e.Contact.Name != want {
		t.Fatalf("next is %s, want %s", e.Contact.Name, want)
	}
	if c, ok := s.Current(); !ok || c.Contact.ID != e.Contact.ID || s.State() != StateCard {
		t.Fatalf("current %v %v in state %s", c.Contact.Name, ok, s.State())
	}
	return e
}

func dialRecord(t *testing.T, s *Session, o dialer.Outcome, talk time.Duration, spend string) {
	t.Helper()
	if _, err := s.Dial(); err != nil {
		t.Fatal(err)
	}
	if s.State() != StateCall {
		t.Fatalf("state %s after Dial", s.State())
	}
	if err := s.Record(o, talk, usd(spend), 0); err != nil {
		t.Fatal(err)
	}
}

// A whole session over ten contacts: the order, the automatic skips with
// their reasons (at planning and when a contact comes up after its hours
// have closed), the agent's skip, a pause, the records and the summary.
func TestSessionOverTenContacts(t *testing.T) {
	clock := &fakeClock{t: utc("2026-12-08 01:30")}
	contacts, hist, callbacks := tenContacts(clock.t)
	set := dialer.DefaultSettings()
	s := NewSession(Plan(contacts, hist, callbacks, clock.t, set), set, clock)
	if got := s.Summary(); got.Remaining != 7 || len(got.Skipped) != 3 || got.State != StateReady {
		t.Fatalf("before the first contact: %+v", got)
	}

	const step = 8 * time.Minute
	next(t, s, "Eve") // the due callback first
	dialRecord(t, s, dialer.OutcomeAnswered, 3*time.Minute+20*time.Second, "0.0345")
	clock.advance(step)
	next(t, s, "Ann")
	if err := s.Skip(""); err != nil {
		t.Fatal(err)
	}
	clock.advance(step)
	next(t, s, "Bob")
	dialRecord(t, s, dialer.OutcomeVoicemail, 0, "0.013")
	clock.advance(step)
	next(t, s, "Hal")
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dial(); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("dial while paused: %v", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	dialRecord(t, s, dialer.OutcomeAnswered, 10*time.Minute, "0.10")
	clock.advance(step) // 9:02 PM in New York: Jon's hours have closed
	next(t, s, "Gus")   // Jon skipped on the way
	dialRecord(t, s, dialer.OutcomeNoAnswer, 0, "0.0085")
	clock.advance(step)
	next(t, s, "Ivy")
	dialRecord(t, s, dialer.OutcomeAnswered, time.Hour+2*time.Minute+3*time.Second, "0.52")
	if _, ok, err := s.Next(); ok || err != nil || s.State() != StateDone {
		t.Fatalf("after the last contact: %v, %v, %s", ok, err, s.State())
	}

	sum := s.Summary()
	if sum.Dialed != 5 || sum.Connected != 3 || sum.TalkTime != time.Hour+15*time.Minute+23*time.Second ||
		sum.Spend != usd("0.676") || sum.Remaining != 0 || sum.ConnectRate() != 0.6 {
		t.Errorf("summary %+v", sum)
	}
	want := strings.Join([]string{
		"3 do_not_call: on the do-not-call list",
		"4 outside_hours: outside calling hours (08:00-21:00): it is Tue 1:30 AM in Europe/London; callable from Tue 8:00 AM",
		"6 attempt_limit: 5 of 5 attempts",
		"1 agent: skipped by the agent",
		"10 outside_hours: outside calling hours (08:00-21:00): it is Mon 9:02 PM in America/New_York; callable from Tue 8:00 AM",
	}, "\n")
	if got := skips(sum.Skipped); got != want {
		t.Errorf("skipped\n%s\nwant\n%s", got, want)
	}
	var calls []string
	for _, r := range sum.Calls {
		calls = append(calls, r.Contact.Name+" "+string(r.Outcome)+" "+r.Spend.String())
	}
	if got, want := strings.Join(calls, ", "), "Eve answered 0.0345 USD, Bob voicemail 0.013 USD, Hal answered 0.10 USD, Gus no_answer 0.0085 USD, Ivy answered 0.52 USD"; got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}
	if got, want := Line(SessionFigures(sum)), "dialed 5 · connected 3 · connect rate 60% · talk time 1:15:23 · spend 0.676 USD · skipped 5 · remaining 0"; got != want {
		t.Errorf("header %q\nwant   %q", got, want)
	}
}

// Pausing keeps everything: the contact on the card, the queue behind it,
// the figures; nothing moves until Resume.
func TestPauseResumeKeepsTheQueue(t *testing.T) {
	clock := &fakeClock{t: utc("2026-12-08 01:30")}
	contacts, hist, callbacks := tenContacts(clock.t)
	set := dialer.DefaultSettings()
	s := NewSession(Plan(contacts, hist, callbacks, clock.t, set), set, clock)
	next(t, s, "Eve")
	dialRecord(t, s, dialer.OutcomeAnswered, time.Minute, "0.02")

	// Paused between contacts.
	before := ids(s.Upcoming())
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("next while paused: %v", err)
	}
	if sum := s.Summary(); !sum.Paused || sum.Remaining != 6 || sum.Dialed != 1 {
		t.Errorf("paused summary %+v", sum)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if after := ids(s.Upcoming()); after != before || before != "1:never_called 2:never_called 8:never_called 10:never_called 7:retry 9:retry" {
		t.Errorf("upcoming %s, then %s", before, after)
	}
	next(t, s, "Ann")

	// Paused on the card: Ann is still there after Resume.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := s.Skip(""); err == nil {
		t.Error("skip while paused")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if e, ok := s.Current(); !ok || e.Contact.Name != "Ann" || s.State() != StateCard {
		t.Errorf("after resume: %s %v %s", e.Contact.Name, ok, s.State())
	}

	// Paused during a call: the call is still recorded, the next contact waits.
	if _, err := s.Dial(); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	if err := s.Record(dialer.OutcomeBusy, 0, usd("0.01"), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Next(); err == nil {
		t.Error("next after a call recorded while paused")
	}
	s.Resume()
	next(t, s, "Bob")
	if err := s.Resume(); err == nil {
		t.Error("resume when not paused")
	}
}

// A contact is checked again when it comes up and when it is dialed: a
// card left waiting past closing time, or a number put on the do-not-call
// list during the session, is skipped with the reason.
func TestSessionRechecks(t *testing.T) {
	clock := &fakeClock{t: utc("2026-12-08 01:55")} // 8:55 PM in New York
	set := dialer.DefaultSettings()
	s := NewSession(Plan([]dialer.Contact{ny(1, "Ann"), ny(2, "Bob"), ny(3, "Cid")}, nil, nil, clock.t, set), set, clock)
	next(t, s, "Ann")
	clock.advance(6 * time.Minute) // the card waited until 9:01 PM
	_, err := s.Dial()
	if dialer.ErrorKind(err) != dialer.EHOURS || !strings.HasPrefix(err.Error(), "Ann skipped: outside calling hours (08:00-21:00): it is Mon 9:01 PM in America/New_York") {
		t.Errorf("dial after closing: %v", err)
	}
	if s.State() != StateReady {
		t.Errorf("state %s after a refused dial", s.State())
	}

	clock.t = utc("2026-12-08 14:00") // the next morning
	bob := ny(2, "Bob")
	bob.DoNotCall = true
	s.Update(bob)
	next(t, s, "Cid")
	sum := s.Summary()
	if got := s.Skips(1); len(got) != 1 || got[0].Contact.ID != 2 || len(s.Skips(2)) != 0 || len(s.Skips(0)) != 2 || s.Skips(-1) != nil {
		t.Errorf("Skips(1) = %+v; Skips(0) has %d, Skips(2) %d", got, len(s.Skips(0)), len(s.Skips(2)))
	}
	if got, want := skips(sum.Skipped), "1 outside_hours: outside calling hours (08:00-21:00): it is Mon 9:01 PM in America/New_York; callable from Tue 8:00 AM\n2 do_not_call: on the do-not-call list"; got != want {
		t.Errorf("skipped\n%s\nwant\n%s", got, want)
	}
	// Cid goes on the list while on the card: dialing refuses.
	cid := ny(3, "Cid")
	cid.DoNotCall = true
	s.Update(cid)
	if _, err := s.Dial(); dialer.ErrorKind(err) != dialer.EREFUSED {
		t.Errorf("dialing a do-not-call contact: %v", err)
	}
}

// A callback not due at the start of the session comes up first once it
// is due; one still not due at the end counts as remaining.
func TestCallbackComesUpWhenDue(t *testing.T) {
	clock := &fakeClock{t: utc("2026-12-08 15:00")} // 10 AM in New York
	set := dialer.DefaultSettings()
	cbs := map[int64]dialer.Callback{
		3: {ID: 1, ContactID: 3, Due: clock.t.Add(15 * time.Minute)},
		4: {ID: 2, ContactID: 4, Due: clock.t.Add(24 * time.Hour)},
	}
	s := NewSession(Plan([]dialer.Contact{ny(1, "Ann"), ny(2, "Bob"), ny(3, "Cid"), ny(4, "Dee")}, nil, cbs, clock.t, set), set, clock)
	next(t, s, "Ann")
	dialRecord(t, s, dialer.OutcomeAnswered, time.Minute, "0.01")
	clock.advance(20 * time.Minute)
	if e := next(t, s, "Cid"); e.Why != WhyCallback || e.Callback.ID != 1 {
		t.Errorf("Cid came up as %s with callback %d", e.Why, e.Callback.ID)
	}
	s.Skip("wrong number")
	next(t, s, "Bob")
	s.Skip("")
	if _, ok, _ := s.Next(); ok {
		t.Error("Dee came up a day early")
	}
	if sum := s.Summary(); sum.Remaining != 1 || sum.State != StateDone || sum.Skipped[0].Reason != "wrong number" {
		t.Errorf("summary %+v", sum)
	}
}

// Stop on the card leaves that contact remaining, not skipped; Stop during
// a call ends the session once the call is recorded. Misuse is refused
// with a sentence, and spend in another currency is refused, not added.
func TestStopAndMisuse(t *testing.T) {
	clock := &fakeClock{t: utc("2026-12-08 15:00")}
	set := dialer.DefaultSettings()
	plan := Plan([]dialer.Contact{ny(1, "Ann"), ny(2, "Bob"), ny(3, "Cid")}, nil, nil, clock.t, set)

	s := NewSession(plan, set, clock)
	if err := s.Record(dialer.OutcomeAnswered, 0, usd("0"), 0); err == nil {
		t.Error("record before any dial")
	}
	next(t, s, "Ann")
	if _, _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "Ann is waiting: dial, skip or stop") {
		t.Errorf("next with a card up: %v", err)
	}
	s.Stop()
	if sum := s.Summary(); sum.State != StateDone || sum.Remaining != 3 || len(sum.Skipped) != 0 {
		t.Errorf("stopped on the card: %+v", sum)
	}
	if _, _, err := s.Next(); err == nil || !strings.Contains(err.Error(), "over") {
		t.Errorf("next after stop: %v", err)
	}

	s = NewSession(plan, set, clock)
	next(t, s, "Ann")
	s.Dial()
	s.Stop()
	if s.State() != StateCall {
		t.Fatalf("stop during a call: state %s", s.State())
	}
	if err := s.Record(dialer.OutcomeAnswered, time.Minute, dialer.MustMoney("0.01", "EUR"), 0); dialer.ErrorKind(err) != dialer.EINVALID || s.State() != StateCall {
		t.Errorf("spend in EUR: %v, state %s", err, s.State())
	}
	if err := s.Record(dialer.OutcomeAnswered, time.Minute, usd("0.01"), 2); err != nil {
		t.Fatal(err)
	}
	if sum := s.Summary(); sum.State != StateDone || sum.Dialed != 1 || sum.Remaining != 2 {
		t.Errorf("stopped during a call: %+v", sum)
	}
	// Legs not priced yet are counted beside the spend, never hidden in it.
	if got, want := Line(SessionFigures(s.Summary())), "spend 0.01 USD (+2 legs not priced yet)"; !strings.Contains(got, want) || s.Summary().Calls[0].Unpriced != 2 {
		t.Errorf("figures %q, want %q in them; records %+v", got, want, s.Summary().Calls)
	}

	// A call that could not be placed is a skip with the refusal's sentence.
	s = NewSession(plan, set, clock)
	next(t, s, "Ann")
	s.Dial()
	if err := s.NotPlaced(dialer.Errorf(dialer.EREFUSED, "the account balance is 0.00 USD; add funds before calling")); err != nil {
		t.Fatal(err)
	}
	if sum := s.Summary(); sum.Dialed != 0 || skips(sum.Skipped) != "1 not_placed: the account balance is 0.00 USD; add funds before calling" || s.State() != StateReady {
		t.Errorf("not placed: %+v", sum)
	}
}
