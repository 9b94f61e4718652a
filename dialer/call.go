package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Calls places bridged calls: the provider rings the agent's own phone from
// a local caller ID, says whom it is about to dial, and on the agent's
// confirmation dials the contact into the same call. Each call is recorded
// on the contact with both legs, their rates and (late) prices.
type Calls struct {
	Store    Store
	Provider Provider
	Numbers  *Reservations
	Clock    Clock        // nil: the system clock
	Logger   *slog.Logger // nil: discard

	// KeypadActionURL and StatusCallbackURL are the public webhook URLs
	// for keypad confirmation; keypad mode is refused without them.
	KeypadActionURL   string
	StatusCallbackURL string

	// PollInterval is the first delay between polls of a live call (1 s);
	// it backs off to MaxPollInterval (4 s) while nothing changes.
	PollInterval, MaxPollInterval time.Duration
	// BalanceEvery is how often a live call checks the balance (20 s).
	BalanceEvery time.Duration
	// RingTimeout is how long each phone rings (30 s).
	RingTimeout time.Duration

	mu      sync.Mutex
	live    map[string]*Session // by agent-leg SID, for webhooks
	balance Money
	balAt   time.Time
}

// CallOptions says whom to call and how.
type CallOptions struct {
	Contact Contact
	Agent   Agent
	Confirm ConfirmMode // empty: the setting
	// OverrideReason lets a call outside calling hours go ahead; it is
	// recorded on the call.
	OverrideReason string
	// HangupAfter ends the call from the program after this long (0: never).
	HangupAfter time.Duration
}

// Phase is where a bridged call is.
type Phase string

const (
	PhaseProvisioning   Phase = "provisioning"     // buying the caller ID
	PhaseRingingAgent   Phase = "ringing_agent"    // the agent's phone rings
	PhaseAwaitConfirm   Phase = "awaiting_confirm" // the agent answered; waiting for the go-ahead
	PhaseDialingContact Phase = "dialing_contact"  // the contact's phone rings
	PhaseConnected      Phase = "connected"        // both sides talk
	PhaseEnded          Phase = "ended"
)

// Event is something a UI shows as it happens.
type Event struct {
	Phase   Phase
	Message string  // a sentence for the agent
	Number  *Number // the caller ID, once chosen
	Legs    []Leg   // the legs as now known
	Call    *Call   // the record, on PhaseEnded
	Err     error   // on PhaseEnded, when the call failed
}

func (c *Calls) now() time.Time    { return nowUTC(c.Clock) }
func (c *Calls) log() *slog.Logger { return logOr(c.Logger) }

// discard is the logger of a Calls or Reservations given none.
var discard = slog.New(slog.DiscardHandler)

// logOr is l, or a logger that discards everything when l is nil.
func logOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}

