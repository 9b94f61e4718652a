package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Switchboard answers the calls contacts place to our numbers: it finds
// the agent who should take each one, records it like an outbound call,
// and turns a missed one into a due callback for that agent. `dialer
// serve` runs it behind Twilio's voice webhook.
type Switchboard struct {
	Store    Store
	Provider CallProvider
	Pricing  PricingProvider // rates the agent's leg; nil: unrated
	Clock    Clock
	Logger   *slog.Logger
	// Account is the provider account the numbers belong to; inbound
	// calls are recorded under it.
	Account string
	// RingTimeout is how long the agent's phone rings (30 s by default).
	RingTimeout time.Duration
}

func (b *Switchboard) now() time.Time    { return nowUTC(b.Clock) }
func (b *Switchboard) log() *slog.Logger { return logOr(b.Logger) }

// InboundCall is a call someone placed to one of our numbers, as the
// provider's voice webhook tells it.
type InboundCall struct {
	SID  string // the caller's call
	From string // the caller, as the provider says it (E.164, or a word for a hidden number)
	To   string // our number, E.164
}

// Route is what to do with an inbound call: ring Ring (showing the
// caller's number), or, when Ring is empty, say Message and hang up.
type Route struct {
	CallID  int64  // the call's record (0: not recorded: not our number, or a hidden caller)
	Agent   Agent  // the agent rung (zero for the fallback phone or the message)
	Ring    string // E.164 phone to ring; "" for none
	Timeout time.Duration
	Message string // spoken when nobody is rung, or nobody answers
	Why     string // how the agent was chosen, for the log
}

// Route decides who takes an inbound call, in order: the agent who last
// called the caller from that number (a contact calling back), the
// number's assigned agent, the fallback phone; else the message. It
// records the call (matching the caller to a contact by number, or making
// a new contact) before answering, so that nothing rings unrecorded. An
// error means the call cannot be recorded; the caller should still hear
// the message.
func (b *Switchboard) Route(ctx context.Context, in InboundCall) (Route, error) {
	set, err := b.Store.Settings(ctx)
	if err != nil {
		return Route{Message: DefaultInboundMessage}, err
	}
	r := Route{Message: set.InboundMessage, Timeout: durOr(b.RingTimeout, 30*time.Second)}
	ns, err := b.Store.Numbers(ctx, NumberFilter{PhoneNumber: in.To, Limit: 1})
	if err != nil {
		return r, err
	}
	if len(ns) == 0 || !ns[0].Status.Held() {
		// Not a number this installation holds (another one's on the
		// same account, or released): nobody here can take it.
		b.log().Warn("inbound call to a number not in service here", "call", in.SID, "to", in.To)
		r.Why = "not a number in service"
		return r, nil
	}
	n := ns[0]
	caller, perr := ParsePhone(in.From)

	// Who takes it.
	var agent Agent
	if perr == nil {
		last, ok, err := b.Store.LastCallTo(ctx, n.PhoneNumber, caller.E164)
		if err != nil {
			return r, err
		}
		if ok && last.AgentID != 0 {
			if a, err := b.Store.Agent(ctx, last.AgentID); err == nil && a.Active {
				agent, r.Why = a, fmt.Sprintf("%s called them from this number on %s", a.Name, last.StartedAt.Format(time.DateOnly))
			}
		}
	}
	if agent.ID == 0 && n.AgentID != 0 {
		if a, err := b.Store.Agent(ctx, n.AgentID); err == nil && a.Active {
			agent, r.Why = a, "the number is assigned to "+a.Name
		}
	}
	switch {
	case agent.ID != 0:
		r.Agent, r.Ring = agent, agent.Phone
	case set.InboundFallback != "":
		r.Ring, r.Why = set.InboundFallback, "no agent for it: the fallback phone"
	default:
		r.Why = "no agent for it and no fallback phone: the message"
	}
	if perr != nil {
		// A hidden or malformed caller cannot be a contact: it is still
		// put through, unrecorded.
		b.log().Info("inbound call from a number that cannot be read; not recorded", "call", in.SID, "why", r.Why)
		return r, nil
	}

	// The caller's contact, or a new one.
	ct, err := b.Store.ContactByPhone(ctx, caller.E164)
	if ErrorKind(err) == ENOTFOUND {
		now := b.now()
		ct, err = b.Store.CreateContact(ctx, Contact{Phone: caller.E164,
			Notes: "Called " + n.PhoneNumber + " on " + now.Format(time.DateOnly) + ".", CreatedAt: now, UpdatedAt: now})
		if ErrorKind(err) == ECONFLICT { // created meanwhile by someone else
			ct, err = b.Store.ContactByPhone(ctx, caller.E164)
		}
	}
	if err != nil {
		return r, err
	}
	call := Call{Direction: Inbound, ContactID: ct.ID, AgentID: agent.ID, AgentName: agent.Name, AgentPhone: r.Ring,
		CallerID: n.PhoneNumber, NumberID: n.ID, Confirm: ConfirmAuto, Account: b.Account, StartedAt: b.now()}
	if call.AgentPhone == "" {
		// Nobody is rung: the record names the number the caller reached.
		call.AgentPhone = n.PhoneNumber
	}
	if r.Ring != "" && agent.ID == 0 {
		call.AgentName = "fallback"
	}
	call, err = b.Store.StartCall(ctx, call)
	if err != nil {
		return r, err
	}
	r.CallID = call.ID
	// A contact calling back is a use: the number stays reserved.
	if err := b.Store.TouchNumber(ctx, n.ID, call.StartedAt, call.StartedAt.Add(set.Reservation())); err != nil {
		return r, err
	}
	if err := b.Store.SaveLeg(ctx, call.ID, Leg{Role: ContactLeg, SID: in.SID, To: n.PhoneNumber, Status: CallRinging, StartedAt: call.StartedAt}); err != nil {
		return r, err
	}
	if r.Ring == "" {
		// Nobody to ring: the call is missed at once.
		if err := b.missed(ctx, call, OutcomeNoAnswer); err != nil {
			return r, err
		}
	}
	b.log().Info("inbound call", "call", in.SID, "record", call.ID, "why", r.Why)
	return r, nil
}

