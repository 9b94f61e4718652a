package dialer

import (
	"context"
	"errors"
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
	// RemoteKeypad: another process answers the keypad webhook (`dialer
	// serve`): a call in keypad mode looks for its contact's leg itself.
	RemoteKeypad bool

	// PollInterval is the first delay between polls of a live call (1 s);
	// it backs off to MaxPollInterval (4 s) while nothing changes.
	PollInterval, MaxPollInterval time.Duration
	// BalanceEvery is how often a live call checks the balance (20 s).
	BalanceEvery time.Duration
	// RingTimeout is how long each phone rings (30 s).
	RingTimeout time.Duration
	// Account names the provider account calls are placed through (the
	// Twilio account SID); it is recorded on each call, and Repair only
	// concludes about calls of this account.
	Account string
	// RequestTimeout bounds each provider request while a call is
	// followed (10 s).
	RequestTimeout time.Duration
	// StopWithin is how long an ending call waits for the provider to
	// confirm the end once a stop was asked (hang-up, Ctrl-C, the timer)
	// before it records what it knows (3 s).
	StopWithin time.Duration
	// GiveUpAfter is how long polls may fail in a row before the session
	// stops the call and records it as ended, end unconfirmed (1 min).
	GiveUpAfter time.Duration
	// WriteRetryFor is how long a failing database write during a call is
	// retried, e.g. while another program holds the database's lock (1 min).
	WriteRetryFor time.Duration

	mu      sync.Mutex
	live    map[string]*Session // by agent-leg SID, for webhooks
	balance Money
	balErr  error // an EBALANCEUNKNOWN answer, cached like a balance
	balAt   time.Time
	// balUnknownSaid: the log has said once that the balance is unknown.
	balUnknownSaid bool
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
	lease, err := c.takeContact(ctx, o)
	if err != nil {
		return nil, err
	}
	s := &Session{
		c: c, o: o, set: set, area: area, lease: lease,
		events:  make(chan Event, 256),
		confirm: make(chan struct{}, 1),
		hangup:  make(chan struct{}, 1),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go s.run(ctx)
	return s, nil
}

// contactLeaseTTL is how long a call's hold on its contact lasts unrenewed:
// how soon the contact is free again when the process placing the call
// dies. A live call renews it every third of that.
const contactLeaseTTL = 45 * time.Second

func contactLease(id int64) string { return fmt.Sprintf("contact:%d", id) }

// takeContact takes the contact's call lease for this call: two agents
// never call one contact at once. It returns the lease's holder ("" when
// the call has no contact record to share).
func (c *Calls) takeContact(ctx context.Context, o CallOptions) (string, error) {
	if o.Contact.ID == 0 {
		return "", nil
	}
	holder := NewHolder("call")
	l, ok, err := takeLease(ctx, c.Store, contactLease(o.Contact.ID), holder, o.Agent.Name, c.now(), contactLeaseTTL)
	switch {
	case err != nil:
		return "", err
	case ok:
		return holder, nil
	case l.Label == o.Agent.Name:
		return "", Errorf(EBUSY, "you are already on a call with %s (in another window)", o.Contact.Label())
	case l.Label == "":
		return "", Errorf(EBUSY, "another agent is on a call with this contact")
	}
	return "", Errorf(EBUSY, "%s is on a call with this contact", l.Label)
}

// holdContact renews the call's lease on its contact until the returned
// stop is called, which gives it up. Neither may hold up the end of the
// call: a database that does not answer (locked, unreachable) leaves the
// lease to expire by itself.
func (c *Calls) holdContact(ctx context.Context, contactID int64, label, holder string) (stop func()) {
	name := contactLease(contactID)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(contactLeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if _, ok, err := c.Store.TakeLease(rctx, name, holder, label, c.now(), contactLeaseTTL); (err != nil || !ok) && rctx.Err() == nil {
					c.log().Warn("the call's hold on its contact was not renewed", "contact_id", contactID, "err", err)
				}
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		sctx, done := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer done()
		if err := c.Store.ReleaseLease(sctx, name, holder); err != nil {
			c.log().Warn("the call's hold on its contact was not given up (it expires by itself)", "contact_id", contactID, "err", err)
		}
	}
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
	// The do-not-call list is by number: it is read at every call, so a
	// number listed after the contact was loaded (or never a contact) is
	// refused all the same.
	switch e, err := c.Store.DNC(ctx, p.E164); {
	case err == nil:
		why := ""
		if r := strings.TrimSpace(e.Reason); r != "" {
			why = ": " + r
		}
		if who == p.E164 {
			return Errorf(EREFUSED, "%s is on the do-not-call list%s", who, why)
		}
		return Errorf(EREFUSED, "%s (%s) is on the do-not-call list%s", who, p.E164, why)
	case ErrorKind(err) != ENOTFOUND:
		return err
	}
	if err := c.checkHours(o.Contact, p, who, set.CallingHours, o.OverrideReason); err != nil {
		return err
	}
	// An unknown balance (a subaccount's, say) is no reason to refuse:
	// the balance guard is skipped (Balance logs it once).
	switch bal, err := c.Balance(ctx, time.Minute); {
	case ErrorKind(err) == EBALANCEUNKNOWN:
	case err != nil:
		return err
	case bal.Amount <= 0:
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
// contact's time zones (its own, or every zone of its number: the most
// restrictive wins), unless overridden.
func (c *Calls) checkHours(ct Contact, p Phone, who string, hours CallingHours, override string) error {
	zones, err := contactZones(ct, p.E164)
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
	names, err := calleeZoneNames(e164)
	if err != nil && ErrorKind(err) == EINVALID {
		return nil, err
	}
	if err != nil {
		return nil, Wrap(EINTERNAL, err, "time zones of "+e164)
	}
	var out []*time.Location
	for _, name := range names {
		if name == "Etc/Unknown" {
			continue
		}
		loc, err := LoadZone(name)
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

// calleeZoneNames are libphonenumber's time zones of a number. A plain +1
// number is its own E.164 form, and libphonenumber's answer is the zones
// of the longest prefix of that form in its table: the parse (regular
// expressions, most of a Call press's own time) is skipped for it.
// TestCalleeZonesFastMatchesSlow checks the two agree.
func calleeZoneNames(e164 string) ([]string, error) {
	if plainNANP(e164) {
		return phonenumbers.GetTimezonesForPrefix(e164)
	}
	return calleeZoneNamesSlow(e164)
}

// calleeZoneNamesSlow is calleeZoneNames by a full parse.
func calleeZoneNamesSlow(e164 string) ([]string, error) {
	n, err := phonenumbers.Parse(e164, DefaultRegion)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a phone number", e164)
	}
	return phonenumbers.GetTimezonesForNumber(n)
}

// Balance is the account balance, from a cache younger than maxAge or
// from the provider. When the provider does not tell it (EBALANCEUNKNOWN),
// that answer is cached the same way and logged once per Calls.
func (c *Calls) Balance(ctx context.Context, maxAge time.Duration) (Money, error) {
	c.mu.Lock()
	if !c.balAt.IsZero() && time.Since(c.balAt) < maxAge {
		b, err := c.balance, c.balErr
		c.mu.Unlock()
		return b, err
	}
	c.mu.Unlock()
	b, err := c.Provider.Balance(ctx)
	if err != nil && ErrorKind(err) != EBALANCEUNKNOWN {
		return b, err
	}
	c.mu.Lock()
	c.balance, c.balErr, c.balAt = b, err, time.Now()
	say := err != nil && !c.balUnknownSaid
	if say {
		c.balUnknownSaid = true
	}
	c.mu.Unlock()
	if say {
		c.log().Warn("the account balance is unknown: calls go ahead without the balance check", "reason", ErrorMessage(err))
	}
	return b, err
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

// KeypadFromRecord answers the keypad confirmation of a call another
// process placed (`dialer serve` does this for the team): the call is
// found by its agent leg agentSID in the database (waiting, within ctx, for
// the placing process to record it), and must be open, in keypad mode, and
// not have dialed its contact yet. It returns whom to dial.
func (c *Calls) KeypadFromRecord(ctx context.Context, agentSID string) (Dial, error) {
	var call Call
	for {
		var err error
		call, err = c.Store.CallByLeg(ctx, agentSID)
		if err == nil {
			break
		}
		if ErrorKind(err) != ENOTFOUND {
			return Dial{}, err
		}
		select {
		case <-ctx.Done():
			return Dial{}, Errorf(ENOTFOUND, "no call of ours has the leg %s", agentSID)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if l, _ := call.Leg(AgentLeg); l.SID != agentSID {
		return Dial{}, Errorf(EINVALID, "call %d: %s is not its agent's leg", call.ID, agentSID)
	}
	switch {
	case call.Inbound() || call.Confirm != ConfirmKeypad:
		return Dial{}, Errorf(EINVALID, "call %d does not wait for a key", call.ID)
	case !call.EndedAt.IsZero():
		return Dial{}, Errorf(ECALLENDED, "call %d has ended", call.ID)
	}
	if _, dialed := call.Leg(ContactLeg); dialed {
		return Dial{}, Errorf(ECONFLICT, "call %d has dialed its contact already", call.ID)
	}
	ct, err := c.Store.Contact(ctx, call.ContactID)
	if err != nil {
		return Dial{}, err
	}
	p, err := ParsePhone(ct.Phone)
	if err != nil {
		return Dial{}, err
	}
	return Dial{To: p.E164, CallerID: call.CallerID, RingTimeout: durOr(c.RingTimeout, 30*time.Second),
		StatusCallback: c.StatusCallbackURL, MachineDetection: true}, nil
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
	c     *Calls
	o     CallOptions
	set   Settings
	area  Phone  // the contact's number: read by the guards, then dialed
	lease string // the holder of the call's lease on its contact ("" without one)

	events                chan Event
	confirm, hangup, wake chan struct{}
	done                  chan struct{}
	mu                    sync.Mutex
	keypadDialed          bool
	abort                 context.CancelFunc // interrupt; set while the call is followed
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
func (s *Session) Hangup() {
	signal(s.hangup)
	s.interrupt()
}

// interrupt cuts short the provider request or database write the session
// is waiting on, so that a stop is seen at once.
func (s *Session) interrupt() {
	s.mu.Lock()
	abort := s.abort
	s.mu.Unlock()
	if abort != nil {
		abort()
	}
}

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
	if s.lease != "" {
		stop := s.c.holdContact(ctx, s.o.Contact.ID, s.o.Agent.Name, s.lease)
		defer stop()
	}
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
	res, err := c.Numbers.AcquireArea(ctx, area, s.set, func(p Pending) {
		s.emit(Event{Phase: PhaseProvisioning, Number: &p.Number, Message: p.Message})
	})
	if err != nil {
		return Call{}, err // nothing dialed; a failed purchase charged nothing
	}
	s.callerID = res.Number.PhoneNumber
	call := Call{ContactID: o.Contact.ID, AgentID: o.Agent.ID, AgentName: o.Agent.Name, AgentPhone: o.Agent.Phone,
		CallerID: s.callerID, NumberID: res.Number.ID, NewNumber: res.Bought, Confirm: o.Confirm,
		OverrideReason: strings.TrimSpace(o.OverrideReason), StartedAt: c.now(), Account: c.Account}
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
	// Not cut short by the caller: a call created while we stopped
	// listening would ring on with nobody to hang it up. A stop asked
	// meanwhile is handled by follow, which hangs up at once.
	cctx, cancel := context.WithTimeout(wctx, durOr(c.RequestTimeout, 10*time.Second))
	info, err := c.Provider.CreateCall(cctx, req)
	cancel()
	if rerr := <-recorded; rerr != nil {
		if err == nil {
			hctx, cancel := context.WithTimeout(wctx, durOr(c.StopWithin, 3*time.Second))
			c.Provider.UpdateCall(hctx, info.SID, CallUpdate{Hangup: true})
			cancel()
		}
		return Call{}, Wrap(ErrorKind(rerr), rerr, "the call could not be recorded, so it was not placed")
	}
	if err != nil {
		if werr := s.write("record the failed call", time.Time{}, func(wctx context.Context) error {
			return c.Store.FinishCall(wctx, call.ID, OutcomeAgentFailed, ErrorMessage(err), c.now())
		}); werr != nil {
			return call, Wrap(ErrorKind(werr), werr, ErrorMessage(err)+"; and the failed call could not be recorded")
		}
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

// unconfirmed says why a call's end is not known (by whether the provider
// could be reached), and what a repair says instead once it is.
var unconfirmed = []struct{ why, later string }{
	{"provider unreachable", "the provider was unreachable; its record of the end was fetched later"},
	{"the provider did not confirm the end", "the provider confirmed the end later"},
}

// unknownEnd is the end reason of a call whose end the provider never
// confirmed: the program stopped following it, and backfill repairs it.
func unknownEnd(id int64, unreachable bool) string {
	u := unconfirmed[1]
	if unreachable {
		u = unconfirmed[0]
	}
	return fmt.Sprintf("%s; the call may still be live at Twilio: check it with `dialer calls show %d`", u.why, id)
}

// confirmedLater is a repaired call's end reason: why the program stopped
// it, if it did, without the sentence that its end is not known.
func confirmedLater(reason string) string {
	for _, u := range unconfirmed {
		if before, _, ok := strings.Cut(reason, u.why); ok {
			return before + u.later
		}
	}
	if reason == "" {
		return "the end was fetched from the provider later"
	}
	return reason
}

// follow polls the call (and takes pushes) until it has ended, steering it
// as the agent asks, and records every leg as it changes.
//
// Every way out is bounded. A stop (the agent hangs up, Ctrl-C, the
// hang-up timer, a negative balance) makes one bounded hang-up attempt and
// then waits at most StopWithin for the provider to confirm the end; polls
// that fail for GiveUpAfter stop the call the same way. A call whose end
// was never confirmed is recorded as ended with OutcomeUnknown and a
// reason, and the session returns EUNAVAILABLE; Repair later records the
// real end.
func (s *Session) follow(ctx context.Context, call Call, agentInfo CallInfo) (Call, error) {
	c, o := s.c, s.o
	agent := Leg{Role: AgentLeg, SID: agentInfo.SID, To: o.Agent.Phone, Status: agentInfo.Status}
	var contact *Leg

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
		reqTimeout    = durOr(c.RequestTimeout, 10*time.Second)
		stopWithin    = durOr(c.StopWithin, 3*time.Second)
		giveUpAfter   = durOr(c.GiveUpAfter, time.Minute)
		negativeSince time.Time
		stopBy        time.Time // when a stop was asked: the latest moment to record the end
		failingSince  time.Time // first of the polls failing in a row
		lastFailLog   time.Time
		unreachable   bool // the last poll got no answer
		saveErr       error
		timer         = time.NewTimer(interval)
		balTick       = time.NewTicker(balEvery)
		timeUp        = make(chan struct{}, 1) // the hang-up timer fired
		ctxDone       = ctx.Done()
	)
	defer timer.Stop()
	defer balTick.Stop()
	// Until a stop is asked, requests and writes can be interrupted by it
	// (Hangup, the caller's context, the hang-up timer): a stop must not
	// wait for a poll stuck on a silent network.
	live, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	stopWatch := context.AfterFunc(ctx, abort)
	defer stopWatch()
	s.mu.Lock()
	s.abort = abort
	s.mu.Unlock()
	if o.HangupAfter > 0 {
		t := time.AfterFunc(o.HangupAfter, func() { signal(timeUp); abort() })
		defer t.Stop()
	}
	// bounded is a context for one provider request: RequestTimeout, and
	// once stopping, no later than the stop deadline (and no longer
	// interruptible: the hang-up itself must go out).
	bounded := func(d time.Duration) (context.Context, context.CancelFunc) {
		if !stopBy.IsZero() {
			d = min(d, max(time.Until(stopBy), 50*time.Millisecond))
			return context.WithTimeout(context.WithoutCancel(ctx), d)
		}
		return context.WithTimeout(live, d)
	}
	// interrupted: an error that only says the request was cut short for
	// a stop; the stop is handled at the top of the loop.
	interrupted := func(err error) bool { return err != nil && stopBy.IsZero() && live.Err() != nil }
	rctx, cancel := bounded(3 * time.Second) // a rate is nice to have, never worth a wait
	c.rate(rctx, &agent, s.callerID)
	cancel()
	saveErr = s.saveOnce(live, func(wctx context.Context) error { return c.Store.SaveLeg(wctx, call.ID, agent) })

	tryHangup := func() {
		if hangupSent || agent.Status.Ended() {
			return
		}
		hctx, cancel := bounded(reqTimeout)
		_, err := c.Provider.UpdateCall(hctx, agent.SID, CallUpdate{Hangup: true})
		cancel()
		if err != nil && ErrorKind(err) != ECALLENDED {
			c.log().Warn("hang up failed", "sid", agent.SID, "err", err)
			return // tried again at the next poll, until the stop deadline
		}
		hangupSent = true
	}
	stop := func(reason string) {
		if endReason == "" {
			endReason = reason
		}
		if stopBy.IsZero() {
			stopBy = time.Now().Add(stopWithin)
			ctxDone = nil // asked once is enough
		}
		tryHangup()
	}
	writeLegs := func(wctx context.Context) error {
		if err := c.Store.SaveLeg(wctx, call.ID, agent); err != nil {
			return err
		}
		if contact != nil {
			return c.Store.SaveLeg(wctx, call.ID, *contact)
		}
		return nil
	}
	setPhase := func(p Phase, msg string) {
		if p != phase {
			phase = p
			s.emit(Event{Phase: p, Message: msg, Legs: legsOf(agent, contact)})
		}
	}
	// finish records the end; a write that fails after its retries ends
	// the session with an error saying the record needs repair.
	finish := func(out Outcome, reason string, sessionErr error) (Call, error) {
		// The legs and the end are written apart: a leg that cannot be
		// saved does not keep the end from being recorded.
		err := errors.Join(s.write("save the call's legs", stopBy, writeLegs),
			s.write("record the call's end", stopBy, func(wctx context.Context) error {
				return c.Store.FinishCall(wctx, call.ID, out, reason, c.now())
			}))
		if err != nil {
			c.log().Error("call record not saved", "call", call.ID, "err", err)
			call.Legs, call.Outcome, call.EndReason, call.EndedAt = legsOf(agent, contact), out, reason, c.now()
			return call, Wrap(ErrorKind(err), err, fmt.Sprintf("the call ended, but its record could not be saved; `dialer calls backfill` repairs call %d once the database is free", call.ID))
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reqTimeout)
		defer cancel()
		rec, err := c.Store.Call(rctx, call.ID)
		if err != nil {
			return call, err
		}
		return rec, sessionErr
	}

	for {
		polled := false
		select {
		case <-ctxDone:
			stop("stopped by the program")
		case <-s.hangup:
			stop("agent hung up")
		case <-timeUp:
			stop("hang-up timer")
		case <-s.confirm:
			confirmed = true
		case <-s.wake:
		case <-balTick.C:
			if !stopBy.IsZero() {
				continue
			}
			bctx, cancel := bounded(reqTimeout)
			bal, err := c.Balance(bctx, 0)
			cancel()
			switch {
			case err != nil:
				if ErrorKind(err) != EBALANCEUNKNOWN {
					c.log().Warn("balance check failed", "err", err)
				}
			case bal.Amount < 0 && negativeSince.IsZero():
				negativeSince = time.Now()
				s.emit(Event{Phase: phase, Message: fmt.Sprintf("The balance is %s: the call ends in %s.", bal, s.set.BalanceGrace), Legs: legsOf(agent, contact)})
			case bal.Amount >= 0:
				negativeSince = time.Time{}
			}
			if !negativeSince.IsZero() && time.Since(negativeSince) >= s.set.BalanceGrace {
				stop("balance negative")
			}
			continue
		case <-timer.C:
			polled = true
		}

		changed := false
		pctx, cancel := bounded(reqTimeout)
		info, err := c.Provider.FetchCall(pctx, agent.SID)
		cancel()
		switch {
		case interrupted(err):
			// cut short by a stop: handled at the top of the loop
		case err != nil && ErrorKind(err) == ENOTFOUND:
			// The provider has no such call (a sandbox emulator that
			// stopped without saving it): nothing more will be learnt.
			c.log().Warn("the provider has no record of the call", "sid", agent.SID)
			unreachable = true
			stop("the provider no longer knows the call")
			stopBy = time.Now()
		case err != nil:
			unreachable = true
			now := time.Now()
			if failingSince.IsZero() {
				failingSince = now
			}
			if now.Sub(lastFailLog) >= 30*time.Second {
				lastFailLog = now
				c.log().Warn("poll failed", "sid", agent.SID, "failing_for", now.Sub(failingSince).Round(time.Second), "err", err)
			}
			if stopBy.IsZero() && now.Sub(failingSince) >= giveUpAfter {
				c.log().Error("the provider stopped answering; giving up on the call", "sid", agent.SID, "after", giveUpAfter)
				stop("")
			}
		default:
			if !failingSince.IsZero() {
				c.log().Info("the provider answers again", "sid", agent.SID, "after", time.Since(failingSince).Round(time.Second))
			}
			unreachable, failingSince, lastFailLog = false, time.Time{}, time.Time{}
			changed = applyInfo(&agent, info) || changed
		}
		if agent.Status == CallInProgress || agent.Status == CallCompleted {
			answered = true // a completed call was answered, even between two polls
		}
		if !stopBy.IsZero() && !agent.Status.Ended() && err == nil {
			tryHangup() // an earlier attempt failed: the provider answers again
		}
		s.mu.Lock()
		if s.keypadDialed {
			dialed = true
		}
		s.mu.Unlock()
		if answered && !dialed && confirmed && stopBy.IsZero() && agent.Status == CallInProgress {
			dctx, cancel := bounded(reqTimeout)
			_, err := c.Provider.UpdateCall(dctx, agent.SID, CallUpdate{Dial: ptr(s.dial())})
			cancel()
			if interrupted(err) {
				// a stop came first: nothing to say
			} else if err != nil {
				c.log().Warn("dialing the contact failed", "err", err)
				s.emit(Event{Phase: phase, Message: "Could not dial the contact: " + ErrorMessage(err), Legs: legsOf(agent, contact)})
				confirmed = false
			} else {
				dialed = true
			}
		}
		// In keypad mode another process (`dialer serve`) may dial the
		// contact: the contact's leg is looked for once the agent answers.
		if (dialed || (c.RemoteKeypad && o.Confirm == ConfirmKeypad && answered)) && err == nil {
			kctx, cancel := bounded(reqTimeout)
			kids, err := c.Provider.ChildCalls(kctx, agent.SID)
			cancel()
			if err == nil && len(kids) > 0 {
				dialed = true
				if contact == nil {
					contact = &Leg{Role: ContactLeg, SID: kids[0].SID, To: s.area.E164}
					rctx, cancel := bounded(3 * time.Second)
					c.rate(rctx, contact, s.callerID)
					cancel()
				}
				changed = applyInfo(contact, kids[0]) || changed
			}
		}
		// The contact's leg was looked at in this same pass, after the
		// agent's: once both have ended (or the contact never rang), done.
		done := agent.Status.Ended() && (contact == nil || contact.Status.Ended() || !dialed)
		if (changed || saveErr != nil) && !done {
			// One attempt: a database held by another writer must not
			// freeze the call; the legs are saved again at the next
			// change and at the end, with retries.
			saveErr = s.saveOnce(live, writeLegs)
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
			return finish(outcome(agent, contact, answered), endReason, nil)
		}
		if !stopBy.IsZero() && !time.Now().Before(stopBy) {
			// The end was asked for and the provider has not confirmed it
			// in time: record what is known and say so.
			unknown := unknownEnd(call.ID, unreachable)
			reason := unknown
			if endReason != "" {
				reason = endReason + "; " + unknown
			}
			return finish(OutcomeUnknown, reason, Errorf(EUNAVAILABLE, "%s", unknown))
		}
		switch {
		case !stopBy.IsZero():
			interval = min(durOr(c.PollInterval, time.Second), 250*time.Millisecond)
		case !polled:
		case err != nil:
			interval = min(max(interval*2, time.Second), 8*time.Second)
		case changed:
			interval = durOr(c.PollInterval, time.Second)
		default:
			interval = min(interval*3/2, maxInterval)
		}
		if !stopBy.IsZero() {
			interval = max(min(interval, time.Until(stopBy)), time.Millisecond)
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

// write runs one database write of a call in progress, retrying a failure
// that may pass (a database locked by another writer) for WriteRetryFor;
// once the call is stopping (stopBy set), no longer than a few seconds past
// the stop. It returns the last error; nothing is dropped silently.
func (s *Session) write(what string, stopBy time.Time, fn func(context.Context) error) error {
	c := s.c
	deadline := time.Now().Add(durOr(c.WriteRetryFor, time.Minute))
	if !stopBy.IsZero() && stopBy.Add(2*time.Second).Before(deadline) {
		deadline = stopBy.Add(2 * time.Second)
	}
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := fn(ctx)
		cancel()
		if err == nil {
			if attempt > 1 {
				c.log().Info("database write succeeded after retries", "what", what, "attempts", attempt)
			}
			return nil
		}
		switch ErrorKind(err) {
		case EINVALID, ECONFLICT, ENOTFOUND:
			c.log().Error("database write refused", "what", what, "err", err)
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			c.log().Error("database write failed", "what", what, "attempts", attempt, "err", err)
			return err
		}
		if attempt == 1 {
			c.log().Warn("database write failed; retrying", "what", what, "err", err)
		}
		time.Sleep(wait)
		wait = min(wait*2, time.Second)
	}
}

// saveOnce makes one attempt at a database write during a call, bounded
// by a few seconds and cut short by a stop. A failure is returned for the
// caller to try again later; the final writes retry (write).
func (s *Session) saveOnce(live context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(live, 250*time.Millisecond)
	defer cancel()
	err := fn(ctx)
	if err != nil && live.Err() == nil {
		s.c.log().Warn("database write during the call failed; tried again later", "err", err)
	}
	return err
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
		case agent.Status == CallCanceled:
			return OutcomeCanceled // hung up while the agent's phone rang
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
	msg := fmt.Sprintf("Call ended: %s. Cost so far: %s", c.Outcome.Phrase(), cost)
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
	// A cache write is not worth waiting on a busy database for.
	sctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	if err := c.Store.SaveRate(sctx, prefix, m, c.now()); err != nil {
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

// Repair records the real end of calls left open: calls whose process
// died, whose last write failed, or whose end the provider did not
// confirm (OutcomeUnknown). It asks the provider for their legs and, once
// the provider says every leg has ended, records the legs, the outcome and
// the end. A call the provider still reports live is left for later, and
// so is one this process is following. Only calls placed through Account
// (or recorded before calls named their account) are looked at. It returns
// how many it repaired.
func (c *Calls) Repair(ctx context.Context) (int, error) {
	open, err := c.Store.OpenCalls(ctx, c.Account, 200)
	if err != nil {
		return 0, err
	}
	repaired := 0
	for _, call := range open {
		ok, err := c.repairOpen(ctx, call)
		if err != nil {
			if ErrorKind(err) == ECANCELED || ctx.Err() != nil {
				return repaired, err
			}
			c.log().Warn("repair", "call", call.ID, "err", err)
			continue
		}
		if ok {
			repaired++
		}
	}
	return repaired, nil
}

// RepairCall is Repair for one call: it reports whether the call's end is
// known now.
func (c *Calls) RepairCall(ctx context.Context, id int64) (bool, error) {
	call, err := c.Store.Call(ctx, id)
	if err != nil || (!call.EndedAt.IsZero() && call.Outcome != OutcomeUnknown) {
		return err == nil, err
	}
	if call.Account != c.Account && call.Account != "" {
		return false, Errorf(EINVALID, "call %d was placed through another provider account (%s) than this one (%s)", id, call.Account, c.Account)
	}
	return c.repairOpen(ctx, call)
}

// lostAfter is how long after its start a call with no recorded leg is
// taken as never placed: its process died before the provider answered.
const lostAfter = 10 * time.Minute

func (c *Calls) repairOpen(ctx context.Context, call Call) (bool, error) {
	if call.Inbound() {
		// The caller's leg says how it went, as `dialer serve` would have
		// recorded it.
		l, ok := call.Leg(ContactLeg)
		if !ok || l.SID == "" {
			return false, nil
		}
		b := &Switchboard{Store: c.Store, Provider: c.Provider, Pricing: c.Provider, Clock: c.Clock, Logger: c.Logger, Account: c.Account}
		if err := b.Ended(ctx, l.SID); err != nil {
			return false, err
		}
		got, err := c.Store.Call(ctx, call.ID)
		return err == nil && !got.EndedAt.IsZero(), err
	}
	agent, ok := call.Leg(AgentLeg)
	if !ok || agent.SID == "" {
		if c.now().Sub(call.StartedAt) < lostAfter {
			return false, nil // its process may still be placing it
		}
		reason := "dialer stopped before the provider said the call was placed; nothing is known of it"
		return c.Store.RepairCall(ctx, call.ID, OutcomeNoRecord, reason, call.StartedAt)
	}
	c.mu.Lock()
	live := c.live[agent.SID] != nil
	c.mu.Unlock()
	if live {
		return false, nil
	}
	return c.repair(ctx, call, agent)
}

func (c *Calls) repair(ctx context.Context, call Call, agent Leg) (bool, error) {
	info, err := c.Provider.FetchCall(ctx, agent.SID)
	if ErrorKind(err) == ENOTFOUND && call.Account != "" && call.Account == c.Account {
		// Nothing more will ever be learnt: say so, and stop asking.
		reason := "the provider has no record of the call"
		if call.EndReason != "" {
			reason = call.EndReason + "; " + reason
		}
		end := call.EndedAt
		if end.IsZero() {
			end = c.now()
		}
		return c.Store.RepairCall(ctx, call.ID, OutcomeNoRecord, reason, end)
	}
	if err != nil {
		return false, err
	}
	applyInfo(&agent, info)
	if !agent.Status.Ended() {
		return false, nil // still live at the provider
	}
	var contact *Leg
	if l, ok := call.Leg(ContactLeg); ok {
		contact = &l
	}
	kids, err := c.Provider.ChildCalls(ctx, agent.SID)
	if err != nil {
		return false, err
	}
	if len(kids) > 0 {
		if contact == nil {
			contact = &Leg{Role: ContactLeg, SID: kids[0].SID, To: kids[0].To}
		}
		applyInfo(contact, kids[0])
		if !contact.Status.Ended() {
			return false, nil
		}
	}
	if err := c.Store.SaveLeg(ctx, call.ID, agent); err != nil {
		return false, err
	}
	if contact != nil {
		if err := c.Store.SaveLeg(ctx, call.ID, *contact); err != nil {
			return false, err
		}
	}
	answered := agent.Status == CallCompleted || agent.Duration > 0
	out := outcome(agent, contact, answered)
	reason := confirmedLater(call.EndReason)
	end := agent.EndedAt
	if contact != nil && contact.EndedAt.After(end) {
		end = contact.EndedAt
	}
	if end.IsZero() {
		end = c.now()
	}
	ok, err := c.Store.RepairCall(ctx, call.ID, out, reason, end)
	if ok {
		c.log().Info("call repaired", "call", call.ID, "outcome", out)
	}
	return ok, err
}

// RunBackfill repairs open calls and backfills prices now and then every
// interval until ctx ends.
func (c *Calls) RunBackfill(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := c.Repair(ctx); err != nil && ctx.Err() == nil {
			c.log().Warn("repair failed", "err", err)
		} else if n > 0 {
			c.log().Info("open calls repaired", "calls", n)
		}
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
