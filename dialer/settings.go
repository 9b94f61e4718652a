package dialer

import "time"

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
}

// DefaultSettings are the settings of a new organization.
func DefaultSettings() Settings {
	return Settings{
		ReservationFee:  MustMoney("1.00", "USD"),
		ReservationDays: 14,
		MaxNumbers:      50,
		RegionFallback:  true,
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
	}
	return nil
}
