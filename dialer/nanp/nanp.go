// Package nanp answers, for a geographic area code of the United States or
// Canada, which country and which state, province or territory it belongs
// to, and names a few real localities (cities) it serves.
//
// Only the 50 US states, the District of Columbia and the Canadian provinces
// and territories are covered. Caribbean NANP countries, US territories
// (PR, GU, VI, AS, MP) and non-geographic codes (toll-free 8XX, personal
// 5XX, 600, 700, 900 and so on) are not in the table.
//
// The table in areacodes_gen.go is generated, not typed: internal/gen reads
// the offline geocoding data of github.com/nyaruka/phonenumbers (the Go port
// of Google's libphonenumber), at the version required by go.mod. It keeps
// the codes that phonenumbers considers valid geographic US or Canadian area
// codes, geocodes every exchange of each, and ranks the localities by the
// number of exchanges named after them. Codes the data knows only at state
// level, mostly recent overlays such as 647 or 917, take the localities of
// the codes they overlay, from a small parent table in the generator that is
// checked against the data. To regenerate after updating phonenumbers, run
// from the module root:
//
//	go generate ./dialer/nanp
//
// The data is a best guess about where a number was first assigned: area
// codes that span two provinces (902 and 782: Nova Scotia and Prince Edward
// Island; 867: Yukon, Northwest Territories and Nunavut) are filed under the
// region most of their exchanges belong to, and list only that region's
// localities, so every locality and region pair in the table is true.
//
// Lookups do not allocate and the package has no dependencies outside the
// standard library.
package nanp

//go:generate go run ./internal/gen -o areacodes_gen.go

import "strings"

// AreaCode describes one geographic area code.
//
// Values returned by this package share their Localities with the package's
// table: callers must not modify them.
type AreaCode struct {
	Code       string   // "415"
	Country    string   // ISO 3166-1 alpha-2: "US" or "CA"
	Region     string   // two-letter state/province/territory abbreviation: "CA", "NY", "ON", "DC"
	RegionName string   // "California", "Ontario"
	Localities []string // real city names in this area code, most common first, 1 to 6 of them
}

// index maps a 3-digit code, as a number, to its position in areaCodes
// plus one; zero means unknown.
var index [1000]uint16

// regionKey identifies a region within a country.
type regionKey struct{ country, region string }

// byRegion holds, for each region, its slice of area codes sorted by Code.
var byRegion map[regionKey][]AreaCode

func init() {
	byRegion = make(map[regionKey][]AreaCode)
	for i := range areaCodes {
		ac := &areaCodes[i]
		// Clip so that an append by a caller cannot write into the table.
		ac.Localities = ac.Localities[:len(ac.Localities):len(ac.Localities)]
		n, ok := parseCode(ac.Code)
		if !ok || index[n] != 0 {
			panic("nanp: bad or duplicate code in generated table: " + ac.Code)
		}
		index[n] = uint16(i + 1)
		k := regionKey{ac.Country, ac.Region}
		byRegion[k] = append(byRegion[k], *ac)
	}
}

// parseCode converts a 3-digit string to its value.
func parseCode(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Lookup returns the area code with exactly the given 3 digits ("415"), or
// false if it is not a known geographic US or Canadian area code.
func Lookup(code string) (AreaCode, bool) {
	n, ok := parseCode(code)
	if !ok {
		return AreaCode{}, false
	}
	i := index[n]
	if i == 0 {
		return AreaCode{}, false
	}
	return areaCodes[i-1], true
}

// InRegion returns all area codes of a state, province or territory, sorted
// by Code. country is "US" or "CA" and region its two-letter abbreviation
// ("CA" for California, "ON" for Ontario); both are matched without regard
// to case. The result is empty for an unknown region. The returned slice is
// the caller's own.
func InRegion(country, region string) []AreaCode {
	codes := byRegion[regionKey{strings.ToUpper(country), strings.ToUpper(region)}]
	if len(codes) == 0 {
		return nil
	}
	return append([]AreaCode(nil), codes...)
}

// All returns every area code in the table, sorted by Code. The returned
// slice is the caller's own.
func All() []AreaCode {
	return append([]AreaCode(nil), areaCodes[:]...)
}
