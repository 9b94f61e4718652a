package nanp

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		code, country, region, regionName, locality string
	}{
		{"415", "US", "CA", "California", "San Francisco"},
		{"212", "US", "NY", "New York", "New York"},
		{"213", "US", "CA", "California", "Los Angeles"},
		{"202", "US", "DC", "District of Columbia", "Washington"},
		{"416", "CA", "ON", "Ontario", "Toronto"},
		{"647", "CA", "ON", "Ontario", "Toronto"}, // overlay of 416
		{"604", "CA", "BC", "British Columbia", "Vancouver"},
		{"514", "CA", "QC", "Quebec", "Montreal"},
		{"206", "US", "WA", "Washington", "Seattle"},
		{"907", "US", "AK", "Alaska", "Anchorage"},
		{"808", "US", "HI", "Hawaii", "Honolulu"},
		{"917", "US", "NY", "New York", "New York"},        // overlay of 212/718
		{"628", "US", "CA", "California", "San Francisco"}, // overlay of 415
		{"934", "US", "NY", "New York", "Bay Shore"},       // corrected: overlay of 631, not Manhattan
		{"902", "CA", "NS", "Nova Scotia", "Halifax"},
		{"782", "CA", "NS", "Nova Scotia", "Halifax"}, // NS and PE; filed under NS
	}
	for _, tt := range tests {
		ac, ok := Lookup(tt.code)
		if !ok {
			t.Errorf("Lookup(%q): not found", tt.code)
			continue
		}
		if ac.Code != tt.code || ac.Country != tt.country || ac.Region != tt.region || ac.RegionName != tt.regionName {
			t.Errorf("Lookup(%q) = %q %q %q %q, want %q %q %q %q", tt.code,
				ac.Code, ac.Country, ac.Region, ac.RegionName,
				tt.code, tt.country, tt.region, tt.regionName)
		}
		if !slices.Contains(ac.Localities, tt.locality) {
			t.Errorf("Lookup(%q).Localities = %q, want it to contain %q", tt.code, ac.Localities, tt.locality)
		}
	}
}

func TestLookupTerritories(t *testing.T) {
	// 867 serves all three territories; it is filed under one of them.
	ac, ok := Lookup("867")
	if !ok || ac.Country != "CA" || !slices.Contains([]string{"YT", "NT", "NU"}, ac.Region) || len(ac.Localities) == 0 {
		t.Errorf("Lookup(867) = %+v, %v", ac, ok)
	}
}

