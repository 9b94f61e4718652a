package twilioemu

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// TestCallProgramParams pins the Url/Twiml checks of call create and
// update: which parameter wins, the error codes and the exact messages,
// and that they come before the other checks (Status, the call lookup).
func TestCallProgramParams(t *testing.T) {
	_, base := emu(t, fast)
	rc := rest(t, base)
	from := buy(t, rc, "415")
	unknown := acct(base) + "/Calls/CA" + strings.Repeat("0", 32) + ".json"
	type twErr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	}
	call := url.Values{"To": {"+12125550100"}, "From": {from}}
	with := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range call {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, tc := range []struct {
		name    string
		target  string
		form    url.Values
		status  int
		code    int
		message string
	}{
		{"create: ftp Url", acct(base) + "/Calls.json", with("Url", "ftp://example.com/x"), 400, 21205, "Url is not a valid URL: ftp://example.com/x"},
		{"create: Url without host", acct(base) + "/Calls.json", with("Url", "http:///x"), 400, 21205, "Url is not a valid URL: http:///x"},
		{"create: unparsable Url", acct(base) + "/Calls.json", with("Url", "http://[::1"), 400, 21205, "Url is not a valid URL: http://[::1"},
		{"create: bad Url wins over good Twiml", acct(base) + "/Calls.json", with("Url", "nope", "Twiml", "<Response/>"), 400, 21205, "Url is not a valid URL: nope"},
		{"create: bad Twiml", acct(base) + "/Calls.json", with("Twiml", "<Response><Say>"), 400, 12100, "Document parse failure: invalid TwiML: XML syntax error on line 1: unexpected EOF"},
		{"create: ApplicationSid", acct(base) + "/Calls.json", with("ApplicationSid", "AP"+strings.Repeat("1", 32)), 400, 21218, "ApplicationSid is not supported by the emulator"},
		{"create: bad Twiml wins over ApplicationSid", acct(base) + "/Calls.json", with("Twiml", "<Response><Say>", "ApplicationSid", "AP1"), 400, 12100, "Document parse failure: invalid TwiML: XML syntax error on line 1: unexpected EOF"},
		{"create: none", acct(base) + "/Calls.json", with(), 400, 21205, "Url parameter is required. Please provide a Url, ApplicationSid or Twiml."},
		{"update: bad Url before the lookup", unknown, url.Values{"Url": {"nope"}}, 400, 21205, "Url is not a valid URL: nope"},
		{"update: bad Twiml before the Status check", unknown, url.Values{"Twiml": {"<Response><Say>"}, "Status": {"bogus"}}, 400, 12100, "Document parse failure: invalid TwiML: XML syntax error on line 1: unexpected EOF"},
		{"update: Status check before the lookup", unknown, url.Values{"Status": {"bogus"}}, 400, 21218, "Invalid Status: bogus (completed or canceled)"},
		{"update: unknown call", unknown, url.Values{"Twiml": {"<Response/>"}}, 404, 20404, "The requested resource /2010-04-01/Accounts/" + testSID + "/Calls/CA" + strings.Repeat("0", 32) + ".json was not found"},
	} {
		var e twErr
		st := doJSON(t, http.MethodPost, tc.target, tc.form, &e)
		if st != tc.status || e.Code != tc.code || e.Message != tc.message || e.Status != tc.status {
			t.Errorf("%s: HTTP %d %+v; want %d, code %d, %q", tc.name, st, e, tc.status, tc.code, tc.message)
		}
	}

	// A good Url wins over a bad Twiml, on create and on update.
	var c callJSON
	if st := doJSON(t, http.MethodPost, acct(base)+"/Calls.json", with("Twiml", "<Response><Pause length=\"60\"/></Response>"), &c); st != 201 {
		t.Fatalf("create: HTTP %d", st)
	}
	if st := doJSON(t, http.MethodPost, acct(base)+"/Calls/"+c.SID+".json", url.Values{"Url": {"http://127.0.0.1:1/x"}, "Twiml": {"<Response><Say>"}}, nil); st != 200 {
		t.Errorf("update with a good Url and a bad Twiml: HTTP %d", st)
	}
	if st := doJSON(t, http.MethodPost, acct(base)+"/Calls/"+c.SID+".json", url.Values{"Status": {"completed"}}, nil); st != 200 {
		t.Errorf("hang up: HTTP %d", st)
	}
}

