package dialer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is an exact decimal quantity of money in millionths of the currency
// unit. Six places hold every price and per-minute rate Twilio publishes
// (prices come with five). It marshals to and from a decimal string, never a
// float.
type Amount int64

// AmountScale is the number of Amount units in one currency unit.
const AmountScale = 1_000_000

const amountPlaces = 6

// ParseAmount reads a decimal string such as "1.00", "-0.01300" or "12".
// More than six significant decimal places is an error, never a rounding.
func ParseAmount(s string) (Amount, error) {
	orig := s
	bad := func(why string) (Amount, error) {
		return 0, Errorf(EINVALID, "amount %q: %s", orig, why)
	}
	s = strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return bad("no digits")
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > amountPlaces {
		return bad("more than six decimal places")
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return bad("not a decimal number")
			}
		}
	}
	var w uint64
	if whole != "" {
		var err error
		w, err = strconv.ParseUint(whole, 10, 63)
		if err != nil || w > math.MaxInt64/AmountScale {
			return bad("too large")
		}
	}
	var f uint64
	if frac != "" {
		f, _ = strconv.ParseUint(frac+strings.Repeat("0", amountPlaces-len(frac)), 10, 63)
	}
	v := int64(w)*AmountScale + int64(f)
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// MustAmount is ParseAmount for constants; it panics on a bad literal.
func MustAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

// String formats with at least two decimal places and no trailing zeros
// beyond them: 1 -> "1.00", 0.013 -> "0.013".
func (a Amount) String() string {
	v := int64(a)
	sign := ""
	if v < 0 {
		sign = "-"
	}
	u := uint64(v)
	if v < 0 {
		u = uint64(-v)
	}
	frac := fmt.Sprintf("%06d", u%AmountScale)
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return sign + strconv.FormatUint(u/AmountScale, 10) + "." + frac
}

// MarshalText makes Amount a JSON string.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads a decimal string.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Money is an Amount in a currency (ISO 4217 code, upper case).
type Money struct {
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
}

// ParseMoney reads an amount and a currency code.
func ParseMoney(amount, currency string) (Money, error) {
	a, err := ParseAmount(amount)
	if err != nil {
		return Money{}, err
	}
	cur := strings.ToUpper(strings.TrimSpace(currency))
	if len(cur) != 3 {
		return Money{}, Errorf(EINVALID, "currency %q: want a three-letter code such as USD", currency)
	}
	return Money{Amount: a, Currency: cur}, nil
}

// MustMoney is ParseMoney for constants; it panics on a bad literal.
func MustMoney(amount, currency string) Money {
	m, err := ParseMoney(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// IsZero reports whether m holds no amount.
func (m Money) IsZero() bool { return m.Amount == 0 }

// Add returns m+o. Adding different currencies is an error.
func (m Money) Add(o Money) (Money, error) {
	switch {
	case o.Currency == "" && o.Amount == 0:
		return m, nil
	case m.Currency == "" && m.Amount == 0:
		return o, nil
	case m.Currency != o.Currency:
		return Money{}, Errorf(EINVALID, "cannot add %s to %s", o.Currency, m.Currency)
	}
	s := m.Amount + o.Amount
	if (o.Amount > 0 && s < m.Amount) || (o.Amount < 0 && s > m.Amount) {
		return Money{}, Errorf(EINVALID, "sum of %s and %s overflows", m, o)
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// String formats as "1.00 USD".
func (m Money) String() string {
	if m.Currency == "" {
		return m.Amount.String()
	}
	return m.Amount.String() + " " + m.Currency
}

// StringOr formats m, or says none when there is no amount yet (a price
// the provider has not set, a rate not looked up).
func (m *Money) StringOr(none string) string {
	if m == nil {
		return none
	}
	return m.String()
}