// Progress records how the agent's leg of an inbound call goes while it
// rings and talks (the leg's status callbacks), so that the team sees it
// live; once the caller is talking to the agent, the caller's leg is in
// progress too. A leg of any other call is none of its business.
func (b *Switchboard) Progress(ctx context.Context, info CallInfo) error {
	if info.ParentSID == "" {
		return nil
	}
	call, err := b.Store.CallByLeg(ctx, info.ParentSID)
	if ErrorKind(err) == ENOTFOUND {
		return nil
	}
	if err != nil || !call.Inbound() || !call.EndedAt.IsZero() {
		return err
	}
	l, _ := call.Leg(AgentLeg)
	l.Role, l.SID, l.To = AgentLeg, info.SID, call.AgentPhone
	applyInfo(&l, info)
	if err := b.Store.SaveLeg(ctx, call.ID, l); err != nil {
		return err
	}
	if c, ok := call.Leg(ContactLeg); ok && info.Status == CallInProgress && c.Status != CallInProgress {
		c.Status = CallInProgress
		return b.Store.SaveLeg(ctx, call.ID, c)
	}
	return nil
}

// Ended records the end of inbound call sid (the caller's leg), as the
// provider reports it: both legs with their durations, the outcome, and,
// when no one answered, a callback due now for the agent it was meant
// for. Recording it again changes nothing but the legs.
func (b *Switchboard) Ended(ctx context.Context, sid string) error {
	call, err := b.Store.CallByLeg(ctx, sid)
	if err != nil {
		return err
	}
	if !call.Inbound() {
		return nil
	}
	info, err := b.Provider.FetchCall(ctx, sid)
	if err != nil {
		return err
	}
	if !info.Status.Ended() {
		return nil
	}
	contact, _ := call.Leg(ContactLeg)
	applyInfo(&contact, info)
	contact.Role, contact.SID, contact.To = ContactLeg, sid, call.CallerID
	if err := b.Store.SaveLeg(ctx, call.ID, contact); err != nil {
		return err
	}
	var agent *Leg
	if call.AgentName != "" || call.AgentID != 0 {
		kids, err := b.Provider.ChildCalls(ctx, sid)
		if err != nil {
			return err
		}
		if len(kids) > 0 {
			l, _ := call.Leg(AgentLeg)
			l.Role, l.SID, l.To = AgentLeg, kids[0].SID, call.AgentPhone
			applyInfo(&l, kids[0])
			if l.Rate == nil && b.Pricing != nil {
				if rate, err := b.Pricing.VoiceRate(ctx, l.To, call.CallerID); err == nil {
					l.Rate = &rate
				}
			}
			if err := b.Store.SaveLeg(ctx, call.ID, l); err != nil {
				return err
			}
			agent = &l
		}
	}
	if !call.EndedAt.IsZero() {
		return nil // the end is known already (a repeated callback, or a missed call)
	}
	out := OutcomeNoAnswer
	if agent != nil {
		switch agent.Status {
		case CallCompleted:
			if agent.Duration > 0 || !agent.StartedAt.IsZero() {
				out = OutcomeAnswered
			}
		case CallBusy:
			out = OutcomeBusy
		case CallFailed:
			out = OutcomeFailed
		}
	}
	if out == OutcomeAnswered {
		if err := b.Store.CompleteCallback(ctx, call.ContactID, call.ID, b.now()); err != nil {
			return err
		}
		return b.Store.FinishCall(ctx, call.ID, out, "", endOr(contact.EndedAt, b.now()))
	}
	return b.missed(ctx, call, out)
}

// missed ends an inbound call nobody answered and leaves a callback due
// now for the agent it was meant for.
func (b *Switchboard) missed(ctx context.Context, call Call, out Outcome) error {
	now := b.now()
	who := call.AgentName
	if who == "" {
		who = "nobody"
	}
	if _, err := b.Store.ScheduleCallback(ctx, Callback{ContactID: call.ContactID, Due: now, AgentID: call.AgentID,
		CreatedBy: "dialer serve", CreatedAt: now,
		Note: fmt.Sprintf("Missed call to %s (rang %s)", call.CallerID, who)}); err != nil {
		return err
	}
	return b.Store.FinishCall(ctx, call.ID, out, "missed inbound call", now)
}

func endOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
