package twilioemu

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/nanp"
	"github.com/nyaruka/phonenumbers"
)

// Magic numbers of Twilio's test credentials, honoured by the emulator.
const (
	MagicUnavailable = "+15005550000" // buy: 21422
	MagicInvalid     = "+15005550001" // buy: 21421; call To: 21217; call From: 21212
	MagicUnroutable  = "+15005550002" // call To: 21214
	MagicNoPerm      = "+15005550003" // call To: 21215
	MagicBlocked     = "+15005550004" // call To: 21216
	MagicValid       = "+15005550006" // buy: succeeds; call From: always allowed
)

// poolNumber is a number an area code offers.
type poolNumber struct {
	E164     string
	Country  string
	Region   string
	Locality string
}

// outcomeSuffixes are last-four-digit patterns with a special callee
// outcome; pool numbers avoid them.
var outcomeSuffixes = map[string]bool{"1111": true, "2222": true, "3333": true, "4444": true, "5555": true}

// poolLocked returns the numbers an area code offers in total (sold ones
// included) and whether the area code is known.
func (s *Server) poolLocked(code string) ([]poolNumber, bool) {
	ac, ok := nanp.Lookup(code)
	if !ok {
		return nil, false
	}
	if s.empty[code] {
		return nil, true
	}
	if p, ok := s.pools[code]; ok {
		return p, true
	}
	n, _ := strconv.Atoi(code)
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(n)))
	var pool []poolNumber
	seen := map[string]bool{}
	limit := s.cfg.PoolSize * 60
	for attempt := 0; len(pool) < s.cfg.PoolSize && attempt < limit; attempt++ {
		nxx := 200 + rng.IntN(800)
		line := rng.IntN(10000)
		if nxx%100 == 11 || nxx == 555 || nxx == 950 || nxx == 958 || nxx == 959 || nxx == 976 {
			continue
		}
		last4 := fmt.Sprintf("%04d", line)
		if outcomeSuffixes[last4] {
			continue
		}
		e164 := fmt.Sprintf("+1%s%03d%s", code, nxx, last4)
		if seen[e164] {
			continue
		}
		cc, nat := int32(1), uint64(n)*10_000_000+uint64(nxx)*10_000+uint64(line)
		num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nat}
		if !phonenumbers.IsValidNumberForRegion(num, ac.Country) {
			continue
		}
		locality := ""
		if geo, err := phonenumbers.GetGeocodingForNumber(num, "en"); err == nil {
			if city, st, ok := strings.Cut(geo, ", "); ok && st == ac.Region {
				locality = city
			}
		}
		if locality == "" {
			// Prefer exchanges geocoded to a city; late in the search take
			// any valid one and name the area code's main locality.
			if attempt < limit/2 || len(ac.Localities) == 0 {
				continue
			}
			locality = ac.Localities[0]
		}
		seen[e164] = true
		pool = append(pool, poolNumber{E164: e164, Country: ac.Country, Region: ac.Region, Locality: locality})
	}
	s.pools[code] = pool
	return pool, true
}

// availableLocked reports whether a pool number can be sold now.
func (s *Server) availableLocked(e164 string) bool {
	return !s.consumed[e164] && s.byPhone[e164] == nil
}

// availableJSON is an AvailablePhoneNumber as Twilio sends it.
type availableJSON struct {
	FriendlyName        string       `json:"friendly_name"`
	PhoneNumber         string       `json:"phone_number"`
	Lata                *string      `json:"lata"`
	Locality            string       `json:"locality"`
	RateCenter          *string      `json:"rate_center"`
	Latitude            *string      `json:"latitude"`
	Longitude           *string      `json:"longitude"`
	Region              string       `json:"region"`
	PostalCode          *string      `json:"postal_code"`
	IsoCountry          string       `json:"iso_country"`
	AddressRequirements string       `json:"address_requirements"`
	Beta                bool         `json:"beta"`
	Capabilities        capabilities `json:"capabilities"`
}

// capabilities of available numbers use Twilio's upper-case SMS and MMS
// keys; owned numbers use lower-case ones (see ownedCapabilities).
type capabilities struct {
	Voice bool `json:"voice"`
	SMS   bool `json:"SMS"`
	MMS   bool `json:"MMS"`
	Fax   bool `json:"fax"`
}

type ownedCapabilities struct {
	Voice bool `json:"voice"`
	SMS   bool `json:"sms"`
	MMS   bool `json:"mms"`
	Fax   bool `json:"fax"`
}

// friendly formats a +1 number as "(415) 555-0123", other numbers as given.
func friendly(e164 string) string {
	if len(e164) == 12 && strings.HasPrefix(e164, "+1") {
		return "(" + e164[2:5] + ") " + e164[5:8] + "-" + e164[8:]
	}
	return e164
}

