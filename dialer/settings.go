package dialer

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
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
	// NumberDailyCap is the most calls one number should place in a day
	// (0: no cap); a number past it is marked at risk (its reputation with
	// the carriers' spam filters suffers).
	NumberDailyCap int

	// InboundFallback is the phone (E.164) an inbound call rings when no
	// agent is known for it: a supervisor's. Empty: InboundMessage is
	// spoken and the call hangs up.
	InboundFallback string
	// InboundMessage is spoken to a caller nobody answers.
	InboundMessage string
	// WebhookURL is the public base URL of the team's `dialer serve`
	// (empty: none). Numbers point their voice URL there, and keypad
	// confirmation uses it.
	WebhookURL string
	// RotateAtRisk replaces an at-risk on-demand number (NumberUsage.AtRisk)
	// when the next call in its area code would use it: a fresh number is
	// bought for the area code (its reservation fee charged once) and the
	// worn one goes canceling. Assigned numbers are never rotated.
	RotateAtRisk bool
}

// DefaultInboundMessage is spoken to a caller nobody answers.
const DefaultInboundMessage = "Thank you for calling. Nobody can take your call right now; we will call you back."

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
		InboundMessage:  DefaultInboundMessage,
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
	case s.NumberDailyCap < 0:
		return Errorf(EINVALID, "number daily cap %d is negative; 0 means no cap", s.NumberDailyCap)
	case s.AttemptLimit < 0:
		return Errorf(EINVALID, "attempt limit %d is negative; 0 means no limit", s.AttemptLimit)
	case strings.TrimSpace(s.InboundMessage) == "":
		return Errorf(EINVALID, "the inbound message is empty: callers nobody answers would hear nothing")
	case len([]rune(s.InboundMessage)) > MaxInboundMessage:
		return Errorf(EINVALID, "the inbound message is %d characters; at most %d", len([]rune(s.InboundMessage)), MaxInboundMessage)
	}
	if s.InboundFallback != "" {
		if _, err := ParsePhone(s.InboundFallback); err != nil {
			return Errorf(EINVALID, "inbound fallback %q is not a phone number: %s", s.InboundFallback, ErrorMessage(err))
		}
	}
	if s.WebhookURL != "" {
		if err := CheckWebhookURL(s.WebhookURL); err != nil {
			return err
		}
	}
	if _, err := ParseConfirmMode(string(s.Confirm)); err != nil {
		return err
	}
	return nil
}

// SettingField is one setting as stores keep it and `dialer settings`
// shows and sets it: its key, its value as a string, and how that string
// is read back (an error if it cannot be).
type SettingField struct {
	Key  string
	Help string // what it is, for people
	Get  func(Settings) string
	set  func(*Settings, string) error
	want string // what a value looks like, for an error
}

