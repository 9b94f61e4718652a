package dialer

import (
	"context"
	"time"
)

// Store keeps the inventory, charges and settings. Each method is one atomic
// step: the invariants (one pending purchase per area code, one fee per
// number, unique live numbers) hold in the database's own constraints and
// transactions, so they hold across processes sharing it.
type Store interface {
	NumberStore
	ChargeStore
	ContactStore
	CallStore
	DNCStore
	CallbackStore
	DayStore
	AgentStore
	LeaseStore
	// Team is each active agent's state at now (online by their presence
	// lease, their call in progress) and figures since since, spend in
	// currency.
	Team(ctx context.Context, since, now time.Time, currency string) ([]AgentStatus, error)

	// InstanceID identifies this database. Numbers it buys carry it in their
	// friendly name, so reconciling never touches another installation's.
	InstanceID() string
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, s Settings) error
}

// Change is a commit that changed what the team's screens show: Table
// names the table (and ID the row, for those written a row at a time); an
// empty Table means anything may have changed (re-read everything).
type Change struct {
	Table string
	ID    string
}

// AgentState is what an agent is doing now.
type AgentState string

// Agent states, as the Team screen says them.
const (
	AgentOffline AgentState = "offline"             // no dialer of theirs is open
	AgentIdle    AgentState = "idle"                // a dialer is open, no call
	AgentRinging AgentState = "ringing their phone" // a call rings the agent's phone
	AgentDialing AgentState = "dialing"             // the agent answered; the contact is being dialed
	AgentOnCall  AgentState = "on a call"           // with Contact since Since
)

// AgentStatus is an agent's state and the day's figures (Team screen).
type AgentStatus struct {
	Agent    Agent
	State    AgentState
	Contact  string    // on a call (or ringing) for whom
	Since    time.Time // the call's start
	Calls    int
	Connects int
	TalkTime time.Duration
	Spend    Money // priced legs in the organization's currency
	Unpriced int   // ended legs not priced yet: not in Spend
}

// Lease is work one holder does at a time: a process's housekeeping, an
// agent's call with a contact.
type Lease struct {
	Name    string
	Holder  string    // who has it: unique to a process (and a call)
	Label   string    // who has it, for people: an agent's name
	Expires time.Time // unless renewed first
}

