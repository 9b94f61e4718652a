package dialer

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// nanpFormats writes national number d (ten digits) as people do.
var nanpFormats = []func(d string) string{
	func(d string) string { return d },
	func(d string) string { return "1" + d },
	func(d string) string { return "+1" + d },
	func(d string) string { return fmt.Sprintf("(%s) %s-%s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("%s-%s-%s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("%s.%s.%s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("1-%s-%s-%s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("1 (%s) %s %s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("+1 %s %s %s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("+1 (%s) %s-%s ", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("  %s)%s(%s", d[:3], d[3:6], d[6:]) },
	func(d string) string { return fmt.Sprintf("%s--%s..%s", d[:3], d[3:6], d[6:]) },
}

// randomNational is ten digits, often with an area code or exchange that
// is not valid: leading 0 or 1, N11, 555, 37X/96X (reserved), toll-free
// and premium codes, Canadian and Caribbean codes.
func randomNational(r *rand.Rand, npa int) string {
	nxx := r.IntN(1000)
	switch r.IntN(8) {
	case 0:
		nxx = 555
	case 1:
		nxx = []int{211, 311, 411, 911, 950, 958, 959, 976}[r.IntN(8)]
	case 2:
		nxx = r.IntN(200) // 0XX, 1XX
	}
	return fmt.Sprintf("%03d%03d%04d", npa, nxx, r.IntN(10000))
}

func sameParse(t *testing.T, raw, country string) {
	t.Helper()
	fast, ferr := ParsePhoneIn(raw, country)
	slow, serr := parsePhoneSlow(raw, country)
	if fast != slow || fmt.Sprint(ferr) != fmt.Sprint(serr) {
		t.Errorf("ParsePhoneIn(%q, %q) = %+v, %v; libphonenumber: %+v, %v", raw, country, fast, ferr, slow, serr)
	}
}

// TestNANPFastMatchesSlow is the differential test of the fast path:
// every area code from 200 to 999 with valid and invalid exchanges, in
// every format the fast path takes, against libphonenumber alone.
func TestNANPFastMatchesSlow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	per := 6
	if testing.Short() {
		per = 1
	}
	fastTaken := 0
	for npa := 200; npa <= 999; npa++ {
		for range per {
			d := randomNational(r, npa)
			f := nanpFormats[r.IntN(len(nanpFormats))]
			country := []string{"US", "US", "CA", "GB"}[r.IntN(4)]
			raw := f(d)
			if _, _, ok := parseNANPFast(raw, country); ok {
				fastTaken++
			}
			sameParse(t, raw, country)
		}
	}
	if fastTaken < 400*per {
		t.Errorf("the fast path took only %d of %d numbers", fastTaken, 800*per)
	}
	// Numbers the fast path leaves alone still read as before.
	for _, raw := range []string{
		"0415 555 0100", "1415555010", "14155550100999", "+44 20 7946 0958", "020 7946 0958",
		"+14155550100 ext 12", "415-555-0100 x3", "(415) 555-0100#", "4155550100\t", "+ 1 415 555 0100",
		"+1 1415 555 0100", "1 1415 555 0100", "5550100", "911", "ABC", "", "+4155550100", "415 555 01000",
		"１４１５５５５０１００", "1 (011) 555-0100", "+1 011 555 0100",
	} {
		for _, country := range []string{"US", "CA", "GB", "us", ""} {
			sameParse(t, raw, country)
		}
	}
}

func TestNANPFastTakesPlainNumbersOnly(t *testing.T) {
	for raw, want := range map[string]bool{
		"(415) 555-0100":    true,
		"415.555.0100":      true,
		"1-415-555-0100":    true,
		"+1 415 555 0100":   true,
		"  4155550100":      true,
		"+14155550100":      true,
		"4155550100 ext 2":  false,
		"+44 20 7946 0958":  false,
		"1415555010":        false, // 1 and nine digits
		"0415555010":        false,
		"+ 1 415 555 0100":  false,
		"415 555 0100 0":    false,
		"1 (115) 555-0100":  false, // national number starting with 1
		"4155550100\u00a0":  false,
		"(415) 555-0100 \t": false,
	} {
		if _, ok := nanpDigits(raw, "US"); ok != want {
			t.Errorf("nanpDigits(%q) ok = %v, want %v", raw, ok, want)
		}
	}
	if _, ok := nanpDigits("4155550100", "GB"); ok {
		t.Error("ten digits outside the US and Canada took the fast path")
	}
	if _, ok := nanpDigits("+1 415 555 0100", "GB"); !ok {
		t.Error("+1 and ten digits did not take the fast path for GB")
	}
}

// TestNANPFastConcurrent reads numbers from several goroutines while the
// automaton is being built (run it with -race).
func TestNANPFastConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for range 300 {
				d := randomNational(r, 200+r.IntN(800))
				if _, _, ok := parseNANPFast(d, "US"); !ok && d[0] >= '2' {
					t.Errorf("%s did not take the fast path", d)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkParsePhone(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	nums := make([]string, 4096)
	for i := range nums {
		nums[i] = nanpFormats[r.IntN(len(nanpFormats))](randomNational(r, 200+r.IntN(800)))
	}
	for _, c := range []struct {
		name  string
		parse func(string, string) (Phone, error)
	}{{"fast", ParsePhoneIn}, {"libphonenumber", parsePhoneSlow}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c.parse(nums[i%len(nums)], "US")
			}
		})
	}
}

// TestCalleeZonesFastMatchesSlow: a plain +1 number's time zones, read
// from its E.164 form without a parse, are libphonenumber's after a full
// parse, for every area code from 200 to 999 with valid and invalid
// exchanges; other forms are not taken by the fast path.
func TestCalleeZonesFastMatchesSlow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	per := 4
	if testing.Short() {
		per = 1
	}
	for npa := 200; npa <= 999; npa++ {
		for range per {
			e164 := "+1" + randomNational(r, npa)
			if !plainNANP(e164) {
				t.Fatalf("%s is not taken by the fast path", e164)
			}
			fast, ferr := calleeZoneNames(e164)
			slow, serr := calleeZoneNamesSlow(e164)
			if fmt.Sprint(fast) != fmt.Sprint(slow) || fmt.Sprint(ferr) != fmt.Sprint(serr) {
				t.Errorf("time zones of %s: %v, %v; libphonenumber after a parse: %v, %v", e164, fast, ferr, slow, serr)
			}
		}
	}
	for _, s := range []string{"+14155550100 ", "14155550100", "+1 415 555 0100", "+11555550100", "+1415555010", "+141555501000", "+44 20 7946 0958", "+1415555010x"} {
		if plainNANP(s) {
			t.Errorf("%q taken by the fast path", s)
		}
	}
}
