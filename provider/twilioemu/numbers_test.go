package twilioemu

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/nyaruka/phonenumbers"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

func TestAuth(t *testing.T) {
	_, base := emu(t, nil)
	path := acct(base) + "/Balance.json"
	for _, tc := range []struct {
		name, user, pass string
		status, code     int
	}{
		{"missing", "", "", 401, 20003},
		{"wrong token", testSID, strings.Repeat("0", 32), 401, 20003},
		{"wrong user", "AC" + strings.Repeat("1", 32), testToken, 401, 20003},
		{"api key", testKey, testKeyPw, 200, 0},
		{"api key wrong secret", testKey, "nope", 401, 20003},
		{"token", testSID, testToken, 200, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(t, "GET", path, nil, tc.user, tc.pass)
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	var e apiError
	if st := doJSON(t, "GET", base+"/2010-04-01/Accounts/AC"+strings.Repeat("2", 32)+"/Balance.json", nil, &e); st != 404 || e.Code != 20404 {
		t.Fatalf("other account: %d %+v", st, e)
	}
	if st := doJSON(t, "GET", acct(base)+"/Nope.json", nil, &e); st != 404 || e.Code != 20404 || e.MoreInfo != "https://www.twilio.com/docs/errors/20404" {
		t.Fatalf("unknown path: %d %+v", st, e)
	}
}

func TestSearch(t *testing.T) {
	_, base := emu(t, nil)
	rc := rest(t, base)
	got, err := rc.Api.ListAvailablePhoneNumberLocal("US", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(415).SetPageSize(5).SetVoiceEnabled(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d numbers, want 5", len(got))
	}
	for _, n := range got {
		num, err := phonenumbers.Parse(*n.PhoneNumber, "")
		if err != nil || !phonenumbers.IsValidNumber(num) {
			t.Errorf("%s is not a valid number", *n.PhoneNumber)
		}
		if !strings.HasPrefix(*n.PhoneNumber, "+1415") || *n.Region != "CA" || *n.IsoCountry != "US" ||
			*n.Locality == "" || *n.AddressRequirements != "none" || n.Capabilities == nil || !n.Capabilities.Voice ||
			!n.Capabilities.Sms || n.Latitude == nil || n.Longitude == nil {
			t.Errorf("unexpected number %+v", n)
		}
		if want := friendly(*n.PhoneNumber); *n.FriendlyName != want {
			t.Errorf("friendly name %q, want %q", *n.FriendlyName, want)
		}
	}
	// Lat/long are strings on the wire, as Twilio sends them.
	var raw map[string]any
	doJSON(t, "GET", acct(base)+"/AvailablePhoneNumbers/US/Local.json", url.Values{"AreaCode": {"415"}, "PageSize": {"1"}}, &raw)
	first := raw["available_phone_numbers"].([]any)[0].(map[string]any)
	if _, ok := first["latitude"].(string); !ok {
		t.Errorf("latitude %#v, want a string", first["latitude"])
	}
	if raw["next_page_uri"] != nil {
		t.Errorf("next_page_uri %v, want null", raw["next_page_uri"])
	}

	count := func(p *api.ListAvailablePhoneNumberLocalParams) []api.ApiV2010AvailablePhoneNumberLocal {
		t.Helper()
		got, err := rc.Api.ListAvailablePhoneNumberLocal("US", p)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	digits := (*got[0].PhoneNumber)[5:9]
	cont := count((&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(415).SetContains(digits))
	if len(cont) == 0 || !strings.Contains(*cont[0].PhoneNumber, digits) {
		t.Errorf("Contains %s: %v", digits, cont)
	}
	if n := count((&api.ListAvailablePhoneNumberLocalParams{}).SetInRegion("NY").SetPageSize(30)); len(n) != 30 {
		t.Errorf("InRegion NY: %d numbers", len(n))
	} else {
		for _, x := range n {
			if *x.Region != "NY" {
				t.Errorf("InRegion NY gave %s in %s", *x.PhoneNumber, *x.Region)
			}
		}
	}
	loc := *got[0].Locality
	for _, x := range count((&api.ListAvailablePhoneNumberLocalParams{}).SetInRegion("CA").SetInLocality(loc).SetPageSize(10)) {
		if *x.Locality != loc {
			t.Errorf("InLocality %s gave %s", loc, *x.Locality)
		}
	}
	near := count((&api.ListAvailablePhoneNumberLocalParams{}).SetNearNumber("+14155550123").SetPageSize(3))
	if len(near) != 3 || !strings.HasPrefix(*near[0].PhoneNumber, "+1415") {
		t.Errorf("NearNumber: %v", near)
	}
	if n := count((&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(907)); len(n) != 0 {
		t.Errorf("empty area code 907 offered %d numbers", len(n))
	}
	if n := count((&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(999)); len(n) != 0 {
		t.Errorf("invalid area code 999 offered %d numbers", len(n))
	}
	if n := count((&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(604)); len(n) != 0 {
		t.Errorf("Canadian area code in US search offered %d numbers", len(n))
	}
	if ca, err := rc.Api.ListAvailablePhoneNumberLocal("CA", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(604).SetPageSize(2)); err != nil || len(ca) != 2 || *ca[0].IsoCountry != "CA" || *ca[0].Region != "BC" {
		t.Errorf("CA 604: %v %v", ca, err)
	}
	if _, err := rc.Api.ListAvailablePhoneNumberLocal("FR", nil); restErr(t, err).Status != 404 {
		t.Errorf("FR: %v", err)
	}

	// Same seed, same numbers; another seed, others.
	_, base2 := emu(t, nil)
	_, base3 := emu(t, func(c *Config) { c.Seed = 8 })
	again, _ := rest(t, base2).Api.ListAvailablePhoneNumberLocal("US", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(415).SetPageSize(5))
	other, _ := rest(t, base3).Api.ListAvailablePhoneNumberLocal("US", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(415).SetPageSize(5))
	if *again[0].PhoneNumber != *got[0].PhoneNumber || *again[4].PhoneNumber != *got[4].PhoneNumber {
		t.Error("same seed gave other numbers")
	}
	if *other[0].PhoneNumber == *got[0].PhoneNumber {
		t.Error("another seed gave the same first number")
	}
}

func balance(t *testing.T, base string) dialer.Amount {
	t.Helper()
	var b struct{ Balance, Currency string }
	if st := doJSON(t, "GET", acct(base)+"/Balance.json", nil, &b); st != 200 || b.Currency != "USD" {
		t.Fatalf("balance: %d %+v", st, b)
	}
	return dialer.MustAmount(b.Balance)
}

func TestBuy(t *testing.T) {
	s, base := emu(t, func(c *Config) { c.PoolSize = 3 })
	rc := rest(t, base)
	if b := balance(t, base); b != dialer.MustAmount("20.00") {
		t.Fatalf("starting balance %s", b)
	}
	n, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("212").SetFriendlyName("ny line").SetVoiceUrl("https://example.com/voice"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*n.Sid, "PN") || len(*n.Sid) != 34 || !strings.HasPrefix(*n.PhoneNumber, "+1212") ||
		*n.FriendlyName != "ny line" || *n.VoiceUrl != "https://example.com/voice" || *n.ApiVersion != "2010-04-01" ||
		*n.Uri != "/2010-04-01/Accounts/"+testSID+"/IncomingPhoneNumbers/"+*n.Sid+".json" || !n.Capabilities.Voice {
		t.Errorf("bought %+v", n)
	}
	if b := balance(t, base); b != dialer.MustAmount("18.85") {
		t.Errorf("balance after one purchase %s, want 18.85", b)
	}

	// By exact number, from a search.
	avail, err := rc.Api.ListAvailablePhoneNumberLocal("US", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(212))
	if err != nil || len(avail) != 2 {
		t.Fatalf("after one purchase of 3: %d available, %v", len(avail), err)
	}
	n2, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(*avail[1].PhoneNumber))
	if err != nil || *n2.PhoneNumber != *avail[1].PhoneNumber || *n2.FriendlyName != friendly(*n2.PhoneNumber) {
		t.Fatalf("buy by number: %+v %v", n2, err)
	}
	// Buying an owned number again answers the same number, not charged.
	again, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(*avail[1].PhoneNumber))
	if err != nil || *again.Sid != *n2.Sid {
		t.Fatalf("rebuy: %+v %v", again, err)
	}
	if _, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("212")); err != nil {
		t.Fatal(err)
	}
	// Pool exhausted.
	_, err = rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("212"))
	if e := restErr(t, err); e.Code != 21422 || e.Status != 400 {
		t.Errorf("exhausted: %+v", e)
	}
	if avail, _ := rc.Api.ListAvailablePhoneNumberLocal("US", (&api.ListAvailablePhoneNumberLocalParams{}).SetAreaCode(212)); len(avail) != 0 {
		t.Errorf("exhausted pool still offers %d", len(avail))
	}
	if b := balance(t, base); b != dialer.MustAmount("16.55") {
		t.Errorf("balance after three purchases %s, want 16.55", b)
	}

	for _, tc := range []struct {
		params *api.CreateIncomingPhoneNumberParams
		code   int
	}{
		{(&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("907"), 21422},
		{(&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("999"), 21451},
		{(&api.CreateIncomingPhoneNumberParams{}).SetAreaCode("41"), 21451},
		{(&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(MagicUnavailable), 21422},
		{(&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(MagicInvalid), 21421},
		{(&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber("+1415"), 21421},
		{(&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber("+14155550123"), 21422}, // valid, not in any pool
		{(&api.CreateIncomingPhoneNumberParams{}).SetFriendlyName("x"), 21421},
	} {
		_, err := rc.Api.CreateIncomingPhoneNumber(tc.params)
		if e := restErr(t, err); e.Code != tc.code || e.Status != 400 {
			t.Errorf("%+v: got %+v, want code %d", tc.params, e, tc.code)
		}
	}
	magic, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetPhoneNumber(MagicValid))
	if err != nil || *magic.PhoneNumber != MagicValid {
		t.Fatalf("magic valid: %v", err)
	}
	if got := len(s.Requests()); got == 0 {
		t.Error("no requests recorded")
	}
}

func TestNumbersCRUD(t *testing.T) {
	_, base := emu(t, nil)
	rc := rest(t, base)
	var sids []string
	for _, ac := range []string{"201", "202", "203", "204", "205"} {
		n, err := rc.Api.CreateIncomingPhoneNumber((&api.CreateIncomingPhoneNumberParams{}).SetAreaCode(ac))
		if err != nil {
			t.Fatal(err)
		}
		sids = append(sids, *n.Sid)
	}
	up, err := rc.Api.UpdateIncomingPhoneNumber(sids[0], (&api.UpdateIncomingPhoneNumberParams{}).SetFriendlyName("renamed").SetVoiceUrl("https://example.com/v"))
	if err != nil || *up.FriendlyName != "renamed" || *up.VoiceUrl != "https://example.com/v" {
		t.Fatalf("update: %+v %v", up, err)
	}
	got, err := rc.Api.FetchIncomingPhoneNumber(sids[0], nil)
	if err != nil || *got.FriendlyName != "renamed" {
		t.Fatalf("fetch: %+v %v", got, err)
	}

	// Raw paging: 5 numbers, 2 a page, 3 pages.
	var pages []map[string]any
	next := acct(base) + "/IncomingPhoneNumbers.json?PageSize=2"
	for next != "" {
		var p map[string]any
		if st := doJSON(t, "GET", next, nil, &p); st != 200 {
			t.Fatalf("page: %d", st)
		}
		pages = append(pages, p)
		next = ""
		if u, ok := p["next_page_uri"].(string); ok {
			next = base + u
		}
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	var listed []string
	for i, p := range pages {
		for _, n := range p["incoming_phone_numbers"].([]any) {
			listed = append(listed, n.(map[string]any)["sid"].(string))
		}
		if int(p["page"].(float64)) != i || int(p["page_size"].(float64)) != 2 || p["first_page_uri"] == "" || p["uri"] == "" {
			t.Errorf("page %d envelope: %v", i, p)
		}
	}
	if strings.Join(listed, ",") != strings.Join(sids, ",") {
		t.Errorf("listed %v, want %v", listed, sids)
	}
	if pages[2]["next_page_uri"] != nil || int(pages[2]["start"].(float64)) != 4 || int(pages[2]["end"].(float64)) != 4 {
		t.Errorf("last page: %v", pages[2])
	}
	// twilio-go follows the pages.
	all, err := rc.Api.ListIncomingPhoneNumber((&api.ListIncomingPhoneNumberParams{}).SetPageSize(2))
	if err != nil || len(all) != 5 {
		t.Fatalf("twilio-go list: %d %v", len(all), err)
	}
	page, err := rc.Api.PageIncomingPhoneNumber((&api.ListIncomingPhoneNumberParams{}).SetPageSize(2), "", "1")
	if err != nil || len(page.IncomingPhoneNumbers) != 2 || *page.IncomingPhoneNumbers[0].Sid != sids[2] || page.NextPageUri == nil {
		t.Fatalf("page 1: %+v %v", page, err)
	}

	if err := rc.Api.DeleteIncomingPhoneNumber(sids[1], nil); err != nil {
		t.Fatal(err)
	}
	if e := restErr(t, rc.Api.DeleteIncomingPhoneNumber(sids[1], nil)); e.Code != 20404 || e.Status != 404 {
		t.Errorf("second delete: %+v", e)
	}
	if _, err := rc.Api.FetchIncomingPhoneNumber(sids[1], nil); restErr(t, err).Code != 20404 {
		t.Errorf("fetch deleted: %v", err)
	}
	if _, err := rc.Api.UpdateIncomingPhoneNumber("PN"+strings.Repeat("0", 32), (&api.UpdateIncomingPhoneNumberParams{}).SetFriendlyName("x")); restErr(t, err).Code != 20404 {
		t.Errorf("update unknown: %v", err)
	}
	if st := doJSON(t, http.MethodDelete, acct(base)+"/IncomingPhoneNumbers/"+sids[2]+".json", nil, nil); st != 204 {
		t.Errorf("raw delete: %d", st)
	}
	all, _ = rc.Api.ListIncomingPhoneNumber(nil)
	if len(all) != 3 {
		t.Errorf("%d numbers after two releases, want 3", len(all))
	}
}