// TestBuyByNumberChecks pins the checks of a purchase by exact number.
func TestBuyByNumberChecks(t *testing.T) {
	_, base := emu(t, nil)
	type twErr struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	for _, tc := range []struct {
		phone   string
		code    int
		message string
	}{
		{"14155550123", 21421, "The phone number 14155550123 is invalid."},
		{"+1415", 21421, "The phone number +1415 is invalid."},
		{"+1415555012x", 21421, "The phone number +1415555012x is invalid."},
		{"+10005550123", 21421, "The phone number +10005550123 is invalid."},
		{"+14155550123", 21422, "The phone number +14155550123 is not available."},
		{" +14155550123 ", 21422, "The phone number +14155550123 is not available."},
		{"+442071838750", 21422, "The phone number +442071838750 is not available."},
	} {
		var e twErr
		st := doJSON(t, http.MethodPost, acct(base)+"/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {tc.phone}}, &e)
		if st != 400 || e.Code != tc.code || e.Message != tc.message {
			t.Errorf("%q: HTTP %d %+v; want code %d, %q", tc.phone, st, e, tc.code, tc.message)
		}
	}
}

// TestOldStateFileLoads: a state file written before numbers lost their
// unused area_code, country, region and locality keys still loads.
func TestOldStateFileLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.json")
	old := `{
  "version": 1,
  "account_sid": "` + testSID + `",
  "balance": "18.85",
  "counters": {"PN": 1},
  "consumed": ["+14155550172"],
  "numbers": [
    {
      "sid": "PN0000000000000000000000000000000a",
      "seq": 1,
      "phone_number": "+14155550172",
      "friendly_name": "old",
      "voice_url": "",
      "voice_method": "POST",
      "status_callback": "",
      "status_callback_method": "POST",
      "area_code": "415",
      "country": "US",
      "region": "CA",
      "locality": "San Francisco",
      "created": "2025-01-02T03:04:05Z",
      "updated": "2025-01-02T03:04:05Z"
    }
  ],
  "calls": null,
  "clock": "2025-01-02T03:04:05Z"
}
`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	_, base := emu(t, func(c *Config) { c.StatePath = path })
	nums, err := rest(t, base).Api.ListIncomingPhoneNumber(nil)
	if err != nil || len(nums) != 1 || *nums[0].Sid != "PN0000000000000000000000000000000a" ||
		*nums[0].PhoneNumber != "+14155550172" || *nums[0].FriendlyName != "old" {
		t.Fatalf("numbers from an old state file: %v %v", nums, err)
	}
	if b := balance(t, base); b != dialer.MustAmount("18.85") {
		t.Errorf("balance %s", b)
	}
}

