// Command gen writes ../../areacodes_gen.go, the static area code table of
// package nanp, from the offline geocoding data embedded in
// github.com/nyaruka/phonenumbers (a port of Google's libphonenumber).
//
// Run it through `go generate ./dialer/nanp` from the module root. The output
// depends only on the phonenumbers version in go.mod, so running it twice
// gives the same file.
//
// How the table is built:
//
//  1. Every NPA 201..989 is probed with numbers +1 NPA NXX 0100 for every
//     exchange NXX 200..999. The NPA is kept when some probe is a valid
//     number of region US or CA, of a geographic type (fixed line, mobile or
//     either), with a geographic area code of 3 digits; only exchanges that
//     pass the same test are geocoded. Toll-free, personal,
//     premium, Caribbean and US-territory codes drop out here.
//  2. Each valid probe is geocoded in English. A "City, ST" answer (now and
//     then "Street, City, ST", read as the city) counts one exchange for that
//     city and one vote for state ST; a bare state or province name
//     ("California", "Washington State") counts one vote for that region.
//     Names covering several regions ("Nova Scotia/Prince Edward Island")
//     cast no vote. Exchanges missing from the data fall back to the area
//     code's own entry, usually the state name, so they vote for it.
//  3. The region is the one with most votes. Localities are the cities of
//     that region (only), most exchanges first, ties by name, at most 6.
//  4. About a quarter of the codes, mostly overlays added after the city
//     data was compiled (647, 917, 628...), are known to the data only at
//     state level. The overlays table below names their parent codes; such a
//     code takes its parents' cities, re-ranked, after the generator checks
//     that the parents lie in the same region. DC, a region that is one city,
//     gets "Washington". A code left with no locality is left out, with a
//     warning. The corrections table does the same for codes whose city
//     data is known to be wrong (934).
//
// Any geocoding answer it does not understand, and any overlay entry that
// contradicts the data, stops the generator, so that a data update cannot
// silently produce a wrong table.
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"go/format"
	"log"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

const (
	maxLocalities      = 6
	phonenumbersModule = "github.com/nyaruka/phonenumbers"
)

type region struct {
	country string // "US" or "CA"
	abbr    string // "CA", "ON"
	name    string // "California", "Ontario"
}

// regions lists the 50 US states, DC and the Canadian provinces and
// territories. Nothing else may appear in the table.
var regions = []region{
	{"US", "AL", "Alabama"},
	{"US", "AK", "Alaska"},
	{"US", "AZ", "Arizona"},
	{"US", "AR", "Arkansas"},
	{"US", "CA", "California"},
	{"US", "CO", "Colorado"},
	{"US", "CT", "Connecticut"},
	{"US", "DE", "Delaware"},
	{"US", "DC", "District of Columbia"},
	{"US", "FL", "Florida"},
	{"US", "GA", "Georgia"},
	{"US", "HI", "Hawaii"},
	{"US", "ID", "Idaho"},
	{"US", "IL", "Illinois"},
	{"US", "IN", "Indiana"},
	{"US", "IA", "Iowa"},
	{"US", "KS", "Kansas"},
	{"US", "KY", "Kentucky"},
	{"US", "LA", "Louisiana"},
	{"US", "ME", "Maine"},
	{"US", "MD", "Maryland"},
	{"US", "MA", "Massachusetts"},
	{"US", "MI", "Michigan"},
	{"US", "MN", "Minnesota"},
	{"US", "MS", "Mississippi"},
	{"US", "MO", "Missouri"},
	{"US", "MT", "Montana"},
	{"US", "NE", "Nebraska"},
	{"US", "NV", "Nevada"},
	{"US", "NH", "New Hampshire"},
	{"US", "NJ", "New Jersey"},
	{"US", "NM", "New Mexico"},
	{"US", "NY", "New York"},
	{"US", "NC", "North Carolina"},
	{"US", "ND", "North Dakota"},
	{"US", "OH", "Ohio"},
	{"US", "OK", "Oklahoma"},
	{"US", "OR", "Oregon"},
	{"US", "PA", "Pennsylvania"},
	{"US", "RI", "Rhode Island"},
	{"US", "SC", "South Carolina"},
	{"US", "SD", "South Dakota"},
	{"US", "TN", "Tennessee"},
	{"US", "TX", "Texas"},
	{"US", "UT", "Utah"},
	{"US", "VT", "Vermont"},
	{"US", "VA", "Virginia"},
	{"US", "WA", "Washington"},
	{"US", "WV", "West Virginia"},
	{"US", "WI", "Wisconsin"},
	{"US", "WY", "Wyoming"},
	{"CA", "AB", "Alberta"},
	{"CA", "BC", "British Columbia"},
	{"CA", "MB", "Manitoba"},
	{"CA", "NB", "New Brunswick"},
	{"CA", "NL", "Newfoundland and Labrador"},
	{"CA", "NS", "Nova Scotia"},
	{"CA", "NT", "Northwest Territories"},
	{"CA", "NU", "Nunavut"},
	{"CA", "ON", "Ontario"},
	{"CA", "PE", "Prince Edward Island"},
	{"CA", "QC", "Quebec"},
	{"CA", "SK", "Saskatchewan"},
	{"CA", "YT", "Yukon"},
}