func toAvailableJSON(p poolNumber) availableJSON {
	a := availableJSON{
		FriendlyName:        friendly(p.E164),
		PhoneNumber:         p.E164,
		Locality:            p.Locality,
		Region:              p.Region,
		IsoCountry:          p.Country,
		AddressRequirements: "none",
		Capabilities:        capabilities{Voice: true, SMS: true, MMS: true},
	}
	if c, ok := regionCentroids[p.Region]; ok {
		lat, long := fmt.Sprintf("%.6f", c[0]), fmt.Sprintf("%.6f", c[1])
		a.Latitude, a.Longitude = &lat, &long
	}
	return a
}

func truthy(v string) bool { return strings.EqualFold(v, "true") }

// handleAvailableLocal serves AvailablePhoneNumbers/{country}/Local.json.
func (s *Server) handleAvailableLocal(w http.ResponseWriter, r *http.Request) {
	country := r.PathValue("country")
	if country != "US" && country != "CA" {
		notFound(w, r)
		return
	}
	f := r.Form
	size, _ := pageParams(r)
	var codes []nanp.AreaCode
	near := ""
	distance := 25.0
	switch {
	case f.Get("AreaCode") != "":
		if ac, ok := nanp.Lookup(f.Get("AreaCode")); ok && ac.Country == country {
			codes = []nanp.AreaCode{ac}
		}
	case f.Get("InRegion") != "":
		codes = nanp.InRegion(country, f.Get("InRegion"))
	default:
		codes = countryAreaCodes(country)
	}
	if v := f.Get("NearNumber"); v != "" {
		ac, ok := areaOf(v)
		if !ok {
			codes = nil
		}
		near = ac.Region
		if d, err := strconv.ParseFloat(f.Get("Distance"), 64); err == nil && d >= 0 {
			distance = min(d, 500)
		}
		// Same area code first.
		for i, c := range codes {
			if c.Code == ac.Code {
				codes[0], codes[i] = codes[i], codes[0]
				break
			}
		}
	}
	contains := f.Get("Contains")
	pattern, patternOK := compilePattern(contains)
	// Filters the emulator has no data for match nothing; so does a
	// Contains pattern no number can hold.
	noData := f.Get("InPostalCode") != "" || f.Get("InRateCenter") != "" || f.Get("InLata") != "" ||
		truthy(f.Get("FaxEnabled")) || f.Get("NearLatLong") != "" || !patternOK
	locality := f.Get("InLocality")
	region := f.Get("InRegion")

	list := []availableJSON{}
	s.mu.Lock()
	for _, ac := range codes {
		if noData || len(list) >= size {
			break
		}
		if region != "" && !strings.EqualFold(ac.Region, region) {
			continue
		}
		if near != "" && distanceMiles(near, ac.Region) > distance {
			continue
		}
		pool, _ := s.poolLocked(ac.Code)
		for _, p := range pool {
			if len(list) >= size {
				break
			}
			if !s.availableLocked(p.E164) ||
				(contains != "" && !matchPattern(p.E164[1:], pattern)) ||
				(locality != "" && !strings.EqualFold(locality, p.Locality)) {
				continue
			}
			list = append(list, toAvailableJSON(p))
		}
	}
	s.mu.Unlock()
	filters := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "PageSize" && k != "Page" && k != "PageToken" {
			filters[k] = v
		}
	}
	page, _, _ := listPage(r.URL.Path, filters, size, 0, len(list))
	page["end"] = max(len(list)-1, 0)
	page["available_phone_numbers"] = list
	writeJSON(w, http.StatusOK, page)
}

// numberJSON is an IncomingPhoneNumber as Twilio sends it.
type numberJSON struct {
	AccountSID             string            `json:"account_sid"`
	AddressSID             *string           `json:"address_sid"`
	AddressRequirements    string            `json:"address_requirements"`
	APIVersion             string            `json:"api_version"`
	Beta                   bool              `json:"beta"`
	Capabilities           ownedCapabilities `json:"capabilities"`
	DateCreated            string            `json:"date_created"`
	DateUpdated            string            `json:"date_updated"`
	FriendlyName           string            `json:"friendly_name"`
	IdentitySID            *string           `json:"identity_sid"`
	PhoneNumber            string            `json:"phone_number"`
	Origin                 string            `json:"origin"`
	SID                    string            `json:"sid"`
	SMSApplicationSID      string            `json:"sms_application_sid"`
	SMSFallbackMethod      string            `json:"sms_fallback_method"`
	SMSFallbackURL         string            `json:"sms_fallback_url"`
	SMSMethod              string            `json:"sms_method"`
	SMSURL                 string            `json:"sms_url"`
	StatusCallback         string            `json:"status_callback"`
	StatusCallbackMethod   string            `json:"status_callback_method"`
	TrunkSID               *string           `json:"trunk_sid"`
	URI                    string            `json:"uri"`
	VoiceReceiveMode       string            `json:"voice_receive_mode"`
	VoiceApplicationSID    *string           `json:"voice_application_sid"`
	VoiceCallerIDLookup    bool              `json:"voice_caller_id_lookup"`
	VoiceFallbackMethod    string            `json:"voice_fallback_method"`
	VoiceFallbackURL       *string           `json:"voice_fallback_url"`
	VoiceMethod            string            `json:"voice_method"`
	VoiceURL               *string           `json:"voice_url"`
	EmergencyStatus        string            `json:"emergency_status"`
	EmergencyAddressSID    *string           `json:"emergency_address_sid"`
	EmergencyAddressStatus string            `json:"emergency_address_status"`
	BundleSID              *string           `json:"bundle_sid"`
	Status                 string            `json:"status"`
	SubresourceURIs        map[string]string `json:"subresource_uris"`
}

