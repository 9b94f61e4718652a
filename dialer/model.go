package dialer

import (
	"slices"
	"strings"
	"time"
)

// Contact is a person an agent calls. Calls belong to contacts.
type Contact struct {
	ID       int64
	Name     string
	Phone    string // as entered; E.164 once validated
	Company  string
	Email    string
	Notes    string
	TimeZone string            // IANA name ("America/Chicago"); "" means the phone's area code decides
	Fields   map[string]string // custom fields
	// DoNotCall says the contact's phone is on the organization's
	// do-not-call list. Stores fill it in on reading; it is not saved with
	// the contact (the list is by number: see DNCStore).
	DoNotCall bool
	// Lists are the names of the lists the contact is on, filled in by
	// Contact (one contact); other reads leave it nil.
	Lists     []string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt time.Time // zero unless deleted
}

// Label names the contact in messages: its name, or its phone number.
func (c Contact) Label() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Phone != "" {
		return c.Phone
	}
	return "contact"
}

// Agent is a person who places calls from their own phone: a record in
// the (team's) database. Supervisors also run the inventory, the settings
// and the team.
type Agent struct {
	ID        int64
	Name      string
	Phone     string // E.164
	Role      Role
	Active    bool // false once removed: their calls keep their name
	CreatedAt time.Time
}

// Supervisor reports whether the agent may do what only supervisors may.
func (a Agent) Supervisor() bool { return a.Role == RoleSupervisor }

// Role is what an agent may do.
type Role string

// Roles.
const (
	RoleAgent      Role = "agent"      // places calls
	RoleSupervisor Role = "supervisor" // and runs settings, dedicated numbers, releases, assignments and agents
)

// ParseRole reads a role by name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAgent, RoleSupervisor:
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q is not agent or supervisor", s)
}

// NumberKind says how a number came into the inventory.
type NumberKind string

const (
	// OnDemand numbers are bought when a call needs one and released after
	// the reservation lapses.
	OnDemand NumberKind = "on_demand"
	// Dedicated numbers are bought by a supervisor and kept until canceled.
	Dedicated NumberKind = "dedicated"
)

// NumberStatus is where a number is in its lifecycle.
type NumberStatus string

const (
	StatusPending   NumberStatus = "pending"   // purchase in flight
	StatusActive    NumberStatus = "active"    // usable; the only status that places calls
	StatusPastDue   NumberStatus = "past_due"  // billing problem; not usable
	StatusCanceling NumberStatus = "canceling" // canceled; kept until its billing period ends
	StatusReleased  NumberStatus = "released"  // no longer ours
	StatusFailed    NumberStatus = "failed"    // a purchase that never completed; no fee
)

// LiveStatuses are the statuses that count against the organization's
// maximum: the number is (or may be about to be) owned at the provider.
var LiveStatuses = []NumberStatus{StatusPending, StatusActive, StatusPastDue, StatusCanceling}

// Valid reports whether s is a known status.
func (s NumberStatus) Valid() bool {
	switch s {
	case StatusPending, StatusActive, StatusPastDue, StatusCanceling, StatusReleased, StatusFailed:
		return true
	}
	return false
}

// Held reports whether the provider holds the number for us now: it
// receives calls (a canceling or past-due number too).
func (s NumberStatus) Held() bool {
	return s == StatusActive || s == StatusPastDue || s == StatusCanceling
}

// Unassigned says what becomes of the number while no agent has it: an
// on-demand one serves any agent's calls to its area code; a dedicated one
// (a supervisor's, kept for an agent) serves no call until it is assigned.
func (n Number) Unassigned() string {
	if n.Kind == OnDemand {
		return "calls to its area code use it on demand"
	}
	return "no call uses it until it is assigned"
}

// Number is one phone number of the inventory.
type Number struct {
	ID          int64
	PhoneNumber string // E.164; empty while pending
	ProviderSID string // empty while pending
	Kind        NumberKind
	Status      NumberStatus
	Country     string // ISO 3166-1 alpha-2
	// AreaCode is the number's own area code; empty while pending.
	AreaCode string
	// ServesAreaCode is the contacts' area code an on-demand number was bought
	// for. It differs from AreaCode when no local number was available and a
	// number elsewhere in the region was bought instead.
	ServesAreaCode string
	Region         string // state or province, e.g. "CA"
	Locality       string
	FriendlyName   string
	AgentID        int64 // assigned agent, 0 for none
	Primary        bool  // the assigned agent's primary number
	MonthlyPrice   *Money
	FailureReason  string

	CreatedAt        time.Time
	ActivatedAt      time.Time
	ReservedUntil    time.Time // on-demand: released once this passes without a call
	LastUsedAt       time.Time
	BillingPeriodEnd time.Time // canceling: released at the provider then
	ReleasedAt       time.Time

	// Owner is the process that bought (or is buying) the number, when it
	// recorded itself; AskedAt is when it asked the provider to buy, zero
	// while it has not.
	Owner   Owner
	AskedAt time.Time
}

// Local reports whether the number is in the area code it serves.
func (n Number) Local() bool { return n.ServesAreaCode == "" || n.AreaCode == n.ServesAreaCode }

// ChargeKind names what a charge is for.
type ChargeKind string

// ReservationFee is charged once for each newly reserved number.
const ReservationFee ChargeKind = "reservation_fee"

