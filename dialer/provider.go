package dialer

import (
	"context"
	"time"
)

// Provider is the telephony provider: Twilio in production, the emulator in
// sandbox mode and tests. Every method is bounded by ctx. Errors are *Error
// values whose kind says what the user can do about them.
type Provider interface {
	NumberProvider
	CallProvider
	PricingProvider
}

// NumberProvider buys, changes, lists and releases phone numbers.
type NumberProvider interface {
	// SearchNumbers lists local numbers available to buy.
	SearchNumbers(ctx context.Context, q NumberQuery) ([]AvailableNumber, error)
	// BuyNumber buys one number, by area code (the provider picks one) or by
	// exact number. A failed purchase returns ENOTAVAILABLE, EAREACODE,
	// EADDRESS, EACCOUNT, EAUTH, ERATELIMIT or EUNAVAILABLE. EUNAVAILABLE
	// means the outcome is unknown: the caller must look before buying again.
	BuyNumber(ctx context.Context, req BuyRequest) (OwnedNumber, error)
	// UpdateNumber changes a number's friendly name or voice URL.
	UpdateNumber(ctx context.Context, sid string, u NumberUpdate) (OwnedNumber, error)
	// ReleaseNumber gives a number back. Releasing a number the provider no
	// longer has returns ENOTFOUND.
	ReleaseNumber(ctx context.Context, sid string) error
	// ListNumbers lists every number the account owns, all pages.
	ListNumbers(ctx context.Context) ([]OwnedNumber, error)
}

// CallProvider places and steers calls.
type CallProvider interface {
	// CreateCall rings req.To from req.From and plays req's instructions.
	CreateCall(ctx context.Context, req CallRequest) (CallInfo, error)
	// FetchCall returns a call's current state.
	FetchCall(ctx context.Context, sid string) (CallInfo, error)
	// UpdateCall steers a live call: dial another party into it, or hang up.
	UpdateCall(ctx context.Context, sid string, u CallUpdate) (CallInfo, error)
	// ChildCalls lists the legs a call dialed (its children), first page only.
	ChildCalls(ctx context.Context, parentSID string) ([]CallInfo, error)
}

// PricingProvider tells what things cost.
type PricingProvider interface {
	// Balance is the account's remaining balance; an error of kind
	// EBALANCEUNKNOWN when the provider does not tell it (a subaccount's).
	Balance(ctx context.Context) (Money, error)
	// NumberMonthlyPrice is the monthly price of a local number in country.
	NumberMonthlyPrice(ctx context.Context, country string) (Money, error)
	// VoiceRate is the per-minute price of an outbound call to `to` placed
	// from `from`.
	VoiceRate(ctx context.Context, to, from string) (Money, error)
}

// NumberQuery filters a search for numbers to buy. Empty fields do not filter.
type NumberQuery struct {
	Country    string // ISO 3166-1 alpha-2; required
	AreaCode   string
	Contains   string // digits (or letters) the number contains
	Region     string // state or province abbreviation, e.g. "CA"
	Locality   string
	PostalCode string
	NearNumber string // E.164
	Limit      int    // 0 for the provider's default
}

// AvailableNumber is a number the provider offers.
type AvailableNumber struct {
	PhoneNumber     string // E.164
	FriendlyName    string
	Locality        string
	Region          string
	PostalCode      string
	Country         string
	Voice           bool
	SMS             bool
	AddressRequired string // "none", "any", "local" or "foreign"
}

// BuyRequest asks for one number, by area code or exact number (one of them).
type BuyRequest struct {
	Country      string
	AreaCode     string
	PhoneNumber  string // E.164
	FriendlyName string
	// VoiceURL answers calls to the number; StatusCallback hears how
	// they end.
	VoiceURL       string
	StatusCallback string
}

// NumberUpdate changes an owned number. Nil fields are left alone.
type NumberUpdate struct {
	FriendlyName   *string
	VoiceURL       *string
	StatusCallback *string
}

// OwnedNumber is a number the account owns at the provider.
type OwnedNumber struct {
	SID          string
	PhoneNumber  string // E.164
	FriendlyName string
	VoiceURL     string
	CreatedAt    time.Time
}

// CallRequest creates a call. When the callee answers, the provider says Say,
// then either gathers one keypad digit (Gather), dials another party at once
// (Dial), or holds the line open for Hold while the program decides.
type CallRequest struct {
	To          string // E.164
	From        string // E.164, an owned number
	Say         string // spoken once the callee answers
	Gather      *Gather
	Dial        *Dial
	Hold        time.Duration // silence after Say, waiting for UpdateCall
	RingTimeout time.Duration // how long to ring before no-answer
	TimeLimit   time.Duration // the longest the call may last
	// StatusCallback receives the call's status changes, when set.
	StatusCallback string
}

// Gather collects one keypad digit and posts it to ActionURL.
type Gather struct {
	ActionURL string
	Prompt    string
	Timeout   time.Duration
}

// Dial connects another party into the call.
type Dial struct {
	To             string // E.164
	CallerID       string // E.164, an owned number
	RingTimeout    time.Duration
	StatusCallback string
	// MachineDetection asks the provider to tell a person from voicemail
	// (CallInfo.AnsweredBy).
	MachineDetection bool
}

// CallUpdate steers a live call: exactly one of Dial or Hangup.
type CallUpdate struct {
	Dial   *Dial
	Hangup bool
}

// CallInfo is a provider call (a leg) as the provider reports it.
type CallInfo struct {
	SID        string
	ParentSID  string
	To         string
	From       string
	Status     CallStatus
	Direction  string // "outbound-api" for a created call, "outbound-dial" for a dialed child
	AnsweredBy string
	StartedAt  time.Time
	EndedAt    time.Time
	Duration   time.Duration
	// Price is the leg's cost, positive; nil until the provider has priced it.
	Price *Money
}