func (s *Server) numberURI(sid string) string {
	return "/2010-04-01/Accounts/" + s.cfg.AccountSID + "/IncomingPhoneNumbers/" + sid + ".json"
}

func (s *Server) toNumberJSON(n *numberRec) numberJSON {
	j := numberJSON{
		AccountSID:             s.cfg.AccountSID,
		AddressRequirements:    "none",
		APIVersion:             apiVersion,
		Capabilities:           ownedCapabilities{Voice: true, SMS: true, MMS: true},
		DateCreated:            twilioTime(n.Created),
		DateUpdated:            twilioTime(n.Updated),
		FriendlyName:           n.FriendlyName,
		PhoneNumber:            n.PhoneNumber,
		Origin:                 "twilio",
		SID:                    n.SID,
		SMSFallbackMethod:      "POST",
		SMSMethod:              "POST",
		StatusCallback:         n.StatusCallback,
		StatusCallbackMethod:   n.StatusCallbackMethod,
		URI:                    s.numberURI(n.SID),
		VoiceReceiveMode:       "voice",
		VoiceFallbackMethod:    "POST",
		VoiceMethod:            n.VoiceMethod,
		EmergencyStatus:        "Inactive",
		EmergencyAddressStatus: "unregistered",
		Status:                 "in-use",
		SubresourceURIs: map[string]string{
			"assigned_add_ons": strings.TrimSuffix(s.numberURI(n.SID), ".json") + "/AssignedAddOns.json",
		},
	}
	if n.VoiceURL != "" {
		v := n.VoiceURL
		j.VoiceURL = &v
	}
	return j
}

const apiVersion = "2010-04-01"

// monthlyPrices are the monthly prices of numbers, per country and type.
var monthlyPrices = map[string]map[string]dialer.Amount{
	"US": {"local": dialer.MustAmount("1.15"), "toll free": dialer.MustAmount("2.15")},
	"CA": {"local": dialer.MustAmount("1.15"), "toll free": dialer.MustAmount("2.15")},
}