// Charge is money the organization owes for something that happened.
type Charge struct {
	ID             int64
	Kind           ChargeKind
	NumberID       int64
	PhoneNumber    string
	AgentID        int64 // whose call bought the number (0 if unknown)
	Amount         Money
	IdempotencyKey string // unique: the same key never charges twice
	CreatedAt      time.Time
}

// CallStatus is a call leg's status, as Twilio names them.
type CallStatus string

const (
	CallQueued     CallStatus = "queued"
	CallRinging    CallStatus = "ringing"
	CallInProgress CallStatus = "in-progress"
	CallCompleted  CallStatus = "completed"
	CallBusy       CallStatus = "busy"
	CallFailed     CallStatus = "failed"
	CallNoAnswer   CallStatus = "no-answer"
	CallCanceled   CallStatus = "canceled"
)

// EndedCallStatuses are the statuses of a leg that is over.
var EndedCallStatuses = []CallStatus{CallCompleted, CallBusy, CallFailed, CallNoAnswer, CallCanceled}

// Ended reports whether the leg is over: its status is one of
// EndedCallStatuses.
func (s CallStatus) Ended() bool { return slices.Contains(EndedCallStatuses, s) }

// Direction says who placed a call: we did (outbound) or the contact
// called one of our numbers (inbound). On an inbound call the contact leg
// is the call the contact placed, the agent leg the one dialed to the
// agent's phone, and CallerID the number the contact called.
type Direction string

const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// Inbound reports whether the contact placed the call.
func (c Call) Inbound() bool { return c.Direction == Inbound }

// LegRole says which side of a bridged call a leg is.
type LegRole string

const (
	AgentLeg   LegRole = "agent"
	ContactLeg LegRole = "contact"
)

// Leg is one provider call: the agent's phone, or the contact's.
type Leg struct {
	Role       LegRole
	SID        string
	To         string // the phone this leg rang
	Status     CallStatus
	AnsweredBy string // "human", "machine_end_beep", ... when detected
	StartedAt  time.Time
	EndedAt    time.Time
	Duration   time.Duration
	Rate       *Money // per minute, from the pricing API at call time
	Price      *Money // cost; nil until the provider has priced the leg
}

// Call is one bridged call, recorded on the contact.
type Call struct {
	ID             int64
	Direction      Direction // outbound (zero value reads as outbound) or inbound
	ContactID      int64
	AgentID        int64 // the agent's record (0 on calls placed before agents were records)
	AgentName      string
	AgentPhone     string
	CallerID       string
	NumberID       int64
	NewNumber      bool  // the caller ID was bought for this call
	FeeChargeID    int64 // the reservation fee's charge, when NewNumber
	Confirm        ConfirmMode
	Outcome        Outcome
	Disposition    string // the agent's word on how it went, picked at the end
	EndReason      string // why the program ended it, if it did: "agent hung up", "balance negative", ...
	OverrideReason string // calling-hours override, if any
	Account        string // the provider account that placed it ("" before calls named it)
	StartedAt      time.Time
	EndedAt        time.Time
	Legs           []Leg
}

// Leg returns the call's leg of role, if it has one.
func (c Call) Leg(role LegRole) (Leg, bool) {
	for _, l := range c.Legs {
		if l.Role == role {
			return l, true
		}
	}
	return Leg{}, false
}

// Outcome is how a bridged call ended, from the contact's side.
type Outcome string

const (
	OutcomeAnswered      Outcome = "answered"        // the contact answered (a person)
	OutcomeVoicemail     Outcome = "voicemail"       // a machine answered
	OutcomeBusy          Outcome = "busy"            // the contact's line was busy
	OutcomeNoAnswer      Outcome = "no_answer"       // the contact did not answer
	OutcomeFailed        Outcome = "failed"          // the contact's leg could not be placed
	OutcomeCanceled      Outcome = "canceled"        // hung up while the contact's phone rang
	OutcomeNotDialed     Outcome = "not_dialed"      // the agent answered but the contact was never dialed
	OutcomeAgentNoAnswer Outcome = "agent_no_answer" // the agent's phone was not answered: the contact was never dialed
	OutcomeAgentFailed   Outcome = "agent_failed"    // the agent's phone could not be rung
	// OutcomeUnknown: the program stopped following the call before the
	// provider confirmed its end (unreachable); backfill repairs it.
	OutcomeUnknown Outcome = "unknown"
	// OutcomeNoRecord: the provider has no record of the call any more (a
	// sandbox emulator killed mid-call; a call record deleted at Twilio).
	OutcomeNoRecord Outcome = "no_record"
)

// Phrase is the outcome in words, the one wording every screen and
// command shows ("agent didn't answer", never "agent_no_answer"). The
// Outcome's own value stays what --json and the CSV export write.
func (o Outcome) Phrase() string {
	switch o {
	case OutcomeNoAnswer:
		return "no answer"
	case OutcomeNotDialed:
		return "not dialed"
	case OutcomeAgentNoAnswer:
		return "agent didn't answer"
	case OutcomeAgentFailed:
		return "agent's phone failed"
	case OutcomeUnknown:
		return "end not confirmed"
	case OutcomeNoRecord:
		return "no provider record"
	case "":
		return "in progress"
	}
	return strings.ReplaceAll(string(o), "_", " ")
}

// Total adds the legs' prices. known is false while any leg is unpriced.
func (c Call) Total() (total Money, known bool, err error) {
	known = true
	for _, l := range c.Legs {
		if l.Price == nil {
			known = false
			continue
		}
		if total, err = total.Add(*l.Price); err != nil {
			return Money{}, false, err
		}
	}
	return total, known, nil
}