// aliases maps the spellings of region names found in the geocoding data
// that differ from the names above.
var aliases = map[string]string{
	"Washington State": "WA",
	"Washington D.C.":  "DC",
	"British Colombia": "BC", // sic, in libphonenumber's data
}

// knownCities gives the region of the few localities that the data names
// without a ", ST" suffix.
var knownCities = map[string]string{
	"Watson Lake": "YT",
}

type gen struct {
	byAbbr map[string]region // "CA" -> California; US and CA abbreviations do not collide
	byName map[string]string // "California" -> "CA", aliases included
}

func newGen() *gen {
	g := &gen{byAbbr: map[string]region{}, byName: map[string]string{}}
	for _, r := range regions {
		if _, dup := g.byAbbr[r.abbr]; dup {
			log.Fatalf("duplicate region abbreviation %s", r.abbr)
		}
		g.byAbbr[r.abbr] = r
		g.byName[r.name] = r.abbr
	}
	for name, abbr := range aliases {
		g.byName[name] = abbr
	}
	return g
}

// overlays names, for each area code that libphonenumber's data knows only
// at state level (mostly overlays added since its city data was compiled),
// the older area codes covering the same ground. This is the one piece of
// knowledge the generator cannot take from the data; the data still decides
// every region and every locality: an overlay gets the cities of its parents
// in its own region, ranked by their summed exchange counts. The generator
// fails if a parent lies in another region, has no city data, or if an
// entry names a code that is not geographic.
var overlays = map[string][]string{
	"220": {"740"}, "223": {"717"}, "227": {"301", "240"}, "235": {"573"},
	"236": {"604", "250"}, "249": {"705"}, "257": {"604", "250"}, "272": {"570"},
	"274": {"920"}, "279": {"916"}, "283": {"513"}, "324": {"904"},
	"326": {"937"}, "327": {"870"}, "329": {"845"}, "331": {"630"},
	"339": {"781"}, "341": {"510"}, "343": {"613"}, "346": {"713", "281", "832"},
	"350": {"209"}, "351": {"978"}, "353": {"608"}, "354": {"450"},
	"363": {"516"}, "364": {"270"}, "365": {"905", "289"}, "367": {"418"},
	"368": {"403", "780"}, "369": {"707"}, "380": {"614"}, "382": {"519", "226"},
	"385": {"801"}, "424": {"310"}, "428": {"506"}, "430": {"903"},
	"431": {"204"}, "442": {"760"}, "447": {"217"}, "448": {"850"},
	"458": {"541"}, "463": {"317"}, "464": {"708"}, "468": {"819"},
	"470": {"404", "678", "770"}, "472": {"910"}, "474": {"306"}, "475": {"203"},
	"531": {"402"}, "534": {"715"}, "539": {"918"}, "548": {"519", "226"},
	"551": {"201"}, "557": {"314"}, "564": {"360"}, "567": {"419"},
	"572": {"405"}, "579": {"450"}, "581": {"418"}, "582": {"814"},
	"584": {"204"}, "587": {"403", "780"}, "628": {"415"}, "629": {"615"},
	"639": {"306"}, "640": {"609"}, "645": {"305", "786"}, "647": {"416"},
	"656": {"813"}, "657": {"714"}, "667": {"410", "443"}, "669": {"408"},
	"672": {"604", "250"}, "680": {"315"}, "681": {"304"}, "683": {"705"},
	"686": {"804"}, "689": {"407", "321"}, "725": {"702"}, "730": {"618"},
	"737": {"512"}, "738": {"213", "323"}, "742": {"905", "289"}, "743": {"336"},
	"747": {"818"}, "748": {"970"}, "753": {"613"}, "754": {"954"},
	"762": {"706"}, "771": {"202"}, "782": {"902"}, "820": {"805"},
	"821": {"864"}, "825": {"403", "780"}, "826": {"540"}, "835": {"610", "484"},
	"838": {"518"}, "839": {"803"}, "840": {"909"}, "848": {"732"},
	"854": {"843"}, "873": {"819"}, "878": {"412", "724"}, "879": {"709"},
	"917": {"212", "718"}, "929": {"718", "347"}, "930": {"812"}, "938": {"256"},
	"943": {"404", "678", "770"}, "945": {"214", "469", "972"}, "947": {"248"}, "948": {"757"},
	"959": {"860"}, "975": {"816"}, "983": {"303", "720"}, "984": {"919"},
	"986": {"208"},
}

