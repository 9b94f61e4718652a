package dialer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the country assumed for a number written without a
// leading + and country code.
const DefaultRegion = "US"

// Phone is a parsed, valid phone number.
type Phone struct {
	E164     string // "+14155550100"
	Country  string // ISO 3166-1 alpha-2, "US"
	AreaCode string // "415"; empty for numbers with no geographic area code
	Type     phonenumbers.PhoneNumberType
}

// ParsePhone reads a phone number written by a person ("(415) 555-0100",
// "+1 415 555 0100") and checks that it is a real, dialable number. A
// number without a leading + and country code is read as a US number.
func ParsePhone(raw string) (Phone, error) { return ParsePhoneIn(raw, DefaultRegion) }

// ParsePhoneIn is ParsePhone for a number that, without a leading + and
// country code, is read in country (ISO 3166-1 alpha-2, upper case: "US",
// "CA", "GB").
//
// A plain North American number (ten digits, or 1 and ten digits, with
// spaces, dashes, dots or parentheses) takes a fast path that gives the
// same answer as libphonenumber in well under a microsecond (see
// nanpfast.go); anything else is libphonenumber's to read (~100 µs).
func ParsePhoneIn(raw, country string) (Phone, error) {
	if p, err, ok := parseNANPFast(raw, country); ok {
		return p, err
	}
	return parsePhoneSlow(raw, country)
}

// parsePhoneSlow is ParsePhoneIn by libphonenumber alone.
func parsePhoneSlow(raw, country string) (Phone, error) {
	if d := phonenumbers.NormalizeDigitsOnly(raw); len(d) >= 3 && len(d) <= 6 && len(d) == len(strings.TrimSpace(raw)) {
		return Phone{}, Errorf(EINVALID, "%q is a short code, not a full phone number", raw)
	}
	n, err := phonenumbers.Parse(raw, country)
	if err != nil {
		return Phone{}, Errorf(EINVALID, "%q is not a phone number", raw)
	}
	// GetNumberType is UNKNOWN exactly when IsValidNumber is false; asking
	// once halves the cost (its pattern matching is most of a Call press's
	// own CPU time).
	t := phonenumbers.GetNumberType(n)
	if t == phonenumbers.UNKNOWN {
		return Phone{}, invalidPhone(raw)
	}
	p := Phone{
		E164:    phonenumbers.Format(n, phonenumbers.E164),
		Country: phonenumbers.GetRegionCodeForNumber(n),
		Type:    t,
	}
	if l := phonenumbers.GetLengthOfGeographicalAreaCode(n); l > 0 {
		nsn := phonenumbers.GetNationalSignificantNumber(n)
		if l <= len(nsn) {
			p.AreaCode = nsn[:l]
		}
	}
	return p, nil
}

func invalidPhone(raw string) error {
	return Errorf(EINVALID, "%q is not a valid phone number", raw)
}

// LocalCountries are the countries where local numbers are bought by area
// code: Twilio takes an area code for US and Canadian numbers only.
var LocalCountries = map[string]bool{"US": true, "CA": true}

// LocalArea says which area code a caller ID must come from to look local to
// the contact, or why none can.
func LocalArea(c Contact) (Phone, error) {
	p, err := ParsePhone(c.Phone)
	if err != nil {
		return Phone{}, Wrap(EINVALID, err, "contact "+c.Label())
	}
	if why := p.NotLocal(); why != "" {
		return p, Errorf(EINVALID, "contact %s: %s", c.Label(), why)
	}
	return p, nil
}

// NotLocal says why no local caller ID exists for p (a toll-free or
// premium number, a number outside the US and Canada, one without an area
// code), or "" when one can be bought: p is a number an agent can call.
func (p Phone) NotLocal() string {
	switch p.Type {
	case phonenumbers.TOLL_FREE:
		return fmt.Sprintf("%s is a toll-free number; no local caller ID exists for it", p.E164)
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
		phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL:
		return fmt.Sprintf("%s is a non-geographic number (%s); no local caller ID exists for it", p.E164, typeName(p.Type))
	}
	if !LocalCountries[p.Country] {
		return fmt.Sprintf("%s is in %s; local caller IDs are bought for US and Canadian numbers only", p.E164, countryName(p.Country))
	}
	if p.AreaCode == "" {
		return fmt.Sprintf("%s has no geographic area code", p.E164)
	}
	return ""
}

func typeName(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.PREMIUM_RATE:
		return "premium rate"
	case phonenumbers.SHARED_COST:
		return "shared cost"
	case phonenumbers.VOIP:
		return "VoIP"
	case phonenumbers.PERSONAL_NUMBER:
		return "personal number"
	case phonenumbers.PAGER:
		return "pager"
	case phonenumbers.UAN:
		return "universal access number"
	case phonenumbers.VOICEMAIL:
		return "voicemail access"
	}
	return "type " + strconv.Itoa(int(t))
}

func countryName(iso string) string {
	if iso == "" || iso == "ZZ" {
		return "an unknown country"
	}
	return iso
}

// areaCodeOf reads the area code of a number the provider sold us. It does
// not insist on libphonenumber's validity: a number that is already bought
// must be recorded even if the metadata has not caught up with its exchange.
func areaCodeOf(e164 string) (string, error) {
	n, err := phonenumbers.Parse(e164, DefaultRegion)
	if err != nil {
		return "", Errorf(EINVALID, "%q is not a phone number", e164)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(n)
	if n.GetCountryCode() == 1 && len(nsn) == 10 {
		return nsn[:3], nil
	}
	if l := phonenumbers.GetLengthOfGeographicalAreaCode(n); l > 0 && l <= len(nsn) {
		return nsn[:l], nil
	}
	return "", nil
}

// E164OrRaw is the parsed number, or raw when p was not parsed.
func (p Phone) E164OrRaw(raw string) string {
	if p.E164 != "" {
		return p.E164
	}
	return raw
}