// durOr is d if it is set (positive), else def.
func durOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Start runs the guards and, if they pass, places the call in the
// background. A guard's refusal returns before anything is bought or
// dialed. The session's events end with PhaseEnded.
func (c *Calls) Start(ctx context.Context, o CallOptions) (*Session, error) {
	set, err := c.Store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if o.Confirm == "" {
		o.Confirm = set.Confirm
	}
	if _, err := ParseConfirmMode(string(o.Confirm)); err != nil {
		return nil, err
	}
	if o.Confirm == ConfirmKeypad && (c.KeypadActionURL == "" || c.StatusCallbackURL == "") {
		return nil, Errorf(EINVALID, "keypad confirmation needs a public webhook URL (--webhook-url) and a local address to listen on (--listen)")
	}
	if _, err := NewAgent(o.Agent.Name, o.Agent.Phone); err != nil {
		return nil, Wrap(EINVALID, err, "set the agent first (dialer agent set --name NAME --phone NUMBER)")
	}
	area, err := c.check(ctx, o, set)
	if err != nil {
		return nil, err
	}
	s := &Session{
		c: c, o: o, set: set, area: area,
		events:  make(chan Event, 256),
		confirm: make(chan struct{}, 1),
		hangup:  make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go s.run(ctx)
	return s, nil
}

// Check runs the guards: the contact's number, do-not-call, calling hours
// (every time zone of the number; an override needs a reason), the
// balance, the daily cap.
func (c *Calls) Check(ctx context.Context, o CallOptions, set Settings) error {
	_, err := c.check(ctx, o, set)
	return err
}

func (c *Calls) check(ctx context.Context, o CallOptions, set Settings) (Phone, error) {
	who := o.Contact.Label()
	p, err := LocalArea(o.Contact)
	if err != nil {
		return p, err
	}
	if p.E164 == o.Agent.Phone {
		return p, Errorf(EINVALID, "%s is your own phone: dialer rings it first, so it cannot be the number called", p.E164)
	}
	return p, c.checkPolicies(ctx, o, set, p, who)
}

func (c *Calls) checkPolicies(ctx context.Context, o CallOptions, set Settings, p Phone, who string) error {
	if o.Contact.DoNotCall {
		return Errorf(EREFUSED, "%s is on the do-not-call list", who)
	}
	if err := c.checkHours(p, who, set.CallingHours, o.OverrideReason); err != nil {
		return err
	}
	bal, err := c.Balance(ctx, time.Minute)
	if err != nil {
		return err
	}
	if bal.Amount <= 0 {
		return Errorf(EREFUSED, "the account balance is %s; add funds before calling", bal)
	}
	if set.DailyCallCap > 0 {
		now := c.now().In(time.Local)
		midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
		n, err := c.Store.CountCalls(ctx, midnight)
		if err != nil {
			return err
		}
		if n >= set.DailyCallCap {
			return Errorf(EREFUSED, "today's cap of %d calls is reached", set.DailyCallCap)
		}
	}
	return nil
}

// checkHours refuses a call when it is outside calling hours in any of the
// number's time zones (the most restrictive wins), unless overridden.
func (c *Calls) checkHours(p Phone, who string, hours CallingHours, override string) error {
	zones, err := CalleeZones(p.E164)
	if err != nil {
		return err
	}
	now := c.now()
	for _, z := range zones {
		local := now.In(z)
		if hours.Contains(local) {
			continue
		}
		if strings.TrimSpace(override) != "" {
			c.log().Info("calling hours overridden", "zone", z.String(), "reason", override)
			return nil
		}
		return Errorf(EHOURS, "it is %s for %s (%s); calling hours are %s. Give a reason to call anyway",
			local.Format("15:04 Mon"), who, z.String(), hours)
	}
	return nil
}

// CalleeZones are the time zones a number may be in.
func CalleeZones(e164 string) ([]*time.Location, error) {
	n, err := phonenumbers.Parse(e164, DefaultRegion)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a phone number", e164)
	}
	names, err := phonenumbers.GetTimezonesForNumber(n)
	if err != nil {
		return nil, Wrap(EINTERNAL, err, "time zones of "+e164)
	}
	var out []*time.Location
	for _, name := range names {
		if name == "Etc/Unknown" {
			continue
		}
		loc, err := loadLocation(name)
		if err != nil {
			return nil, Wrap(EINTERNAL, err, "time zone "+name)
		}
		out = append(out, loc)
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "the time zone of %s is unknown", e164)
	}
	return out, nil
}

// zoneCache keeps loaded time zones: time.LoadLocation reads and parses a
// file each time.
var zoneCache sync.Map // name -> *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, l)
	return l, nil
}

// Balance is the account balance, from a cache younger than maxAge or
// from the provider.
func (c *Calls) Balance(ctx context.Context, maxAge time.Duration) (Money, error) {
	c.mu.Lock()
	if !c.balAt.IsZero() && time.Since(c.balAt) < maxAge {
		b := c.balance
		c.mu.Unlock()
		return b, nil
	}
	c.mu.Unlock()
	b, err := c.Provider.Balance(ctx)
	if err != nil {
		return b, err
	}
	c.mu.Lock()
	c.balance, c.balAt = b, time.Now()
	c.mu.Unlock()
	return b, nil
}

// KeypadDigits is the webhook's question when the agent pressed a key on
// the call agentSID: whom to dial into it. ok is false when that call is
// not waiting for a key.
func (c *Calls) KeypadDigits(agentSID, digits string) (Dial, bool) {
	c.mu.Lock()
	s := c.live[agentSID]
	c.mu.Unlock()
	if s == nil || digits == "" {
		return Dial{}, false
	}
	return s.keypad()
}

