package dialer

import (
	"fmt"
	"time"
)

// Settings are the organization's policies. They live in the store so that
// every agent sharing it sees the same ones.
type Settings struct {
	// ReservationFee is charged once for each newly reserved number.
	ReservationFee Money
	// ReservationDays is how long an on-demand number stays reserved after
	// its last call.
	ReservationDays int
	// MaxNumbers is the organization's maximum count of numbers that are
	// pending, active, past due or canceling.
	MaxNumbers int
	// RegionFallback buys a number elsewhere in the contact's state or
	// province when the area code has none.
	RegionFallback bool

	// CallingHours is when contacts may be called, in their local time.
	CallingHours CallingHours
	// Confirm is how the agent confirms dialing the contact.
	Confirm ConfirmMode
	// DailyCallCap is the most bridged calls a day (0: no cap).
	DailyCallCap int
	// BalanceGrace is how long a call goes on after the account balance
	// turns negative before the program ends it.
	BalanceGrace time.Duration
	// AttemptLimit is the most calls a power-dial session places to one
	// contact, counting every call ever placed to it (0: no limit).
	AttemptLimit int
}

// CallingHours is a daily window in the callee's local time, in minutes
// after midnight: [Start, End).
type CallingHours struct {
	Start, End int
}

// String formats as "08:00-21:00".
func (h CallingHours) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.Start/60, h.Start%60, h.End/60, h.End%60)
}

// ParseCallingHours reads "08:00-21:00".
func ParseCallingHours(s string) (CallingHours, error) {
	var a, b, c, d int
	if n, err := fmt.Sscanf(s, "%d:%d-%d:%d", &a, &b, &c, &d); err != nil || n != 4 {
		return CallingHours{}, Errorf(EINVALID, "calling hours %q: want HH:MM-HH:MM, such as 08:00-21:00", s)
	}
	h := CallingHours{Start: a*60 + b, End: c*60 + d}
	if a > 23 || c > 24 || b > 59 || d > 59 || h.End > 24*60 || h.Start >= h.End {
		return CallingHours{}, Errorf(EINVALID, "calling hours %q: the start must come before the end, within one day", s)
	}
	return h, nil
}

// Contains reports whether local wall-clock time t is inside the window.
func (h CallingHours) Contains(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	return m >= h.Start && m < h.End
}

// ConfirmMode is how the agent confirms that the contact may be dialed.
type ConfirmMode string

const (
	// ConfirmTerminal: the agent confirms in the program once the agent's
	// phone is answered. Works without a public URL.
	ConfirmTerminal ConfirmMode = "terminal"
	// ConfirmAuto: the contact is dialed as soon as the agent answers.
	ConfirmAuto ConfirmMode = "auto"
	// ConfirmKeypad: any key on the agent's phone; needs a public webhook URL.
	ConfirmKeypad ConfirmMode = "keypad"
)

// ParseConfirmMode checks a mode's name.
func ParseConfirmMode(s string) (ConfirmMode, error) {
	switch m := ConfirmMode(s); m {
	case ConfirmTerminal, ConfirmAuto, ConfirmKeypad:
		return m, nil
	}
	return "", Errorf(EINVALID, "confirmation mode %q: want terminal, auto or keypad", s)
}

// DefaultSettings are the settings of a new organization.
func DefaultSettings() Settings {
	return Settings{
		ReservationFee:  MustMoney("1.00", "USD"),
		ReservationDays: 14,
		MaxNumbers:      50,
		RegionFallback:  true,
		CallingHours:    CallingHours{Start: 8 * 60, End: 21 * 60},
		Confirm:         ConfirmTerminal,
		DailyCallCap:    300,
		BalanceGrace:    30 * time.Second,
		AttemptLimit:    5,
	}
}

// Reservation is how long a reservation made now lasts.
func (s Settings) Reservation() time.Duration {
	return time.Duration(s.ReservationDays) * 24 * time.Hour
}

// Validate checks the settings for values that cannot work.
func (s Settings) Validate() error {
	switch {
	case s.ReservationFee.Amount < 0:
		return Errorf(EINVALID, "reservation fee %s is negative", s.ReservationFee)
	case s.ReservationFee.Currency == "":
		return Errorf(EINVALID, "reservation fee has no currency")
	case s.ReservationDays < 1 || s.ReservationDays > 365:
		return Errorf(EINVALID, "reservation days %d: want 1 to 365", s.ReservationDays)
	case s.MaxNumbers < 0:
		return Errorf(EINVALID, "organization maximum %d is negative", s.MaxNumbers)
	case s.CallingHours.Start < 0 || s.CallingHours.Start >= s.CallingHours.End || s.CallingHours.End > 24*60:
		return Errorf(EINVALID, "calling hours %s: the start must come before the end, within one day", s.CallingHours)
	case s.DailyCallCap < 0:
		return Errorf(EINVALID, "daily call cap %d is negative", s.DailyCallCap)
	case s.BalanceGrace < 0:
		return Errorf(EINVALID, "balance grace %s is negative", s.BalanceGrace)
	case s.AttemptLimit < 0:
		return Errorf(EINVALID, "attempt limit %d is negative; 0 means no limit", s.AttemptLimit)
	}
	if _, err := ParseConfirmMode(string(s.Confirm)); err != nil {
		return err
	}
	return nil
}