// handleBuyNumber serves POST IncomingPhoneNumbers.json.
func (s *Server) handleBuyNumber(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	phone, area := strings.TrimSpace(f.Get("PhoneNumber")), strings.TrimSpace(f.Get("AreaCode"))
	s.mu.Lock()
	if code := s.faults.purchaseCode; code != 0 {
		s.faults.purchaseCode = 0
		s.mu.Unlock()
		if code == 20429 {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, code, "")
		return
	}
	dropAfter := s.faults.purchaseDrop
	s.faults.purchaseDrop = false
	now := s.clk.now()
	s.settleLocked(now)

	var pick poolNumber
	switch {
	case phone == "" && area == "":
		s.mu.Unlock()
		writeError(w, 21421, "A 'PhoneNumber' or an 'AreaCode' is required.")
		return
	case phone == MagicUnavailable:
		s.mu.Unlock()
		writeError(w, 21422, "")
		return
	case phone == MagicInvalid:
		s.mu.Unlock()
		writeError(w, 21421, "")
		return
	case phone == MagicValid:
		pick = poolNumber{E164: phone, Country: "US"}
	case phone != "":
		if existing := s.byPhone[phone]; existing != nil {
			// Twilio has been seen to answer 201 for a number the account
			// already owns: do the same, without charging again.
			j := s.toNumberJSON(existing)
			s.mu.Unlock()
			writeJSON(w, http.StatusCreated, j)
			return
		}
		if _, ok := phoneCountry(phone); !ok {
			s.mu.Unlock()
			writeError(w, 21421, fmt.Sprintf("The phone number %s is invalid.", phone))
			return
		}
		found := false
		if len(phone) == 12 && strings.HasPrefix(phone, "+1") {
			pool, _ := s.poolLocked(phone[2:5])
			for _, p := range pool {
				if p.E164 == phone && s.availableLocked(phone) {
					pick, found = p, true
					break
				}
			}
		}
		if !found {
			s.mu.Unlock()
			writeError(w, 21422, fmt.Sprintf("The phone number %s is not available.", phone))
			return
		}
	default:
		pool, known := s.poolLocked(area)
		if !known {
			s.mu.Unlock()
			writeError(w, 21451, fmt.Sprintf("AreaCode %s is invalid.", area))
			return
		}
		found := false
		for _, p := range pool {
			if s.availableLocked(p.E164) {
				pick, found = p, true
				break
			}
		}
		if !found {
			s.mu.Unlock()
			writeError(w, 21422, fmt.Sprintf("No phone numbers are available in area code %s.", area))
			return
		}
	}

	sid, seq := s.newSIDLocked("PN")
	n := &numberRec{
		SID:                  sid,
		Seq:                  seq,
		PhoneNumber:          pick.E164,
		FriendlyName:         friendly(pick.E164),
		VoiceURL:             f.Get("VoiceUrl"),
		VoiceMethod:          orDefault(f.Get("VoiceMethod"), "POST"),
		StatusCallback:       f.Get("StatusCallback"),
		StatusCallbackMethod: orDefault(f.Get("StatusCallbackMethod"), "POST"),
		Created:              now,
		Updated:              now,
	}
	if v := f.Get("FriendlyName"); v != "" {
		n.FriendlyName = v
	}
	s.numbers[sid] = n
	s.byPhone[n.PhoneNumber] = n
	if pick.E164 != MagicValid {
		s.consumed[pick.E164] = true
	}
	s.st.Balance -= monthlyPrices[pick.Country]["local"]
	j := s.toNumberJSON(n)
	s.mu.Unlock()
	s.log.Info("number bought", "sid", sid, "number", n.PhoneNumber)
	if dropAfter && dropConnection(w) {
		return
	}
	writeJSON(w, http.StatusCreated, j)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *Server) handleFetchNumber(w http.ResponseWriter, r *http.Request) {
	n := lockFind(s, s.numbers, w, r)
	if n == nil {
		return
	}
	j := s.toNumberJSON(n)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleUpdateNumber(w http.ResponseWriter, r *http.Request) {
	n := lockFind(s, s.numbers, w, r)
	if n == nil {
		return
	}
	f := r.PostForm
	set := func(dst *string, key string) {
		if _, ok := f[key]; ok {
			*dst = f.Get(key)
		}
	}
	set(&n.FriendlyName, "FriendlyName")
	set(&n.VoiceURL, "VoiceUrl")
	set(&n.VoiceMethod, "VoiceMethod")
	set(&n.StatusCallback, "StatusCallback")
	set(&n.StatusCallbackMethod, "StatusCallbackMethod")
	if n.FriendlyName == "" {
		n.FriendlyName = friendly(n.PhoneNumber)
	}
	n.Updated = s.clk.now()
	j := s.toNumberJSON(n)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleDeleteNumber(w http.ResponseWriter, r *http.Request) {
	n := lockFind(s, s.numbers, w, r)
	if n == nil {
		return
	}
	delete(s.numbers, n.SID)
	delete(s.byPhone, n.PhoneNumber)
	s.mu.Unlock()
	s.log.Info("number released", "sid", n.SID, "number", n.PhoneNumber)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleListNumbers(w http.ResponseWriter, r *http.Request) {
	size, page := pageParams(r)
	f := r.Form
	phone := strings.TrimPrefix(f.Get("PhoneNumber"), "+")
	pattern, patternOK := compilePattern(phone)
	name := f.Get("FriendlyName")
	s.mu.Lock()
	var all []*numberRec
	for _, n := range s.numbers {
		if phone != "" && (!patternOK || !matchPattern(n.PhoneNumber[1:], pattern)) {
			continue
		}
		if name != "" && n.FriendlyName != name {
			continue
		}
		all = append(all, n)
	}
	sortNumbers(all)
	filters := url.Values{}
	for _, k := range []string{"PhoneNumber", "FriendlyName", "Beta", "Origin"} {
		if v := f.Get(k); v != "" {
			filters.Set(k, v)
		}
	}
	env, start, end := listPage(r.URL.Path, filters, size, page, len(all))
	items := make([]numberJSON, 0, end-start)
	for _, n := range all[start:end] {
		items = append(items, s.toNumberJSON(n))
	}
	s.mu.Unlock()
	env["incoming_phone_numbers"] = items
	writeJSON(w, http.StatusOK, env)
}

func sortNumbers(ns []*numberRec) {
	sort.Slice(ns, func(i, j int) bool { return ns[i].Seq < ns[j].Seq })
}