func TestLookupMostCommonFirst(t *testing.T) {
	for code, first := range map[string]string{"415": "San Francisco", "212": "New York", "416": "Toronto", "604": "Vancouver"} {
		ac, _ := Lookup(code)
		if len(ac.Localities) == 0 || ac.Localities[0] != first {
			t.Errorf("Lookup(%q).Localities = %q, want %q first", code, ac.Localities, first)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, code := range []string{
		"800", "888", "877", "866", "855", "844", "833", // toll-free
		"500", "533", "544", "566", "577", "588", // personal
		"900", "700", "600", "555", "911", "999", "000", "100", "199",
		"787", "939", "671", "340", "684", "670", // PR, GU, VI, AS, MP
		"242", "876", "809", "441", // Bahamas, Jamaica, Dominican Republic, Bermuda
		"", "41", "4155", "41a", "+41", " 415", "４１５",
	} {
		if ac, ok := Lookup(code); ok {
			t.Errorf("Lookup(%q) = %+v, want not found", code, ac)
		}
	}
}

func TestInRegion(t *testing.T) {
	ca := codes(InRegion("US", "CA"))
	for _, want := range []string{"415", "650", "213", "310", "628"} {
		if !slices.Contains(ca, want) {
			t.Errorf("InRegion(US, CA) = %v, missing %s", ca, want)
		}
	}
	if slices.Contains(ca, "212") {
		t.Errorf("InRegion(US, CA) contains 212")
	}
	if !slices.IsSorted(ca) {
		t.Errorf("InRegion(US, CA) not sorted: %v", ca)
	}
	for _, ac := range InRegion("US", "CA") {
		if ac.Country != "US" || ac.Region != "CA" {
			t.Errorf("InRegion(US, CA) returned %+v", ac)
		}
	}

	on := codes(InRegion("CA", "ON"))
	for _, want := range []string{"416", "647", "905", "613"} {
		if !slices.Contains(on, want) {
			t.Errorf("InRegion(CA, ON) = %v, missing %s", on, want)
		}
	}
	if got := codes(InRegion("ca", "on")); !slices.Equal(got, on) {
		t.Errorf("InRegion(ca, on) = %v, want %v", got, on)
	}
	if got := codes(InRegion("US", "DC")); !slices.Contains(got, "202") {
		t.Errorf("InRegion(US, DC) = %v, missing 202", got)
	}
	// Region abbreviations are per country: there is no US state "ON" and
	// no Canadian province "CA".
	for _, k := range [][2]string{{"US", "ON"}, {"CA", "CA"}, {"US", "PR"}, {"MX", "BC"}, {"", ""}} {
		if got := InRegion(k[0], k[1]); len(got) != 0 {
			t.Errorf("InRegion(%q, %q) = %v, want none", k[0], k[1], codes(got))
		}
	}
}

func TestRegionsComplete(t *testing.T) {
	// Every US state, DC and every Canadian province has at least one code.
	// (Territories share 867, filed under a single one.)
	us := strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME
		MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT
		VA WA WV WI WY`)
	ca := strings.Fields(`AB BC MB NB NL NS ON QC SK`)
	for _, r := range us {
		if len(InRegion("US", r)) == 0 {
			t.Errorf("InRegion(US, %s) is empty", r)
		}
	}
	for _, r := range ca {
		if len(InRegion("CA", r)) == 0 {
			t.Errorf("InRegion(CA, %s) is empty", r)
		}
	}
}

func TestAll(t *testing.T) {
	all := All()
	if n := len(all); n < 350 || n > 450 {
		t.Errorf("len(All()) = %d, want 350..450", n)
	}
	if !slices.IsSortedFunc(all, func(a, b AreaCode) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("All() not sorted by Code")
	}
	names := map[[2]string]string{} // country, region -> name
	for i, ac := range all {
		if i > 0 && ac.Code == all[i-1].Code {
			t.Errorf("duplicate code %s", ac.Code)
		}
		if len(ac.Code) != 3 || strings.Trim(ac.Code, "0123456789") != "" || ac.Code[0] < '2' || ac.Code[1] == '9' {
			t.Errorf("bad code %q", ac.Code)
		}
		if ac.Country != "US" && ac.Country != "CA" {
			t.Errorf("%s: country %q", ac.Code, ac.Country)
		}
		if len(ac.Region) != 2 || strings.ToUpper(ac.Region) != ac.Region || ac.RegionName == "" {
			t.Errorf("%s: region %q %q", ac.Code, ac.Region, ac.RegionName)
		}
		k := [2]string{ac.Country, ac.Region}
		if n, ok := names[k]; ok && n != ac.RegionName {
			t.Errorf("%s: region %s/%s named %q and %q", ac.Code, ac.Country, ac.Region, n, ac.RegionName)
		}
		names[k] = ac.RegionName
		if len(ac.Localities) < 1 || len(ac.Localities) > 6 {
			t.Errorf("%s: %d localities", ac.Code, len(ac.Localities))
		}
		for j, l := range ac.Localities {
			if l == "" || strings.TrimSpace(l) != l || strings.Contains(l, ",") {
				t.Errorf("%s: bad locality %q", ac.Code, l)
			}
			if slices.Contains(ac.Localities[:j], l) {
				t.Errorf("%s: duplicate locality %q", ac.Code, l)
			}
		}
		if got, ok := Lookup(ac.Code); !ok || got.Code != ac.Code {
			t.Errorf("Lookup(%q) disagrees with All()", ac.Code)
		}
		if !slices.Contains(codes(InRegion(ac.Country, ac.Region)), ac.Code) {
			t.Errorf("InRegion(%s, %s) misses %s", ac.Country, ac.Region, ac.Code)
		}
	}
	// 50 states and DC; 9 provinces (Prince Edward Island shares 902 and 782
	// with Nova Scotia, filed under NS); one territory (867, shared by all
	// three, filed under one).
	if len(names) != 51+9+1 {
		t.Errorf("%d regions in the table, want 61: %v", len(names), names)
	}
}

func TestResultsAreCopies(t *testing.T) {
	all := All()
	all[0].Code = "XXX"
	if All()[0].Code == "XXX" {
		t.Error("All() shares its slice with the table")
	}
	r := InRegion("US", "CA")
	r[0].Code = "XXX"
	if InRegion("US", "CA")[0].Code == "XXX" {
		t.Error("InRegion() shares its slice with the table")
	}
	ac, _ := Lookup("415")
	_ = append(ac.Localities, "Nowhere")
	if again, _ := Lookup("415"); len(again.Localities) != len(ac.Localities) {
		t.Error("append to Localities changed the table")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Lookup("415"); Lookup("800") }); n != 0 {
		t.Errorf("Lookup allocates %v times per run", n)
	}
}

func codes(acs []AreaCode) []string {
	out := make([]string, len(acs))
	for i, ac := range acs {
		out[i] = ac.Code
	}
	return out
}

var sink AreaCode

func BenchmarkLookup(b *testing.B) {
	keys := []string{"415", "212", "647", "800", "999", "604", "202", "989"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sink, _ = Lookup(keys[i%len(keys)])
	}
}

// TestGeneratedUpToDate runs the generator and compares its output with the
// checked-in table.
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool:", err)
	}
	out := filepath.Join(t.TempDir(), "areacodes_gen.go")
	cmd := exec.Command(goTool, "run", "./internal/gen", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("areacodes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "// Code generated ") || !strings.Contains(strings.SplitN(string(got), "\n", 2)[0], "DO NOT EDIT.") {
		t.Error("areacodes_gen.go lacks the Code generated ... DO NOT EDIT. header")
	}
	if string(got) != string(want) {
		t.Error("areacodes_gen.go is stale: run go generate ./dialer/nanp")
	}
}