// LeaseStore hands out leases.
type LeaseStore interface {
	// TakeLease takes lease name for holder until now+ttl, or renews it if
	// holder has it. When another holder has it and it has not expired,
	// it returns that lease and false.
	TakeLease(ctx context.Context, name, holder, label string, now time.Time, ttl time.Duration) (Lease, bool, error)
	// ReleaseLease gives up holder's lease name; nothing if it is not theirs.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// AgentStore keeps the team's agents.
type AgentStore interface {
	// CreateAgent records a new agent. The first agent of a database is
	// always a supervisor (someone must be able to add the others).
	// ECONFLICT when an active agent has the name.
	CreateAgent(ctx context.Context, a Agent) (Agent, error)
	// UpdateAgent saves an agent's name, phone, role and active flag.
	// Refuses (EREFUSED) to leave the team without an active supervisor.
	UpdateAgent(ctx context.Context, a Agent) (Agent, error)
	// Agent returns one agent (ENOTFOUND if none).
	Agent(ctx context.Context, id int64) (Agent, error)
	// Agents lists the agents by name: the active ones, or all.
	Agents(ctx context.Context, all bool) ([]Agent, error)
}

// NumberStore is the number inventory.
type NumberStore interface {
	// ClaimNumber decides, in one transaction, what a call in an area code
	// gets: an active on-demand number serving it (stamped used and its
	// reservation extended: ClaimReused), another caller's purchase to wait
	// for (ClaimWait), or a new pending number this caller must buy
	// (ClaimBuy). Refuses with ELIMIT when buying would pass MaxNumbers.
	ClaimNumber(ctx context.Context, req ClaimRequest) (Claim, error)
	// StartPurchase records a pending dedicated purchase (a supervisor's),
	// refusing with ELIMIT when it would pass MaxNumbers.
	StartPurchase(ctx context.Context, req PurchaseRequest) (Number, error)
	// ActivateNumber records a completed purchase of a pending number and
	// charges its fee under the fee key, in one transaction. Doing it again
	// for the same purchase changes nothing and charges nothing.
	ActivateNumber(ctx context.Context, id int64, a Activation) (Number, *Charge, error)
	// FailNumber marks a pending number failed: nothing was bought. ECONFLICT
	// if it is no longer pending.
	FailNumber(ctx context.Context, id int64, reason string) error
	// MarkAsked records, before the provider is asked to buy pending number
	// id, that it is about to be: a pending number never asked can be
	// marked failed without asking the provider once its owner is gone.
	// ECONFLICT if it is no longer pending.
	MarkAsked(ctx context.Context, id int64, at time.Time) error
	// ExpireReservations moves active on-demand numbers whose reservation
	// ended before now to canceling, due for release now.
	ExpireReservations(ctx context.Context, now time.Time) ([]Number, error)
	// DueReleases lists canceling numbers whose billing period has ended.
	DueReleases(ctx context.Context, now time.Time) ([]Number, error)
	// CancelNumber moves an active or past-due number to canceling until
	// periodEnd (the end of its billing period), when the sweeper releases
	// it. ECONFLICT if it is in no such state.
	CancelNumber(ctx context.Context, id int64, periodEnd time.Time) (Number, error)
	// AssignNumber makes a live number agent's primary number (agent 0:
	// no one's); the agent's previous primary number is unassigned. An
	// agent's calls to its area code use it; no other agent's do.
	AssignNumber(ctx context.Context, id, agent int64) (Number, error)
	// UncancelNumber returns a canceling number to active; an on-demand
	// one is reserved until at least reserveUntil. ECONFLICT if it is not
	// canceling.
	UncancelNumber(ctx context.Context, id int64, reserveUntil time.Time) (Number, error)
	// NumberUsage is how a number's calls went over the 30 days before
	// now (dayStart: the start of today, local), beside the organization's
	// answer rate for calls from numbers of the same area code.
	NumberUsage(ctx context.Context, id int64, dayStart, now time.Time) (NumberUsage, error)
	// SetPastDue moves every active number to past_due (pastDue) or every
	// past-due number back to active, and returns how many changed.
	SetPastDue(ctx context.Context, pastDue bool) (int, error)
	// TouchNumber records that a held number was used at now (a contact
	// called it): its last use, and an on-demand number's reservation
	// extended to at least reserveUntil.
	TouchNumber(ctx context.Context, id int64, now, reserveUntil time.Time) error
	// RenameNumber records a number's friendly name (as the provider has it).
	RenameNumber(ctx context.Context, id int64, friendly string) error
	// SetMonthlyPrice records the provider's monthly price of a number.
	SetMonthlyPrice(ctx context.Context, id int64, price Money) error
	// MarkReleased records that the provider no longer has the number.
	MarkReleased(ctx context.Context, id int64, at time.Time) error
	// Number returns one number by local id (ENOTFOUND if none).
	Number(ctx context.Context, id int64) (Number, error)
	// Numbers lists numbers, newest first.
	Numbers(ctx context.Context, f NumberFilter) ([]Number, error)
}

// ChargeStore is the ledger of charges.
type ChargeStore interface {
	// Charges lists charges, newest first.
	Charges(ctx context.Context, f ChargeFilter) ([]Charge, error)
}

// ClaimRequest asks for a caller ID in an area code.
type ClaimRequest struct {
	Country      string
	AreaCode     string
	Now          time.Time
	ReserveUntil time.Time // a reused on-demand number is reserved until then
	MaxNumbers   int
	Owner        Owner // the process that will buy, should ClaimNumber say ClaimBuy
	Agent        int64 // the agent whose call it is: its fee names them
	// Health, when not nil (the rotate_at_risk setting), judges the number
	// the claim would reuse by its usage (read in the claim: one statement
	// more; DayStart, the start of today, local, bounds its calls today):
	// sentences mean it is at risk. An at-risk on-demand number no agent
	// has is rotated: the claim waits for the area code's purchase under
	// way, or starts one (ClaimBuy with Replaces); an assigned number is
	// reused (ClaimReused with AtRisk and Kept).
	Health   func(NumberUsage) []string
	DayStart time.Time
}

// ClaimAction is what ClaimNumber decided.
type ClaimAction int

const (
	ClaimReused ClaimAction = iota + 1 // Claim.Number is active and stamped used
	ClaimWait                          // Claim.Number is another caller's pending purchase
	ClaimBuy                           // Claim.Number is a new pending number: buy it
)

// Claim is ClaimNumber's decision.
type Claim struct {
	Action ClaimAction
	Number Number
	// Replaces is, for a ClaimBuy that rotates, the at-risk number the new
	// one replaces: it goes canceling when the new one is recorded.
	Replaces *Number
	// AtRisk says why the number judged (Replaces, or the number reused) is
	// at risk; Kept, for a number reused all the same, why it was not
	// rotated.
	AtRisk []string
	Kept   string
}

// PurchaseRequest starts a dedicated purchase.
type PurchaseRequest struct {
	Country     string
	AreaCode    string // the area code asked for, or the exact number's
	PhoneNumber string // the exact number asked for, if any
	Now         time.Time
	MaxNumbers  int
	Owner       Owner // the process buying
	Agent       int64 // the supervisor buying: its fee names them
}

// Activation is a completed purchase.
type Activation struct {
	SID           string
	PhoneNumber   string
	FriendlyName  string
	AreaCode      string
	Region        string
	Locality      string
	At            time.Time
	ReservedUntil time.Time
	Fee           *Money // nil or zero: no charge
	FeeKey        string // idempotency key of the fee
	// Retire, when not zero, is the number the purchase replaces (a
	// rotation): in the same transaction it goes canceling until
	// RetireUntil, if it is still active.
	Retire      int64
	RetireUntil time.Time
}

// NumberFilter narrows Numbers. Zero fields do not filter.
type NumberFilter struct {
	Statuses    []NumberStatus
	Kind        NumberKind
	AreaCode    string
	PhoneNumber string
	Limit       int
}

// ChargeFilter narrows Charges. Zero fields do not filter.
type ChargeFilter struct {
	NumberID int64
	AgentID  int64 // charges for numbers this agent's calls bought
	Since    time.Time
	Limit    int
}

// CallStore keeps call records, their legs and the rate cache.
type CallStore interface {
	// StartCall records a call being placed (no legs yet) and completes
	// the contact's open callback, in one transaction.
	StartCall(ctx context.Context, c Call) (Call, error)
	// SaveLeg records or updates the call's leg of l.Role. A price already
	// recorded is kept when l.Price is nil.
	SaveLeg(ctx context.Context, callID int64, l Leg) error
	// SetDisposition records the agent's word on how the call went.
	SetDisposition(ctx context.Context, id int64, disposition string) error
	// FinishCall records how the call ended.
	FinishCall(ctx context.Context, id int64, outcome Outcome, endReason string, endedAt time.Time) error
	// OpenCalls lists, oldest first, calls whose end is not known for
	// sure (never finished, or finished with OutcomeUnknown) that were
	// placed through account or recorded without one.
	OpenCalls(ctx context.Context, account string, limit int) ([]Call, error)
	// RepairCall records the real end of an open call. It changes nothing
	// (and reports false) when the call is no longer open.
	RepairCall(ctx context.Context, id int64, outcome Outcome, endReason string, endedAt time.Time) (bool, error)
	// Call returns one call with its legs.
	Call(ctx context.Context, id int64) (Call, error)
	// Calls lists calls with their legs, newest first.
	Calls(ctx context.Context, f CallFilter) ([]Call, error)
	// CallByLeg returns the call one of whose legs is provider call sid;
	// ENOTFOUND when none is.
	CallByLeg(ctx context.Context, sid string) (Call, error)
	// LastCallTo returns the newest outbound call placed from our number
	// callerID to the contact whose phone is phone; ok false when there is
	// none.
	LastCallTo(ctx context.Context, callerID, phone string) (c Call, ok bool, err error)
	// LastOutcomes maps each given contact that has calls to its newest
	// call's outcome.
	LastOutcomes(ctx context.Context, contactIDs []int64) (map[int64]Outcome, error)
	// CountCalls counts calls placed at or after since.
	CountCalls(ctx context.Context, since time.Time) (int, error)
	// UnpricedLegs lists ended legs the provider has not priced yet.
	UnpricedLegs(ctx context.Context, limit int) ([]LegRef, error)
	// SetLegPrice records a leg's price once the provider has it.
	SetLegPrice(ctx context.Context, sid string, price Money) error
	// Rate returns a cached per-minute rate for a destination prefix.
	Rate(ctx context.Context, prefix string) (Money, time.Time, error)
	// SaveRate caches a per-minute rate.
	SaveRate(ctx context.Context, prefix string, rate Money, at time.Time) error
}

// CallFilter narrows Calls. Zero fields do not filter.
type CallFilter struct {
	ContactID int64
	AgentID   int64
	Since     time.Time
	Limit     int
}

// LegRef names a leg for backfilling its price.
type LegRef struct {
	CallID int64
	Role   LegRole
	SID    string
}
