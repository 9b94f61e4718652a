package twilioemu

import (
	"math"
	"strings"

	"github.com/dialer-dev/dialer/dialer/nanp"
)

// regionCentroids are approximate geographic centres of US states, DC and
// Canadian provinces and territories. The emulator has no per-number
// coordinates: every number of a region reports its region's centre.
var regionCentroids = map[string][2]float64{
	"AL": {32.8, -86.8}, "AK": {64.2, -152.5}, "AZ": {34.3, -111.7}, "AR": {34.9, -92.4},
	"CA": {37.2, -119.4}, "CO": {39.0, -105.5}, "CT": {41.6, -72.7}, "DE": {39.0, -75.5},
	"DC": {38.9, -77.0}, "FL": {28.6, -82.4}, "GA": {32.7, -83.4}, "HI": {20.8, -156.3},
	"ID": {44.4, -114.6}, "IL": {40.0, -89.2}, "IN": {39.9, -86.3}, "IA": {42.1, -93.5},
	"KS": {38.5, -98.4}, "KY": {37.5, -85.3}, "LA": {31.1, -92.0}, "ME": {45.4, -69.2},
	"MD": {39.0, -76.8}, "MA": {42.3, -71.8}, "MI": {44.3, -85.4}, "MN": {46.3, -94.3},
	"MS": {32.7, -89.7}, "MO": {38.4, -92.5}, "MT": {47.0, -109.6}, "NE": {41.5, -99.8},
	"NV": {39.3, -116.6}, "NH": {43.7, -71.6}, "NJ": {40.2, -74.7}, "NM": {34.4, -106.1},
	"NY": {42.9, -75.5}, "NC": {35.6, -79.4}, "ND": {47.5, -100.5}, "OH": {40.3, -82.8},
	"OK": {35.6, -97.5}, "OR": {43.9, -120.6}, "PA": {40.9, -77.8}, "RI": {41.7, -71.5},
	"SC": {33.9, -80.9}, "SD": {44.4, -100.2}, "TN": {35.9, -86.4}, "TX": {31.5, -99.3},
	"UT": {39.3, -111.7}, "VT": {44.1, -72.7}, "VA": {37.5, -78.9}, "WA": {47.4, -120.5},
	"WV": {38.6, -80.6}, "WI": {44.6, -89.9}, "WY": {43.0, -107.6},
	"AB": {55.0, -115.0}, "BC": {53.7, -127.6}, "MB": {55.0, -97.0}, "NB": {46.6, -66.5},
	"NL": {53.1, -57.7}, "NS": {45.0, -63.0}, "ON": {50.0, -85.0}, "PE": {46.3, -63.3},
	"QC": {52.9, -73.5}, "SK": {55.0, -106.0}, "NT": {64.8, -124.8}, "NU": {70.3, -83.1},
	"YT": {64.3, -135.0},
}

// distanceMiles is the great-circle distance between two regions' centres,
// or +Inf when either is unknown.
func distanceMiles(a, b string) float64 {
	ca, ok1 := regionCentroids[a]
	cb, ok2 := regionCentroids[b]
	if !ok1 || !ok2 {
		return math.Inf(1)
	}
	const earthMiles = 3958.8
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dlat, dlon := rad(cb[0]-ca[0]), rad(cb[1]-ca[1])
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(rad(ca[0]))*math.Cos(rad(cb[0]))*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthMiles * math.Asin(math.Sqrt(h))
}

// areaOf returns the geographic area code of a +1 number, if nanp knows it.
func areaOf(e164 string) (nanp.AreaCode, bool) {
	if len(e164) != 12 || !strings.HasPrefix(e164, "+1") {
		return nanp.AreaCode{}, false
	}
	return nanp.Lookup(e164[2:5])
}

// countryAreaCodes lists the area codes of a country ("US", "CA").
func countryAreaCodes(country string) []nanp.AreaCode {
	var out []nanp.AreaCode
	for _, ac := range nanp.All() {
		if ac.Country == country {
			out = append(out, ac)
		}
	}
	return out
}

// keypad maps letters to phone keypad digits, for Contains patterns.
func keypad(r rune) rune {
	switch r = r | 0x20; {
	case r >= 'a' && r <= 'c':
		return '2'
	case r >= 'd' && r <= 'f':
		return '3'
	case r >= 'g' && r <= 'i':
		return '4'
	case r >= 'j' && r <= 'l':
		return '5'
	case r >= 'm' && r <= 'o':
		return '6'
	case r >= 'p' && r <= 's':
		return '7'
	case r >= 't' && r <= 'v':
		return '8'
	case r >= 'w' && r <= 'z':
		return '9'
	}
	return 0
}

// compilePattern reads a Contains pattern: digits, letters (keypad
// digits) and '*' (any digit); '+' is skipped. ok is false when the
// pattern holds anything else: then it matches no number.
func compilePattern(pattern string) (p []rune, ok bool) {
	p = make([]rune, 0, len(pattern))
	for _, r := range pattern {
		switch {
		case r >= '0' && r <= '9', r == '*':
			p = append(p, r)
		case keypad(r) != 0:
			p = append(p, keypad(r))
		case r == '+':
		default:
			return nil, false
		}
	}
	return p, true
}

// matchPattern reports whether digits (an E.164 number without "+")
// contains the compiled pattern p. An empty p matches every number.
func matchPattern(digits string, p []rune) bool {
	if len(p) == 0 {
		return true
	}
	for i := 0; i+len(p) <= len(digits); i++ {
		ok := true
		for j, r := range p {
			if r != '*' && rune(digits[i+j]) != r {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