// corrections lists area codes whose city data in libphonenumber is known to
// be wrong; they are treated as overlays of the codes given, ignoring their
// own city data. The same checks as for overlays apply.
var corrections = map[string][]string{
	// The data maps all of 934 to "New York, NY"; it is the 2017 overlay
	// of 631 in Suffolk County, Long Island.
	"934": {"631"},
}

// regionCities gives the locality of a region that is a single city, for
// its area codes that the data knows only at region level.
var regionCities = map[string]string{
	"DC": "Washington",
}

// raw is what the data says about one valid area code.
type raw struct {
	code       string
	votes      map[string]int  // region abbreviation -> exchanges
	candidates map[string]bool // every region named, voting or not
	cities     map[string]int  // "City\x00ST" -> exchanges
}

// best returns the region with most votes, ties to the smaller
// abbreviation, or "" if no exchange voted.
func (r *raw) best() string {
	best := ""
	for st, n := range r.votes {
		if best == "" || n > r.votes[best] || n == r.votes[best] && st < best {
			best = st
		}
	}
	return best
}

// probe parses +1 npa nxx 0100 and reports whether it is a valid number of
// the US or Canada of a geographic type. (GetNumberType answers UNKNOWN for
// a number that is not valid in its region, so it checks validity too.)
func probe(npa, nxx int) (*phonenumbers.PhoneNumber, bool) {
	num, err := phonenumbers.Parse(fmt.Sprintf("+1%03d%03d0100", npa, nxx), "US")
	if err != nil {
		return nil, false
	}
	switch phonenumbers.GetRegionCodeForNumber(num) {
	case "US", "CA":
	default:
		return nil, false
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		return nil, false
	}
	return num, true
}

// survey geocodes every exchange of npa, or reports false when npa is not a
// geographic US or Canadian area code.
func (g *gen) survey(npa int) (*raw, bool) {
	r := &raw{
		code:       fmt.Sprintf("%03d", npa),
		votes:      map[string]int{},
		candidates: map[string]bool{},
		cities:     map[string]int{},
	}
	// Screen first: an NPA with no valid number among every tenth exchange
	// is not geographic. This skips most of the work for the ~370 unused
	// or non-geographic NPAs, whose probes are the slowest to reject.
	screened, nxx0 := false, 0
	for nxx := 203; nxx <= 999 && !screened; nxx += 10 {
		_, screened = probe(npa, nxx)
		nxx0 = nxx
	}
	if !screened {
		return nil, false
	}
	// The area code is a property of the NPA: check it once.
	first, _ := probe(npa, nxx0)
	if !phonenumbers.IsValidNumber(first) || phonenumbers.GetLengthOfGeographicalAreaCode(first) != 3 {
		return nil, false
	}
	valid := 0
	for nxx := 200; nxx <= 999; nxx++ {
		if nxx%100 == 11 || nxx == 555 { // N11 service codes, 555 directory/fiction
			continue
		}
		num, ok := probe(npa, nxx)
		if !ok {
			continue
		}
		valid++
		geo, err := phonenumbers.GetGeocodingForNumber(num, "en")
		if err != nil {
			log.Fatalf("geocoding %d-%d: %v", npa, nxx, err)
		}
		geo = strings.TrimSpace(geo)
		if parts := strings.Split(geo, ", "); len(parts) > 1 {
			// "City, ST", or now and then "Street, City, ST": keep the city.
			city, st := parts[len(parts)-2], parts[len(parts)-1]
			if _, known := g.byAbbr[st]; !known || city == "" {
				log.Fatalf("%d-%d: unexpected geocoding %q", npa, nxx, geo)
			}
			r.votes[st]++
			r.candidates[st] = true
			r.cities[city+"\x00"+st]++
			continue
		}
		if st, ok := knownCities[geo]; ok {
			r.votes[st]++
			r.candidates[st] = true
			r.cities[geo+"\x00"+st]++
			continue
		}
		if st, ok := g.byName[geo]; ok {
			r.votes[st]++
			r.candidates[st] = true
			continue
		}
		// Names such as "Nova Scotia/Prince Edward Island" cover several
		// regions: they must all be known, but they cast no vote.
		for part := range strings.SplitSeq(geo, "/") {
			st, ok := g.byName[part]
			if !ok {
				log.Fatalf("%d-%d: unknown region %q in geocoding %q", npa, nxx, part, geo)
			}
			r.candidates[st] = true
		}
	}
	return r, valid > 0
}

type areaCode struct {
	code       string
	region     region
	localities []string
}