// SettingFields are the settings, in the order they are saved and listed.
var SettingFields = []SettingField{
	{
		Key:  "reservation_fee",
		want: "an amount such as 1.00",
		Help: "the fee charged once for each newly reserved number",
		Get:  func(s Settings) string { return s.ReservationFee.Amount.String() },
		set: func(s *Settings, v string) (err error) {
			s.ReservationFee.Amount, err = ParseAmount(v)
			return err
		},
	},
	{
		Key:  "reservation_fee_currency",
		want: "a currency code such as USD",
		Help: "the fee's currency (ISO 4217)",
		Get:  func(s Settings) string { return s.ReservationFee.Currency },
		set: func(s *Settings, v string) error {
			s.ReservationFee.Currency = v
			return nil
		},
	},
	{
		Key:  "reservation_days",
		want: "a whole number of days",
		Help: "days an on-demand number stays reserved after its last call (1-365)",
		Get:  func(s Settings) string { return strconv.Itoa(s.ReservationDays) },
		set: func(s *Settings, v string) (err error) {
			s.ReservationDays, err = strconv.Atoi(v)
			return err
		},
	},
	{
		Key:  "max_numbers",
		want: "a whole number",
		Help: "the organization's maximum count of live numbers",
		Get:  func(s Settings) string { return strconv.Itoa(s.MaxNumbers) },
		set: func(s *Settings, v string) (err error) {
			s.MaxNumbers, err = strconv.Atoi(v)
			return err
		},
	},
	{
		Key:  "region_fallback",
		want: "true or false",
		Help: "buy elsewhere in the state or province when the area code has no number (true/false)",
		Get:  func(s Settings) string { return strconv.FormatBool(s.RegionFallback) },
		set: func(s *Settings, v string) (err error) {
			s.RegionFallback, err = strconv.ParseBool(v)
			return err
		},
	},
	{
		Key:  "calling_hours",
		want: "HH:MM-HH:MM",
		Help: "when contacts may be called, in their local time (HH:MM-HH:MM)",
		Get:  func(s Settings) string { return s.CallingHours.String() },
		set: func(s *Settings, v string) (err error) {
			s.CallingHours, err = ParseCallingHours(v)
			return err
		},
	},
	{
		Key:  "confirm",
		want: "terminal, auto or keypad",
		Help: "how the agent confirms dialing the contact: terminal, auto or keypad",
		Get:  func(s Settings) string { return string(s.Confirm) },
		set: func(s *Settings, v string) (err error) {
			s.Confirm, err = ParseConfirmMode(v)
			return err
		},
	},
	{
		Key:  "daily_call_cap",
		want: "a whole number",
		Help: "the most bridged calls a day (0: no cap)",
		Get:  func(s Settings) string { return strconv.Itoa(s.DailyCallCap) },
		set: func(s *Settings, v string) (err error) {
			s.DailyCallCap, err = strconv.Atoi(v)
			return err
		},
	},
	{
		Key:  "balance_grace",
		want: "a duration such as 30s or 2m",
		Help: "how long a call goes on once the balance is negative (a duration: 30s, 2m)",
		Get:  func(s Settings) string { return s.BalanceGrace.String() },
		set: func(s *Settings, v string) (err error) {
			s.BalanceGrace, err = time.ParseDuration(v)
			return err
		},
	},
	{
		// A database saved before the setting existed has no row: it
		// reads as the default. A saved 0 (no limit) stays 0.
		Key:  "attempt_limit",
		want: "a whole number",
		Help: "the most calls a session places to one contact, ever (0: no limit)",
		Get:  func(s Settings) string { return strconv.Itoa(s.AttemptLimit) },
		set: func(s *Settings, v string) (err error) {
			s.AttemptLimit, err = strconv.Atoi(v)
			return err
		},
	},
	{
		// A database saved before the setting existed reads as the default.
		Key:  "number_daily_cap",
		want: "a whole number",
		Help: "the most calls one number should place a day before it is marked at risk (0: no cap)",
		Get:  func(s Settings) string { return strconv.Itoa(s.NumberDailyCap) },
		set: func(s *Settings, v string) (err error) {
			s.NumberDailyCap, err = strconv.Atoi(v)
			return err
		},
	},
	{
		Key:  "inbound_fallback",
		want: `a phone number, or "message"`,
		Help: `who an inbound call rings when no agent is known for it: a phone number (a supervisor's), or "message" to say the inbound message and hang up`,
		Get: func(s Settings) string {
			if s.InboundFallback == "" {
				return "message"
			}
			return s.InboundFallback
		},
		set: func(s *Settings, v string) error {
			if v == "" || strings.EqualFold(v, "message") {
				s.InboundFallback = ""
				return nil
			}
			p, err := ParsePhone(v)
			if err != nil {
				return errors.New("not a phone number") // said as the field's want
			}
			s.InboundFallback = p.E164
			return nil
		},
	},
	{
		Key:  "inbound_message",
		want: "a sentence",
		Help: "what a caller nobody answers hears before the call hangs up",
		Get:  func(s Settings) string { return s.InboundMessage },
		set: func(s *Settings, v string) error {
			s.InboundMessage = v
			return nil
		},
	},
	{
		Key:  "webhook_url",
		want: "an https:// URL, or none",
		Help: "the public URL of the team's `dialer serve` (set by it): numbers send their calls there",
		Get:  func(s Settings) string { return s.WebhookURL },
		set: func(s *Settings, v string) error {
			if strings.EqualFold(v, "none") {
				v = ""
			}
			if v != "" {
				if err := CheckWebhookURL(v); err != nil {
					return err
				}
			}
			s.WebhookURL = strings.TrimRight(v, "/")
			return nil
		},
	},
	{
		// A database saved before the setting existed reads as off.
		Key:  "rotate_at_risk",
		want: "on or off",
		Help: "replace an at-risk on-demand number on the next call in its area code: buy a fresh one (its fee), cancel the worn one (on/off)",
		Get:  func(s Settings) string { return OnOff(s.RotateAtRisk) },
		set: func(s *Settings, v string) error {
			on, ok := parseOnOff(v)
			if !ok {
				return strconv.ErrSyntax // Set says what was wrong
			}
			s.RotateAtRisk = on
			return nil
		},
	},
}

// MaxInboundMessage is the longest inbound message, in characters.
const MaxInboundMessage = 300

// CheckWebhookURL says what is wrong with a public webhook base URL: it
// must be absolute http or https, without credentials, query or fragment.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return Errorf(EINVALID, "webhook URL %q cannot be read: %s", raw, err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return Errorf(EINVALID, "webhook URL %q: want an absolute https:// URL", raw)
	case u.User != nil:
		return Errorf(EINVALID, "webhook URL must not hold a user name or password")
	case u.RawQuery != "" || u.Fragment != "":
		return Errorf(EINVALID, "webhook URL %q: want no query or fragment", raw)
	}
	return nil
}

// OnOff is a switch setting's value as `dialer settings` shows it.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// parseOnOff reads a switch setting: on or off (also true/false, yes/no,
// 1/0, in any case).
func parseOnOff(v string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// Get is the setting key's value as a string; ENOTFOUND for a key there is
// no such setting.
func (s Settings) Get(key string) (string, error) {
	for _, f := range SettingFields {
		if f.Key == key {
			return f.Get(s), nil
		}
	}
	return "", unknownSetting(key)
}

// Set reads value into setting key (not validating the whole: Validate
// does); ENOTFOUND for a key there is no such setting, EINVALID for a
// value that cannot be read.
func (s *Settings) Set(key, value string) error {
	for _, f := range SettingFields {
		if f.Key != key {
			continue
		}
		if err := f.set(s, strings.TrimSpace(value)); err != nil {
			if ErrorKind(err) == EINVALID {
				return err
			}
			return Errorf(EINVALID, "%s %q: want %s", key, value, f.want)
		}
		return nil
	}
	return unknownSetting(key)
}

func unknownSetting(key string) error {
	keys := make([]string, len(SettingFields))
	for i, f := range SettingFields {
		keys[i] = f.Key
	}
	return Errorf(ENOTFOUND, "there is no setting %q; the settings are %s", key, strings.Join(keys, ", "))
}