// TestStateFileConsumed pins how the state file lists the pool numbers
// ever sold: null when none, sorted, released ones kept, the magic test
// number left out, and the list survives a reload.
func TestStateFileConsumed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.json")
	s, err := New(Config{AccountSID: testSID, AuthToken: testToken, Seed: 3, StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	consumed := func() string {
		t.Helper()
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(b), `"consumed": `)
		j := strings.Index(string(b), `"numbers": `)
		if i < 0 || j < i {
			t.Fatalf("state file %s", b)
		}
		return strings.TrimSpace(string(b[i:j]))
	}
	if got := consumed(); got != `"consumed": null,` {
		t.Errorf("nothing sold: %s", got)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := rest(t, base)
	var sold []string
	for _, ac := range []string{"415", "212", "303", "415"} {
		sold = append(sold, buy(t, rc, ac))
	}
	if _, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(MagicValid)); err != nil {
		t.Fatal(err)
	}
	nums, err := rc.Api.ListIncomingPhoneNumber(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Api.DeleteIncomingPhoneNumber(*nums[0].Sid, nil); err != nil {
		t.Fatal(err)
	}
	sort.Strings(sold)
	want := "\"consumed\": [\n    \"" + strings.Join(sold, "\",\n    \"") + "\"\n  ],"
	if got := consumed(); got != want {
		t.Errorf("consumed\n%s\nwant\n%s", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = New(Config{AccountSID: testSID, AuthToken: testToken, Seed: 3, StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sold {
		if s.availableLocked(n) {
			t.Errorf("%s for sale again after a reload", n)
		}
	}
	if got := consumed(); got != want {
		t.Errorf("after a reload, consumed\n%s\nwant\n%s", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPatternMatching: which numbers a Contains pattern finds (digits, *
// for any digit, letters as on a keypad, + ignored; anything else finds
// nothing).
func TestPatternMatching(t *testing.T) {
	numbers := []string{"14155550172", "12125550143", "16045550100", "15005550006", "1415", ""}
	for _, c := range []struct {
		pattern string
		finds   []string
	}{
		{"", []string{"14155550172", "12125550143", "16045550100", "15005550006", "1415", ""}},
		{"+", []string{"14155550172", "12125550143", "16045550100", "15005550006", "1415", ""}},
		{"++", []string{"14155550172", "12125550143", "16045550100", "15005550006", "1415", ""}},
		{"4", []string{"14155550172", "12125550143", "16045550100", "1415"}},
		{"415", []string{"14155550172", "1415"}},
		{"+1415", []string{"14155550172", "1415"}},
		{"1415555017", []string{"14155550172"}},
		{"14155550172", []string{"14155550172"}},
		{"141555501720", []string{}},
		{"*", []string{"14155550172", "12125550143", "16045550100", "15005550006", "1415"}},
		{"**5*", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"555****", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"***********", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"************", []string{}},
		{"CAT", []string{}},
		{"cat", []string{}},
		{"Ä", []string{}},
		{"4-1", []string{}},
		{"415 ", []string{}},
		{" ", []string{}},
		{"-", []string{}},
		{"+-", []string{}},
		{"5*5", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"JKL", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"2125550143", []string{"12125550143"}},
		{"0", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"9", []string{}},
		{"*0*", []string{"14155550172", "12125550143", "16045550100", "15005550006"}},
		{"ab*", []string{}},
		{"xyz", []string{}},
		{"é4", []string{}},
	} {
		p, ok := compilePattern(c.pattern)
		for _, n := range numbers {
			if got, want := ok && matchPattern(n, p), slices.Contains(c.finds, n); got != want {
				t.Errorf("%q in %q: %v, want %v", c.pattern, n, got, want)
			}
		}
	}
}

// TestSearchContains pins Contains searches and the PhoneNumber filter of
// the owned-number list, invalid patterns included.
func TestSearchContains(t *testing.T) {
	_, base := emu(t, nil)
	rc := rest(t, base)
	owned := buy(t, rc, "415")
	count := func(path string, q url.Values, key string) int {
		t.Helper()
		var page map[string]any
		if st := doJSON(t, http.MethodGet, acct(base)+path, q, &page); st != 200 {
			t.Fatalf("%s %v: HTTP %d", path, q, st)
		}
		list, ok := page[key].([]any)
		if !ok {
			t.Fatalf("%s %v: no %s list in %v", path, q, key, page)
		}
		return len(list)
	}
	for _, tc := range []struct {
		contains string
		want     int
	}{
		{"", 19}, {"+", 19}, {"415", 19}, {"+1415", 19}, {"*", 19}, {"1415*****", 19}, {owned[2:], 0},
		{"55", 3}, {"5*5", 2}, {"2", 9}, {"A", 9}, {"**0*", 7}, {"ABC", 0},
		{"4-1", 0}, {"é", 0}, {"99999999999", 0},
	} {
		got := count("/AvailablePhoneNumbers/US/Local.json", url.Values{"AreaCode": {"415"}, "Contains": {tc.contains}, "PageSize": {"100"}}, "available_phone_numbers")
		if got != tc.want {
			t.Errorf("Contains %q: %d numbers, want %d", tc.contains, got, tc.want)
		}
	}
	for _, tc := range []struct {
		phone string
		want  int
	}{
		{owned, 1}, {owned[1:], 1}, {owned[5:], 1}, {"415***", 1}, {"+", 1}, {"212", 0}, {"4-1", 0}, {"#1", 0},
	} {
		if got := count("/IncomingPhoneNumbers.json", url.Values{"PhoneNumber": {tc.phone}}, "incoming_phone_numbers"); got != tc.want {
			t.Errorf("PhoneNumber %q: %d numbers, want %d", tc.phone, got, tc.want)
		}
	}
}
