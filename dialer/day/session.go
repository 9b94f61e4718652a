package day

import (
	"slices"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// State is where a power-dial session is.
type State string

const (
	// StateReady: between contacts; Next brings up the next one.
	StateReady State = "ready"
	// StateCard: a contact is up on the pre-dial card; Dial, Skip or Stop.
	StateCard State = "card"
	// StateCall: the contact was dialed; Record (or NotPlaced) when the
	// call is over.
	StateCall State = "call"
	// StateDone: stopped, or no one is left.
	StateDone State = "done"
)

// Record is one call a session placed.
type Record struct {
	Contact  dialer.Contact
	Outcome  dialer.Outcome
	TalkTime time.Duration
	Spend    dialer.Money
	Unpriced int       // legs the provider had not priced yet: not in Spend
	At       time.Time // when it was recorded (UTC)
}

// Session is a power-dial session as it runs: a state machine over a
// planned Queue that a screen or a headless loop drives:
//
//	for {
//		e, ok, err := s.Next()     // the next contact that may be called now
//		if !ok { break }           // no one left: s.Summary()
//		...show e as the pre-dial card; on the dial key:
//		if _, err := s.Dial(); err != nil { continue } // it became uncallable: skipped
//		...place the call; if it could not be placed: s.NotPlaced(err)
//		s.Record(call.Outcome, talk, spend, unpriced)
//	}
//
// Each contact is checked again when it comes up and when it is dialed
// (a session is long: calling hours close, a number goes on the
// do-not-call list), and skipped with the reason if it may not be called.
// Pause and Resume keep everything, the contact on the card included.
// A Session is not safe for concurrent use: one screen or loop owns it.
type Session struct {
	set   dialer.Settings
	clock dialer.Clock

	queue   []Entry // still to come, in order
	later   []Entry // callbacks not due yet, soonest first
	cur     Entry   // on the card, or in the call
	state   State
	paused  bool
	stopAt  bool // Stop was asked during a call: done once it is recorded
	skipped []Skip
	records []Record

	dialed, connected int
	unpriced          int
	talk              time.Duration
	spend             dialer.Money
}

// NewSession starts a session over a planned queue. The settings give the
// calling hours, the attempt limit and the currency of spend; clock is
// the time (nil: the system clock).
func NewSession(q Queue, set dialer.Settings, clock dialer.Clock) *Session {
	if clock == nil {
		clock = dialer.SystemClock
	}
	return &Session{
		set:     set,
		clock:   clock,
		queue:   slices.Clone(q.Entries),
		later:   slices.Clone(q.Later),
		skipped: slices.Clone(q.Skipped),
		state:   StateReady,
		spend:   dialer.Money{Currency: set.ReservationFee.Currency},
	}
}

func (s *Session) now() time.Time { return s.clock.Now().UTC() }

// State is where the session is; Paused says whether it is paused there.
func (s *Session) State() State { return s.state }

// Paused reports whether the session is paused.
func (s *Session) Paused() bool { return s.paused }

// Current is the contact on the card or in the call.
func (s *Session) Current() (Entry, bool) {
	if s.state != StateCard && s.state != StateCall {
		return Entry{}, false
	}
	return s.cur, true
}

// Upcoming are the contacts still to come, in the order they would come
// up now (callbacks not yet due last, soonest first).
func (s *Session) Upcoming() []Entry {
	return append(slices.Clone(s.queue), s.later...)
}

func (s *Session) misuse(what string) error {
	if s.paused {
		return dialer.Errorf(dialer.EINVALID, "the session is paused: resume it to %s", what)
	}
	switch s.state {
	case StateDone:
		return dialer.Errorf(dialer.EINVALID, "the session is over: nothing to %s", what)
	case StateCard:
		return dialer.Errorf(dialer.EINVALID, "%s is waiting: dial, skip or stop before you %s", s.cur.Contact.Label(), what)
	case StateCall:
		return dialer.Errorf(dialer.EINVALID, "the call to %s is not recorded yet: cannot %s", s.cur.Contact.Label(), what)
	}
	return dialer.Errorf(dialer.EINVALID, "no contact is up: cannot %s", what)
}

// Next brings up the next contact that may be called now, skipping (with
// the reason recorded) each one that may not. Callbacks that came due
// during the session come first. ok is false when no one is left: the
// session is then done.
func (s *Session) Next() (e Entry, ok bool, err error) {
	if s.paused || s.state != StateReady {
		return Entry{}, false, s.misuse("bring up the next contact")
	}
	now := s.now()
	s.promote(now)
	for len(s.queue) > 0 {
		e, s.queue = s.queue[0], s.queue[1:]
		if sk, bad := Check(e, now, s.set); bad {
			s.skipped = append(s.skipped, sk)
			continue
		}
		s.cur, s.state = e, StateCard
		return e, true, nil
	}
	s.state = StateDone
	return Entry{}, false, nil
}

// promote moves callbacks due by now to the front of the queue, most
// overdue first.
func (s *Session) promote(now time.Time) {
	n := 0
	for n < len(s.later) && !s.later[n].Callback.Due.After(now) {
		n++
	}
	if n == 0 {
		return
	}
	s.queue = append(slices.Clone(s.later[:n]), s.queue...)
	s.later = s.later[n:]
}

// Dial says the agent dialed the contact on the card. The contact is
// checked once more (the card may have waited): if it may no longer be
// called it is skipped with the reason, which the error gives (EREFUSED
// for do-not-call, EHOURS for calling hours, EINVALID otherwise), and the
// session is ready for Next.
func (s *Session) Dial() (Entry, error) {
	if s.paused || s.state != StateCard {
		return Entry{}, s.misuse("dial")
	}
	if sk, bad := Check(s.cur, s.now(), s.set); bad {
		s.skipped = append(s.skipped, sk)
		s.state = StateReady
		kind := dialer.EINVALID
		switch sk.Kind {
		case SkipDNC:
			kind = dialer.EREFUSED
		case SkipHours:
			kind = dialer.EHOURS
		}
		return Entry{}, dialer.Errorf(kind, "%s skipped: %s", sk.Contact.Label(), sk.Reason)
	}
	s.state = StateCall
	return s.cur, nil
}

// Skip passes over the contact on the card; reason says why ("" for
// "skipped by the agent").
func (s *Session) Skip(reason string) error {
	if s.paused || s.state != StateCard {
		return s.misuse("skip")
	}
	if reason == "" {
		reason = "skipped by the agent"
	}
	s.skipped = append(s.skipped, Skip{Contact: s.cur.Contact, Kind: SkipAgent, Reason: reason, At: s.now()})
	s.state = StateReady
	return nil
}

// NotPlaced says the call to the dialed contact could not be placed (a
// guard refused it, the caller ID could not be bought): the contact is
// skipped with err's sentence. A refusal that holds for every contact (the
// balance, the daily cap) is the caller's cue to Stop.
func (s *Session) NotPlaced(err error) error {
	if s.state != StateCall {
		return s.misuse("record a call not placed")
	}
	s.skipped = append(s.skipped, Skip{Contact: s.cur.Contact, Kind: SkipNotPlaced, Reason: dialer.ErrorMessage(err), At: s.now()})
	s.afterCall()
	return nil
}

// Record says how the call to the dialed contact went, once it is over:
// its outcome, the contact's talk time and what it cost (exact; in the
// currency of the settings' fee, or none) and how many of its legs the
// provider had not priced yet (their price is not in spend). It may be
// recorded while the session is paused.
func (s *Session) Record(outcome dialer.Outcome, talk time.Duration, spend dialer.Money, unpriced int) error {
	if s.state != StateCall {
		return s.misuse("record a call")
	}
	total, err := s.spend.Add(spend)
	if err != nil {
		return dialer.Wrap(dialer.EINVALID, err, "the spend of the call to "+s.cur.Contact.Label())
	}
	s.spend = total
	s.unpriced += max(unpriced, 0)
	s.dialed++
	if outcome == dialer.OutcomeAnswered {
		s.connected++
	}
	if talk > 0 {
		s.talk += talk
	}
	s.records = append(s.records, Record{Contact: s.cur.Contact, Outcome: outcome, TalkTime: talk, Spend: spend, Unpriced: max(unpriced, 0), At: s.now()})
	s.afterCall()
	return nil
}

func (s *Session) afterCall() {
	s.cur = Entry{}
	s.state = StateReady
	if s.stopAt {
		s.state = StateDone
	}
}

// Stop ends the session. A contact on the card goes back to the queue (it
// counts as remaining, not skipped); during a call the session ends once
// the call is recorded.
func (s *Session) Stop() {
	switch s.state {
	case StateCard:
		s.queue = append([]Entry{s.cur}, s.queue...)
		s.cur = Entry{}
		s.state = StateDone
	case StateCall:
		s.stopAt = true
	default:
		s.state = StateDone
	}
	s.paused = false
}

// Pause holds the session where it is: Next, Dial and Skip wait for
// Resume. A call in progress can still be recorded.
func (s *Session) Pause() error {
	if s.state == StateDone {
		return s.misuse("pause")
	}
	s.paused = true
	return nil
}

// Resume goes on from where Pause held the session.
func (s *Session) Resume() error {
	if !s.paused {
		return dialer.Errorf(dialer.EINVALID, "the session is not paused")
	}
	s.paused = false
	return nil
}

// Update gives the session a contact's new data (edited, or its number put
// on or taken off the do-not-call list during the session); it is checked
// with it when it comes up or is dialed. Contacts not in the session are
// ignored.
func (s *Session) Update(c dialer.Contact) {
	for _, q := range [][]Entry{s.queue, s.later} {
		for i := range q {
			if q[i].Contact.ID == c.ID {
				q[i].Contact = c
			}
		}
	}
	if (s.state == StateCard || s.state == StateCall) && s.cur.Contact.ID == c.ID {
		s.cur.Contact = c
	}
}

// Summary is what a session did so far.
type Summary struct {
	Dialed    int // calls placed
	Connected int // calls the contact answered
	TalkTime  time.Duration
	Spend     dialer.Money
	Unpriced  int      // legs not priced yet: their price is not in Spend
	Skipped   []Skip   // in the order they were skipped
	Calls     []Record // in the order they were placed
	Remaining int      // contacts still to come (the one on the card included)
	State     State
	Paused    bool
}

// ConnectRate is connected calls per call placed, 0 with none.
func (s Summary) ConnectRate() float64 {
	if s.Dialed == 0 {
		return 0
	}
	return float64(s.Connected) / float64(s.Dialed)
}

// Skips are the contacts skipped so far from the from-th on (0: all), in
// the order they were skipped: a loop that shows each skip as it happens
// asks for the ones after those it has shown, without copying them all
// each time as Summary does.
func (s *Session) Skips(from int) []Skip {
	if from < 0 || from >= len(s.skipped) {
		return nil
	}
	return slices.Clone(s.skipped[from:])
}

// Summary says what the session did so far.
func (s *Session) Summary() Summary {
	rem := len(s.queue) + len(s.later)
	if s.state == StateCard {
		rem++
	}
	return Summary{
		Dialed: s.dialed, Connected: s.connected, TalkTime: s.talk, Spend: s.spend, Unpriced: s.unpriced,
		Skipped: slices.Clone(s.skipped), Calls: slices.Clone(s.records),
		Remaining: rem, State: s.state, Paused: s.paused,
	}
}