// StatusPushed tells the session of call sid (either leg) that the
// provider reported a change, so it looks now instead of at its next poll.
func (c *Calls) StatusPushed(sid, parentSID string) {
	c.mu.Lock()
	s := c.live[sid]
	if s == nil {
		s = c.live[parentSID]
	}
	c.mu.Unlock()
	if s != nil {
		s.poke()
	}
}

func (c *Calls) register(sid string, s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live == nil {
		c.live = map[string]*Session{}
	}
	if s == nil {
		delete(c.live, sid)
		return
	}
	c.live[sid] = s
}

// Session is one bridged call in progress.
type Session struct {
	c    *Calls
	o    CallOptions
	set  Settings
	area Phone // the contact's number: read by the guards, then dialed

	events                chan Event
	confirm, hangup, wake chan struct{}
	done                  chan struct{}
	mu                    sync.Mutex
	keypadDialed          bool
	callerID              string
	result                Call
	err                   error
}

// Events delivers what happens, ending with PhaseEnded; it is closed after.
func (s *Session) Events() <-chan Event { return s.events }

// Confirm tells the session to dial the contact (terminal mode). Before the
// agent answers it is remembered.
func (s *Session) Confirm() { signal(s.confirm) }

// Hangup ends the call from the program, at any moment.
func (s *Session) Hangup() { signal(s.hangup) }