// rank returns the cities of region st in tallies, most exchanges first,
// ties by name, at most maxLocalities.
func rank(st string, tallies ...map[string]int) []string {
	sum := map[string]int{}
	for _, t := range tallies {
		for key, n := range t {
			if city, cst, _ := strings.Cut(key, "\x00"); cst == st {
				sum[city] += n
			}
		}
	}
	cities := make([]string, 0, len(sum))
	for city := range sum {
		cities = append(cities, city)
	}
	slices.SortFunc(cities, func(a, b string) int {
		if c := cmp.Compare(sum[b], sum[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if len(cities) > maxLocalities {
		cities = cities[:maxLocalities]
	}
	return cities
}

// resolve turns the survey of every valid code into table entries.
func (g *gen) resolve(raws map[string]*raw) []areaCode {
	parentsOf := maps.Clone(overlays)
	for code, parents := range corrections {
		if _, dup := parentsOf[code]; dup {
			log.Fatalf("%s is in both overlays and corrections", code)
		}
		if r := raws[code]; r != nil {
			r.cities = map[string]int{} // wrong, see corrections
		}
		parentsOf[code] = parents
	}
	for code := range parentsOf {
		if raws[code] == nil {
			log.Fatalf("overlay table: %s is not a geographic area code in the data", code)
		}
	}
	codes := slices.Sorted(maps.Keys(raws))
	var table []areaCode
	var empty []string
	for _, code := range codes {
		r := raws[code]
		st := r.best()
		var localities []string
		if st != "" {
			localities = rank(st, r.cities)
		}
		if parents, ok := parentsOf[code]; ok && len(localities) > 0 {
			log.Printf("note: overlay table entry %s is unused: the data now names its cities", code)
		} else if ok {
			var tallies []map[string]int
			for _, p := range parents {
				pr := raws[p]
				if pr == nil {
					log.Fatalf("overlay table: %s: parent %s is not a geographic area code", code, p)
				}
				pst := pr.best()
				if st == "" && r.candidates[pst] {
					st = pst // the data names several regions, the parent picks one
				}
				if pst != st {
					log.Fatalf("overlay table: %s is in %q but its parent %s is in %s", code, st, p, pst)
				}
				if len(rank(pst, pr.cities)) == 0 && regionCities[pst] == "" {
					log.Fatalf("overlay table: %s: parent %s has no city in the data", code, p)
				}
				tallies = append(tallies, pr.cities)
			}
			localities = rank(st, tallies...)
		}
		if len(localities) == 0 && regionCities[st] != "" {
			localities = []string{regionCities[st]}
		}
		if st == "" || len(localities) == 0 {
			// Leave it out rather than invent a place; add it to overlays.
			empty = append(empty, code)
			continue
		}
		if len(r.votes) > 1 || len(r.candidates) > 1 {
			log.Printf("note: %s spans several regions (votes %v); keeping %s", code, r.votes, st)
		}
		table = append(table, areaCode{code: code, region: g.byAbbr[st], localities: localities})
	}
	if len(empty) > 0 {
		log.Printf("warning: left out %d area codes with no locality in the data: %s", len(empty), strings.Join(empty, " "))
	}
	return table
}

func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == phonenumbersModule {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "(unknown version)"
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("nanp/gen: ")
	out := flag.String("o", "areacodes_gen.go", "output file")
	flag.Parse()

	g := newGen()
	// Survey the NPAs in parallel; phonenumbers is safe for concurrent use
	// and each NPA's result lands in its own slot, so the output does not
	// depend on scheduling.
	const lo, hi = 201, 989
	surveyed := make([]*raw, hi-lo+1)
	npas := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for npa := range npas {
				if r, ok := g.survey(npa); ok {
					surveyed[npa-lo] = r
				}
			}
		})
	}
	for npa := lo; npa <= hi; npa++ {
		npas <- npa
	}
	close(npas)
	wg.Wait()
	raws := map[string]*raw{}
	for _, r := range surveyed {
		if r != nil {
			raws[r.code] = r
		}
	}
	table := g.resolve(raws)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./internal/gen from %s %s; DO NOT EDIT.\n\n", phonenumbersModule, moduleVersion())
	b.WriteString("package nanp\n\n")
	fmt.Fprintf(&b, "// areaCodes holds every geographic US and Canadian area code, sorted by Code.\n")
	b.WriteString("var areaCodes = [...]AreaCode{\n")
	for _, ac := range table {
		fmt.Fprintf(&b, "{%q, %q, %q, %q, []string{", ac.code, ac.region.country, ac.region.abbr, ac.region.name)
		for i, l := range ac.localities {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(l))
		}
		b.WriteString("}},\n")
	}
	b.WriteString("}\n")

	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("formatting output: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d area codes", *out, len(table))
}
