package twilio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/dialer-dev/dialer/dialer"
)

var (
	e164Re      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	callSIDRe   = regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`)
	numberSIDRe = regexp.MustCompile(`^PN[0-9a-fA-F]{32}$`)
	countryRe   = regexp.MustCompile(`^[A-Z]{2}$`)
	areaCodeRe  = regexp.MustCompile(`^[2-9][0-9]{2}$`)
)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseTime reads Twilio's RFC 1123 dates ("Tue, 31 Aug 2010 20:36:28
// +0000") into UTC. Empty or null is the zero time.
func parseTime(p *string) (time.Time, error) {
	s := strings.TrimSpace(str(p))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

// parseSeconds reads a duration sent as a string of whole seconds.
func parseSeconds(p *string) (time.Duration, error) {
	s := strings.TrimSpace(str(p))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("unreadable duration %q", s)
	}
	return time.Duration(n) * time.Second, nil
}

// legPrice reads a call's price. Twilio sends costs negative
// ("-0.02800"); CallInfo.Price is the positive cost. Nil until priced.
func legPrice(price, unit *string) (*dialer.Money, error) {
	s := strings.TrimSpace(str(price))
	if s == "" {
		return nil, nil
	}
	cur := str(unit)
	if cur == "" {
		cur = "USD"
	}
	m, err := dialer.ParseMoney(s, cur)
	if err != nil {
		return nil, err
	}
	if m.Amount < 0 {
		m.Amount = -m.Amount
	}
	return &m, nil
}

func callInfo(c *openapi.ApiV2010Call) (dialer.CallInfo, error) {
	if c == nil {
		return dialer.CallInfo{}, fmt.Errorf("empty call resource")
	}
	info := dialer.CallInfo{
		SID:        str(c.Sid),
		ParentSID:  str(c.ParentCallSid),
		To:         str(c.To),
		From:       str(c.From),
		Status:     dialer.CallStatus(str(c.Status)),
		Direction:  str(c.Direction),
		AnsweredBy: str(c.AnsweredBy),
	}
	var err error
	if info.StartedAt, err = parseTime(c.StartTime); err != nil {
		return info, fmt.Errorf("call %s start_time: %w", info.SID, err)
	}
	if info.EndedAt, err = parseTime(c.EndTime); err != nil {
		return info, fmt.Errorf("call %s end_time: %w", info.SID, err)
	}
	if info.Duration, err = parseSeconds(c.Duration); err != nil {
		return info, fmt.Errorf("call %s duration: %w", info.SID, err)
	}
	if info.Price, err = legPrice(c.Price, c.PriceUnit); err != nil {
		return info, fmt.Errorf("call %s price: %w", info.SID, err)
	}
	return info, nil
}

func ownedNumber(n *openapi.ApiV2010IncomingPhoneNumber) (dialer.OwnedNumber, error) {
	if n == nil {
		return dialer.OwnedNumber{}, fmt.Errorf("empty number resource")
	}
	o := dialer.OwnedNumber{
		SID:          str(n.Sid),
		PhoneNumber:  str(n.PhoneNumber),
		FriendlyName: str(n.FriendlyName),
		VoiceURL:     str(n.VoiceUrl),
	}
	var err error
	if o.CreatedAt, err = parseTime(n.DateCreated); err != nil {
		return o, fmt.Errorf("number %s date_created: %w", o.SID, err)
	}
	return o, nil
}

func availableNumber(n openapi.ApiV2010AvailablePhoneNumberLocal) dialer.AvailableNumber {
	a := dialer.AvailableNumber{
		PhoneNumber:     str(n.PhoneNumber),
		FriendlyName:    str(n.FriendlyName),
		Locality:        str(n.Locality),
		Region:          str(n.Region),
		PostalCode:      str(n.PostalCode),
		Country:         str(n.IsoCountry),
		AddressRequired: str(n.AddressRequirements),
	}
	if n.Capabilities != nil {
		a.Voice, a.SMS = n.Capabilities.Voice, n.Capabilities.Sms
	}
	return a
}

// decimal is a price as Twilio sends it: a JSON string ("0.013"), a JSON
// number (0.013, read from its literal text, never through a float) or
// null. twilio-go reads these into float32 and fails on null.
type decimal struct {
	Value string
	Valid bool
}

func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*d = decimal{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		*d = decimal{Value: s, Valid: s != ""}
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("price %s: want a decimal string or number", b)
	}
	*d = decimal{Value: n.String(), Valid: true}
	return nil
}