// Wait blocks until the call has ended and returns its record.
func (s *Session) Wait() (Call, error) {
	<-s.done
	return s.result, s.err
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (s *Session) poke() { signal(s.wake) }

func (s *Session) dial() Dial {
	return Dial{To: s.area.E164, CallerID: s.callerID, RingTimeout: durOr(s.c.RingTimeout, 30*time.Second),
		StatusCallback: s.c.StatusCallbackURL, MachineDetection: true}
}

// keypad hands the webhook the contact to dial, once.
func (s *Session) keypad() (Dial, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keypadDialed {
		return Dial{}, false
	}
	s.keypadDialed = true
	defer s.poke()
	return s.dial(), true
}

func (s *Session) emit(e Event) { s.events <- e }

// run places the call and follows it to its end.
func (s *Session) run(ctx context.Context) {
	defer close(s.done)
	defer close(s.events)
	call, err := s.place(ctx)
	s.result, s.err = call, err
	ev := Event{Phase: PhaseEnded, Legs: call.Legs, Err: err}
	if call.ID != 0 {
		ev.Call = &call
		ev.Message = describe(call)
	} else if err != nil {
		ev.Message = ErrorMessage(err)
	}
	s.emit(ev)
}

func (s *Session) place(ctx context.Context) (Call, error) {
	c, o, area := s.c, s.o, s.area
	res, err := c.Numbers.AcquireArea(ctx, area, s.set, func(n Number) {
		s.emit(Event{Phase: PhaseProvisioning, Number: &n, Message: "Getting a local number for area code " + area.AreaCode + "…"})
	})
	if err != nil {
		return Call{}, err // nothing dialed; a failed purchase charged nothing
	}
	s.callerID = res.Number.PhoneNumber
	call := Call{ContactID: o.Contact.ID, AgentName: o.Agent.Name, AgentPhone: o.Agent.Phone,
		CallerID: s.callerID, NumberID: res.Number.ID, NewNumber: res.Bought, Confirm: o.Confirm,
		OverrideReason: strings.TrimSpace(o.OverrideReason), StartedAt: c.now()}
	if res.Fee != nil {
		call.FeeChargeID = res.Fee.ID
	}
	wctx := context.WithoutCancel(ctx) // the record is written even if the caller gives up
	// The record is written while the agent's phone is being rung: the
	// database and the provider work at once, and the first request leaves
	// without waiting for a commit.
	recorded := make(chan error, 1)
	go func() {
		var err error
		call, err = c.Store.StartCall(wctx, call)
		recorded <- err
	}()

	req := CallRequest{To: o.Agent.Phone, From: s.callerID, RingTimeout: durOr(c.RingTimeout, 30*time.Second),
		TimeLimit: 4 * time.Hour, StatusCallback: c.StatusCallbackURL}
	say := Announcement(o.Contact.Name, area.E164)
	switch o.Confirm {
	case ConfirmAuto:
		req.Say = say
		d := s.dial()
		req.Dial = &d
	case ConfirmKeypad:
		req.Say = say
		req.Gather = &Gather{ActionURL: c.KeypadActionURL, Prompt: "Press any key to connect.", Timeout: 30 * time.Second}
	default:
		req.Say = say + " Confirm on your screen to connect."
		req.Hold = 10 * time.Minute
	}
	if o.Confirm != ConfirmKeypad {
		req.StatusCallback = ""
	}
	s.emit(Event{Phase: PhaseRingingAgent, Number: &res.Number, Message: ringingMessage(res, o.Agent)})
	info, err := c.Provider.CreateCall(ctx, req)
	if rerr := <-recorded; rerr != nil {
		if err == nil {
			c.Provider.UpdateCall(wctx, info.SID, CallUpdate{Hangup: true})
		}
		return Call{}, Wrap(ErrorKind(rerr), rerr, "the call could not be recorded, so it was not placed")
	}
	if err != nil {
		c.Store.FinishCall(wctx, call.ID, OutcomeAgentFailed, ErrorMessage(err), c.now())
		call, _ = c.Store.Call(wctx, call.ID)
		return call, err
	}
	c.register(info.SID, s)
	defer c.register(info.SID, nil)
	return s.follow(ctx, call, info)
}

func ringingMessage(r Reservation, a Agent) string {
	m := "Ringing your phone " + a.Phone + " from " + r.Number.PhoneNumber
	switch {
	case r.Bought && r.Fee != nil:
		m += " (new number, fee " + r.Fee.Amount.String() + ")"
	case r.Bought:
		m += " (new number)"
	}
	if !r.Local {
		m += "; no local number was available, this one is elsewhere in the region"
	}
	return m + "…"
}

// follow polls the call (and takes pushes) until it has ended, steering it
// as the agent asks, and records every leg as it changes.
func (s *Session) follow(ctx context.Context, call Call, agentInfo CallInfo) (Call, error) {
	c, o := s.c, s.o
	wctx := context.WithoutCancel(ctx)
	agent := Leg{Role: AgentLeg, SID: agentInfo.SID, To: o.Agent.Phone, Status: agentInfo.Status}
	var contact *Leg
	c.rate(ctx, &agent, s.callerID)
	c.Store.SaveLeg(wctx, call.ID, agent)

	var (
		phase         = PhaseRingingAgent
		confirmed     = o.Confirm == ConfirmAuto
		dialed        = o.Confirm == ConfirmAuto
		answered      bool
		hangupSent    bool
		endReason     string
		interval      = durOr(c.PollInterval, time.Second)
		maxInterval   = durOr(c.MaxPollInterval, 4*time.Second)
		balEvery      = durOr(c.BalanceEvery, 20*time.Second)
		negativeSince time.Time
		timer         = time.NewTimer(interval)
		balTick       = time.NewTicker(balEvery)
		stopAt        <-chan time.Time
	)
	defer timer.Stop()
	defer balTick.Stop()
	if o.HangupAfter > 0 {
		t := time.NewTimer(o.HangupAfter)
		defer t.Stop()
		stopAt = t.C
	}
	hangup := func(reason string) {
		if endReason == "" {
			endReason = reason
		}
		if hangupSent {
			return
		}
		if _, err := c.Provider.UpdateCall(wctx, agent.SID, CallUpdate{Hangup: true}); err != nil && ErrorKind(err) != ECALLENDED {
			c.log().Warn("hang up failed", "sid", agent.SID, "err", err)
			return // tried again at the next poll
		}
		hangupSent = true
	}
	saveLegs := func() {
		c.Store.SaveLeg(wctx, call.ID, agent)
		if contact != nil {
			c.Store.SaveLeg(wctx, call.ID, *contact)
		}
	}
	setPhase := func(p Phase, msg string) {
		if p != phase {
			phase = p
			s.emit(Event{Phase: p, Message: msg, Legs: legsOf(agent, contact)})
		}
	}

	for {
		polled := false
		select {
		case <-ctx.Done():
			hangup("stopped by the program")
		case <-s.hangup:
			hangup("agent hung up")
		case <-stopAt:
			hangup("hang-up timer")
		case <-s.confirm:
			confirmed = true
		case <-s.wake:
		case <-balTick.C:
			bal, err := c.Balance(ctx, 0)
			switch {
			case err != nil:
				c.log().Warn("balance check failed", "err", err)
			case bal.Amount < 0 && negativeSince.IsZero():
				negativeSince = time.Now()
				s.emit(Event{Phase: phase, Message: fmt.Sprintf("The balance is %s: the call ends in %s.", bal, s.set.BalanceGrace), Legs: legsOf(agent, contact)})
			case bal.Amount >= 0:
				negativeSince = time.Time{}
			}
			if !negativeSince.IsZero() && time.Since(negativeSince) >= s.set.BalanceGrace {
				hangup("balance negative")
			}
			continue
		case <-timer.C:
			polled = true
		}

		changed := false
		info, err := c.Provider.FetchCall(wctx, agent.SID)
		if err != nil {
			c.log().Warn("poll failed", "sid", agent.SID, "err", err)
		} else {
			changed = applyInfo(&agent, info) || changed
		}
		if agent.Status == CallInProgress || agent.Status == CallCompleted {
			answered = true // a completed call was answered, even between two polls
		}
		s.mu.Lock()
		if s.keypadDialed {
			dialed = true
		}
		s.mu.Unlock()
		if answered && !dialed && confirmed && !hangupSent && agent.Status == CallInProgress {
			if _, err := c.Provider.UpdateCall(wctx, agent.SID, CallUpdate{Dial: ptr(s.dial())}); err != nil {
				c.log().Warn("dialing the contact failed", "err", err)
				s.emit(Event{Phase: phase, Message: "Could not dial the contact: " + ErrorMessage(err), Legs: legsOf(agent, contact)})
				confirmed = false
			} else {
				dialed = true
			}
		}
		if dialed {
			kids, err := c.Provider.ChildCalls(wctx, agent.SID)
			if err == nil && len(kids) > 0 {
				if contact == nil {
					contact = &Leg{Role: ContactLeg, SID: kids[0].SID, To: s.area.E164}
					c.rate(ctx, contact, s.callerID)
				}
				changed = applyInfo(contact, kids[0]) || changed
			}
		}
		// The contact's leg was looked at in this same pass, after the
		// agent's: once both have ended (or the contact never rang), done.
		done := agent.Status.Ended() && (contact == nil || contact.Status.Ended() || !dialed)
		if changed || done {
			saveLegs()
		}
		switch {
		case agent.Status.Ended():
		case contact != nil && contact.Status == CallInProgress:
			setPhase(PhaseConnected, "Connected.")
		case dialed && answered:
			setPhase(PhaseDialingContact, "Dialing "+o.Contact.Label()+"…")
		case answered:
			msg := "You answered. "
			switch o.Confirm {
			case ConfirmKeypad:
				msg += "Press any key on your phone to connect."
			default:
				msg += "Confirm to dial " + o.Contact.Label() + "."
			}
			setPhase(PhaseAwaitConfirm, msg)
		}
		if changed && phase != PhaseEnded {
			s.emit(Event{Phase: phase, Legs: legsOf(agent, contact)})
		}
		if done {
			out := outcome(agent, contact, answered)
			if err := c.Store.FinishCall(wctx, call.ID, out, endReason, c.now()); err != nil {
				return call, err
			}
			return c.Store.Call(wctx, call.ID)
		}
		if polled {
			if changed {
				interval = durOr(c.PollInterval, time.Second)
			} else {
				interval = min(interval*3/2, maxInterval)
			}
		}
		if !timer.Stop() && !polled {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(interval)
	}
}

func ptr[T any](v T) *T { return &v }

// applyInfo copies what the provider says about a leg; it reports change.
func applyInfo(l *Leg, info CallInfo) bool {
	before := *l
	l.Status = info.Status
	if info.AnsweredBy != "" {
		l.AnsweredBy = info.AnsweredBy
	}
	if !info.StartedAt.IsZero() {
		l.StartedAt = info.StartedAt
	}
	if !info.EndedAt.IsZero() {
		l.EndedAt = info.EndedAt
	}
	if info.Duration > 0 {
		l.Duration = info.Duration
	}
	if info.Price != nil {
		l.Price = info.Price
	}
	return l.Status != before.Status || l.AnsweredBy != before.AnsweredBy || l.Duration != before.Duration ||
		!l.EndedAt.Equal(before.EndedAt) || (l.Price != nil) != (before.Price != nil)
}

func legsOf(agent Leg, contact *Leg) []Leg {
	out := []Leg{agent}
	if contact != nil {
		out = append(out, *contact)
	}
	return out
}

// outcome says how the call ended, from the contact's side.
func outcome(agent Leg, contact *Leg, agentAnswered bool) Outcome {
	if contact == nil {
		switch {
		case agentAnswered:
			return OutcomeNotDialed
		case agent.Status == CallFailed:
			return OutcomeAgentFailed
		default:
			return OutcomeAgentNoAnswer
		}
	}
	switch contact.Status {
	case CallBusy:
		return OutcomeBusy
	case CallNoAnswer:
		return OutcomeNoAnswer
	case CallFailed:
		return OutcomeFailed
	case CallCanceled, CallQueued, CallRinging:
		return OutcomeCanceled
	}
	if strings.HasPrefix(contact.AnsweredBy, "machine") || contact.AnsweredBy == "fax" {
		return OutcomeVoicemail
	}
	return OutcomeAnswered
}

// describe is the one-line summary of an ended call.
func describe(c Call) string {
	total, known, _ := c.Total()
	cost := "price pending"
	if known {
		cost = total.String()
	}
	msg := fmt.Sprintf("Call ended: %s. Cost so far: %s", strings.ReplaceAll(string(c.Outcome), "_", " "), cost)
	if c.EndReason != "" {
		msg += " (" + c.EndReason + ")"
	}
	return msg + "."
}

// ratePrefix is the destination prefix rates are cached by: the number
// without its last four digits.
func ratePrefix(e164 string) string {
	if len(e164) > 6 {
		return e164[:len(e164)-4]
	}
	return e164
}

// rateTTL is how long a cached per-minute rate is trusted.
const rateTTL = 24 * time.Hour

// rate sets a leg's per-minute rate from the cache or the pricing API.
// A failure leaves the rate unknown; it never stops the call.
func (c *Calls) rate(ctx context.Context, l *Leg, from string) {
	prefix := ratePrefix(l.To)
	if m, at, err := c.Store.Rate(ctx, prefix); err == nil && c.now().Sub(at) < rateTTL {
		l.Rate = &m
		return
	}
	m, err := c.Provider.VoiceRate(ctx, l.To, from)
	if err != nil {
		c.log().Warn("rate unknown", "to", prefix, "err", err)
		return
	}
	l.Rate = &m
	if err := c.Store.SaveRate(ctx, prefix, m, c.now()); err != nil {
		c.log().Warn("rate not cached", "err", err)
	}
}

// Backfill asks the provider for the prices of ended legs that have none
// yet (Twilio prices calls minutes after they end). It returns how many it
// filled.
func (c *Calls) Backfill(ctx context.Context) (int, error) {
	legs, err := c.Store.UnpricedLegs(ctx, 500)
	if err != nil {
		return 0, err
	}
	filled := 0
	for _, l := range legs {
		info, err := c.Provider.FetchCall(ctx, l.SID)
		if err != nil {
			if ErrorKind(err) == ECANCELED {
				return filled, err
			}
			c.log().Warn("backfill", "sid", l.SID, "err", err)
			continue
		}
		if info.Price == nil {
			continue
		}
		if err := c.Store.SetLegPrice(ctx, l.SID, *info.Price); err != nil {
			return filled, err
		}
		filled++
	}
	return filled, nil
}

// RunBackfill backfills now and then every interval until ctx ends.
func (c *Calls) RunBackfill(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := c.Backfill(ctx); err != nil && ctx.Err() == nil {
			c.log().Warn("backfill failed", "err", err)
		} else if n > 0 {
			c.log().Info("prices backfilled", "legs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
