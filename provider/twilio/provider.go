// Package twilio implements dialer.Provider on Twilio's REST API with
// github.com/twilio/twilio-go.
//
// twilio-go has no base-URL option, no context support and no retries;
// this package adds all three in its own http.RoundTripper (see
// transport.go). Each Provider call builds a small twilio-go client whose
// transport is bound to that call's context, so a cancelled context aborts
// the request in flight. With Config.BaseURL (or BaseURLs) the same code
// talks to the emulator or a mock server instead of Twilio.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/dialer-dev/dialer/dialer"
)

// Twilio's hosts as twilio-go calls them.
const (
	apiBase     = "https://api.twilio.com"
	pricingBase = "https://pricing.twilio.com"
)

// Provider is a dialer.Provider on Twilio. It is safe for concurrent use.
type Provider struct {
	accountSID string
	creds      *client.Credentials
	t          *transport
}

var _ dialer.Provider = (*Provider)(nil)

// New checks cfg and returns a Provider. It makes no request.
func New(cfg Config) (*Provider, error) {
	if err := cfg.validateCredentials(false); err != nil {
		return nil, err
	}
	fallback, hosts, err := cfg.hostMap()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Provider{
		accountSID: cfg.AccountSID,
		creds:      client.NewCredentials(cfg.username(), cfg.password()),
		t: &transport{
			base:     base,
			override: fallback != nil || len(hosts) > 0,
			fallback: fallback,
			hosts:    hosts,
			timeout:  timeout,
			retry:    cfg.Retry.withDefaults(),
			log:      log,
		},
	}, nil
}

// session is twilio-go bound to one call's context.
type session struct {
	rh  *client.RequestHandler
	api *openapi.ApiService
}

// session builds a twilio-go client whose every request carries ctx. A
// fresh client per call is what makes this race-free: twilio-go's
// requests carry no context, and its client has no per-request hook.
func (p *Provider) session(ctx context.Context) *session {
	c := &client.Client{
		Credentials: p.creds,
		HTTPClient: &http.Client{
			Transport: &boundTransport{ctx: ctx, t: p.t},
			// twilio-go's own default: return 3xx as they are.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(p.accountSID)
	rh := client.NewRequestHandler(c)
	if p.t.override {
		// TWILIO_EDGE / TWILIO_REGION would rewrite hosts to
		// api.<edge>.<region>.twilio.com before the transport maps them.
		rh.Edge, rh.Region = "", ""
	}
	return &session{rh: rh, api: openapi.NewApiService(rh)}
}

// getJSON is a raw GET through the same twilio-go client (auth, host
// mapping, retries, context), for responses twilio-go cannot decode
// exactly.
func (s *session) getJSON(rawURL string, q url.Values, v any) error {
	resp, err := s.rh.Get(rawURL, q, map[string]any{"Accept": "application/json"}, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// answer turns a twilio-go call's result into ours: its error mapped to a
// dialer kind, or its value converted (a conversion failure mapped too).
func answer[T, R any](o op, v T, err error, convert func(T) (R, error)) (R, error) {
	var zero R
	if err != nil {
		return zero, mapError(o, err)
	}
	r, err := convert(v)
	if err != nil {
		return zero, mapError(o, err)
	}
	return r, nil
}

func invalid(format string, args ...any) error {
	return dialer.Errorf(dialer.EINVALID, format, args...)
}

func checkSID(re interface{ MatchString(string) bool }, what, sid string) error {
	if !re.MatchString(sid) {
		return invalid("%q is not a Twilio %s SID", sid, what)
	}
	return nil
}

// checkE164 refuses v unless it is an E.164 number. what names v at the
// start of the message ("the caller ID"); empty, the message starts with v.
func checkE164(what, v string) error {
	if e164Re.MatchString(v) {
		return nil
	}
	if what != "" {
		what += " "
	}
	return invalid("%s%q is not in E.164 form such as +14155550100", what, v)
}

// SearchNumbers lists local voice-capable numbers available to buy.
func (p *Provider) SearchNumbers(ctx context.Context, q dialer.NumberQuery) ([]dialer.AvailableNumber, error) {
	country := strings.ToUpper(strings.TrimSpace(q.Country))
	if !countryRe.MatchString(country) {
		return nil, invalid("country %q is not a two-letter ISO code such as US", q.Country)
	}
	params := &openapi.ListAvailablePhoneNumberLocalParams{}
	params.SetVoiceEnabled(true)
	if q.AreaCode != "" {
		ac, err := strconv.Atoi(q.AreaCode)
		if err != nil || !areaCodeRe.MatchString(q.AreaCode) {
			return nil, invalid("area code %q is not three digits such as 415", q.AreaCode)
		}
		params.SetAreaCode(ac)
	}
	if q.Contains != "" {
		params.SetContains(q.Contains)
	}
	if q.Region != "" {
		params.SetInRegion(q.Region)
	}
	if q.Locality != "" {
		params.SetInLocality(q.Locality)
	}
	if q.PostalCode != "" {
		params.SetInPostalCode(q.PostalCode)
	}
	if q.NearNumber != "" {
		if err := checkE164("near number", q.NearNumber); err != nil {
			return nil, err
		}
		params.SetNearNumber(q.NearNumber)
	}
	if q.Limit > 0 {
		limit := min(q.Limit, 1000)
		params.SetPageSize(limit)
		params.SetLimit(limit)
	}
	o := op{what: "search for numbers to buy"}
	list, err := p.session(ctx).api.ListAvailablePhoneNumberLocal(country, params)
	if err != nil {
		return nil, mapError(o, err)
	}
	out := make([]dialer.AvailableNumber, 0, len(list))
	skipped := 0
	for _, n := range list {
		a := availableNumber(n)
		// The spec lets phone_number be null: a row without a number
		// one could buy is no offer.
		if !e164Re.MatchString(a.PhoneNumber) {
			skipped++
			continue
		}
		out = append(out, a)
	}
	if skipped > 0 {
		p.t.log.Warn("number search: rows without a usable phone number skipped", "skipped", skipped, "kept", len(out))
	}
	return out, nil
}

// BuyNumber buys one number by area code (Twilio picks one) or exactly.
// Only a 429 is retried: after a 5xx, a timeout or a dropped connection
// the purchase may have happened, and BuyNumber returns EUNAVAILABLE so
// that the caller lists numbers (looking for req.FriendlyName) before
// buying again.
func (p *Provider) BuyNumber(ctx context.Context, req dialer.BuyRequest) (dialer.OwnedNumber, error) {
	params := &openapi.CreateIncomingPhoneNumberParams{}
	switch {
	case (req.AreaCode == "") == (req.PhoneNumber == ""):
		return dialer.OwnedNumber{}, invalid("buy a number either by area code or by exact number (one of them)")
	case req.AreaCode != "":
		if !areaCodeRe.MatchString(req.AreaCode) {
			return dialer.OwnedNumber{}, invalid("area code %q is not three digits such as 415", req.AreaCode)
		}
		if c := strings.ToUpper(req.Country); c != "" && c != "US" && c != "CA" {
			return dialer.OwnedNumber{}, invalid("Twilio picks a number by area code only in the US and Canada; search %s numbers and buy one exactly", c)
		}
		params.SetAreaCode(req.AreaCode)
	default:
		if err := checkE164("", req.PhoneNumber); err != nil {
			return dialer.OwnedNumber{}, err
		}
		params.SetPhoneNumber(req.PhoneNumber)
	}
	if req.FriendlyName != "" {
		params.SetFriendlyName(req.FriendlyName)
	}
	if req.VoiceURL != "" {
		params.SetVoiceUrl(req.VoiceURL)
		params.SetVoiceMethod("POST")
	}
	if req.StatusCallback != "" {
		params.SetStatusCallback(req.StatusCallback)
		params.SetStatusCallbackMethod("POST")
	}
	o := op{what: "buy a number", thing: "number", acts: true,
		unknown: "Twilio did not confirm whether the number was bought; the inventory will be checked before buying again"}
	n, err := p.session(ctx).api.CreateIncomingPhoneNumber(params)
	return answer(o, n, err, ownedNumber)
}

// UpdateNumber changes a number's friendly name, voice URL or status
// callback.
func (p *Provider) UpdateNumber(ctx context.Context, sid string, u dialer.NumberUpdate) (dialer.OwnedNumber, error) {
	if err := checkSID(numberSIDRe, "phone number", sid); err != nil {
		return dialer.OwnedNumber{}, err
	}
	params := &openapi.UpdateIncomingPhoneNumberParams{}
	if u.FriendlyName != nil {
		params.SetFriendlyName(*u.FriendlyName)
	}
	if u.VoiceURL != nil {
		params.SetVoiceUrl(*u.VoiceURL)
		params.SetVoiceMethod("POST")
	}
	if u.StatusCallback != nil {
		params.SetStatusCallback(*u.StatusCallback)
		params.SetStatusCallbackMethod("POST")
	}
	o := op{what: "update number " + sid, thing: "number"}
	n, err := p.session(ctx).api.UpdateIncomingPhoneNumber(sid, params)
	return answer(o, n, err, ownedNumber)
}

// ReleaseNumber gives a number back; ENOTFOUND when Twilio no longer has
// it.
func (p *Provider) ReleaseNumber(ctx context.Context, sid string) error {
	if err := checkSID(numberSIDRe, "phone number", sid); err != nil {
		return err
	}
	err := p.session(ctx).api.DeleteIncomingPhoneNumber(sid, nil)
	return mapError(op{what: "release number " + sid, thing: "number"}, err)
}

// maxPages bounds how many pages ListNumbers follows (1000 numbers each).
const maxPages = 100

// ListNumbers lists every number the account owns, following all pages.
// It follows next_page_uri by its Page and PageToken (twilio-go's List
// would append an absolute URI, which the spec allows, to the host), and
// refuses a list it cannot finish rather than return part of it: a
// number missing from the list is taken for a number gone.
func (p *Provider) ListNumbers(ctx context.Context) ([]dialer.OwnedNumber, error) {
	params := &openapi.ListIncomingPhoneNumberParams{}
	params.SetPageSize(1000)
	o := op{what: "list the account's numbers"}
	s := p.session(ctx)
	var out []dialer.OwnedNumber
	seen := map[string]bool{}
	token, page := "", ""
	for range maxPages {
		resp, err := s.api.PageIncomingPhoneNumber(params, token, page)
		if err != nil {
			return nil, mapError(o, err)
		}
		for i := range resp.IncomingPhoneNumbers {
			n, err := ownedNumber(&resp.IncomingPhoneNumbers[i])
			if err != nil {
				return nil, mapError(o, err)
			}
			out = append(out, n)
		}
		next := strings.TrimSpace(str(resp.NextPageUri))
		if next == "" {
			return out, nil
		}
		var q url.Values // nil when next is no URI: no page named
		if u, err := url.Parse(next); err == nil {
			q = u.Query()
		}
		token, page = q.Get("PageToken"), q.Get("Page")
		key := token + "\x00" + page
		if (token == "" && page == "") || seen[key] {
			return nil, mapError(o, fmt.Errorf("next_page_uri %q does not lead to a new page", next))
		}
		seen[key] = true
	}
	return nil, mapError(o, fmt.Errorf("more than %d pages of numbers", maxPages))
}

// CreateCall rings req.To from req.From with inline TwiML (see callTwiML).
// Only a 429 is retried; otherwise an unknown outcome is EUNAVAILABLE.
func (p *Provider) CreateCall(ctx context.Context, req dialer.CallRequest) (dialer.CallInfo, error) {
	if err := checkE164("the number to call", req.To); err != nil {
		return dialer.CallInfo{}, err
	}
	if err := checkE164("the caller ID", req.From); err != nil {
		return dialer.CallInfo{}, err
	}
	doc, err := callTwiML(req)
	if err != nil {
		return dialer.CallInfo{}, err
	}
	params := &openapi.CreateCallParams{}
	params.SetTo(req.To)
	params.SetFrom(req.From)
	params.SetTwiml(doc)
	if req.RingTimeout > 0 {
		params.SetTimeout(wholeSeconds(req.RingTimeout))
	}
	if req.TimeLimit > 0 {
		params.SetTimeLimit(wholeSeconds(req.TimeLimit))
	}
	if req.StatusCallback != "" {
		params.SetStatusCallback(req.StatusCallback)
		params.SetStatusCallbackMethod("POST")
		params.SetStatusCallbackEvent(statusEvents)
	}
	o := op{what: "place the call", thing: "call", acts: true,
		unknown: "Twilio did not confirm whether the call was placed; check the phone before trying again"}
	c, err := p.session(ctx).api.CreateCall(params)
	return answer(o, c, err, callInfo)
}

// wholeSeconds rounds d up to whole seconds, at least 1.
func wholeSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// FetchCall returns a call leg's current state.
func (p *Provider) FetchCall(ctx context.Context, sid string) (dialer.CallInfo, error) {
	if err := checkSID(callSIDRe, "call", sid); err != nil {
		return dialer.CallInfo{}, err
	}
	o := op{what: "look up call " + sid, thing: "call"}
	c, err := p.session(ctx).api.FetchCall(sid, nil)
	return answer(o, c, err, callInfo)
}

// UpdateCall bridges another party into a live call (new TwiML with
// <Dial>), or hangs it up: Status=completed, or canceled when Twilio
// refuses that because the call is still queued or ringing.
func (p *Provider) UpdateCall(ctx context.Context, sid string, u dialer.CallUpdate) (dialer.CallInfo, error) {
	if err := checkSID(callSIDRe, "call", sid); err != nil {
		return dialer.CallInfo{}, err
	}
	if (u.Dial != nil) == u.Hangup {
		return dialer.CallInfo{}, invalid("a call update either dials a number or hangs up (exactly one)")
	}
	s := p.session(ctx)
	if u.Dial != nil {
		doc, err := dialTwiML(*u.Dial)
		if err != nil {
			return dialer.CallInfo{}, err
		}
		o := op{what: "connect the other party", thing: "call"}
		c, err := s.api.UpdateCall(sid, (&openapi.UpdateCallParams{}).SetTwiml(doc))
		return answer(o, c, err, callInfo)
	}
	o := op{what: "hang up the call", thing: "call"}
	c, err := s.api.UpdateCall(sid, (&openapi.UpdateCallParams{}).SetStatus("completed"))
	if err == nil {
		info, err := callInfo(c)
		if err != nil || (info.Status != dialer.CallQueued && info.Status != dialer.CallRinging) {
			return info, mapError(o, err)
		}
		// "completed" ends only an answered call: cancel a ringing one.
	} else if !cancelMayHelp(err) {
		return dialer.CallInfo{}, mapError(o, err)
	}
	c2, err2 := s.api.UpdateCall(sid, (&openapi.UpdateCallParams{}).SetStatus("canceled"))
	if err2 != nil && err != nil {
		// Both refused: the first answer is the informative one.
		return dialer.CallInfo{}, mapError(o, err)
	}
	return answer(o, c2, err2, callInfo)
}

// cancelMayHelp reports whether a refused Status=completed may succeed as
// Status=canceled: Twilio refuses to complete a call that is not yet in
// progress with a 4xx other than auth, not-found and rate limits.
func cancelMayHelp(err error) bool {
	var tre *client.TwilioRestError
	if !errors.As(err, &tre) {
		return false
	}
	switch {
	case tre.Status == http.StatusUnauthorized, tre.Status == http.StatusForbidden,
		tre.Status == http.StatusNotFound, tre.Status == http.StatusTooManyRequests:
		return false
	case tre.Code == codeAuthenticate, tre.Code == codeNotFound, tre.Code == codeTooManyRequests:
		return false
	}
	return tre.Status >= 400 && tre.Status < 500
}

// ChildCalls lists the legs a call dialed: one page (up to 50), not all.
func (p *Provider) ChildCalls(ctx context.Context, parentSID string) ([]dialer.CallInfo, error) {
	if err := checkSID(callSIDRe, "call", parentSID); err != nil {
		return nil, err
	}
	params := &openapi.ListCallParams{}
	params.SetParentCallSid(parentSID)
	params.SetPageSize(50)
	o := op{what: "list the legs of call " + parentSID, thing: "call"}
	page, err := p.session(ctx).api.PageCall(params, "", "")
	if err != nil {
		return nil, mapError(o, err)
	}
	out := make([]dialer.CallInfo, 0, len(page.Calls))
	for i := range page.Calls {
		info, err := callInfo(&page.Calls[i])
		if err != nil {
			return nil, mapError(o, err)
		}
		out = append(out, info)
	}
	return out, nil
}

// Balance is the account's balance. Twilio's spec lets balance (and
// currency) be null, as it is for subaccounts: that is EBALANCEUNKNOWN,
// not an unreadable answer.
func (p *Provider) Balance(ctx context.Context) (dialer.Money, error) {
	o := op{what: "read the account balance", thing: "account"}
	b, err := p.session(ctx).api.FetchBalance(nil)
	if err != nil {
		return dialer.Money{}, mapError(o, err)
	}
	switch {
	case b == nil || strings.TrimSpace(str(b.Balance)) == "":
		return dialer.Money{}, dialer.Errorf(dialer.EBALANCEUNKNOWN,
			"Twilio does not tell this account's balance (it does not for subaccounts)")
	case strings.TrimSpace(str(b.Currency)) == "":
		return dialer.Money{}, dialer.Errorf(dialer.EBALANCEUNKNOWN,
			"Twilio tells this account's balance without its currency")
	}
	m, err := dialer.ParseMoney(str(b.Balance), str(b.Currency))
	if err != nil {
		return dialer.Money{}, mapError(o, fmt.Errorf("balance: %w", err))
	}
	return m, nil
}

// phoneNumberCountry is Pricing v1's phone-number price list for a
// country, with exact prices (twilio-go's model holds float32).
type phoneNumberCountry struct {
	IsoCountry        string `json:"iso_country"`
	PriceUnit         string `json:"price_unit"`
	PhoneNumberPrices []struct {
		NumberType   string  `json:"number_type"`
		BasePrice    decimal `json:"base_price"`
		CurrentPrice decimal `json:"current_price"`
	} `json:"phone_number_prices"`
}

// NumberMonthlyPrice is the monthly price of a local number in country
// (Pricing v1, the "local" entry's current price). The response is read
// raw because twilio-go's model holds prices as float32.
func (p *Provider) NumberMonthlyPrice(ctx context.Context, country string) (dialer.Money, error) {
	iso := strings.ToUpper(strings.TrimSpace(country))
	if !countryRe.MatchString(iso) {
		return dialer.Money{}, invalid("country %q is not a two-letter ISO code such as US", country)
	}
	o := op{what: "read the price of " + iso + " numbers", thing: "price list for " + iso}
	var pc phoneNumberCountry
	if err := p.session(ctx).getJSON(pricingBase+"/v1/PhoneNumbers/Countries/"+iso, nil, &pc); err != nil {
		return dialer.Money{}, mapError(o, err)
	}
	for _, np := range pc.PhoneNumberPrices {
		if np.NumberType != "local" {
			continue
		}
		if strings.TrimSpace(pc.PriceUnit) == "" { // null: the spec allows it
			return dialer.Money{}, dialer.Errorf(dialer.ENOTFOUND, "Twilio lists the price of local numbers in %s without its currency", iso)
		}
		price := np.CurrentPrice
		if !price.Valid {
			price = np.BasePrice
		}
		if !price.Valid {
			break
		}
		m, err := dialer.ParseMoney(price.Value, pc.PriceUnit)
		if err != nil {
			return dialer.Money{}, mapError(o, fmt.Errorf("local number price: %w", err))
		}
		return m, nil
	}
	return dialer.Money{}, dialer.Errorf(dialer.ENOTFOUND, "Twilio lists no price for local numbers in %s", iso)
}

// voiceNumber is Pricing v2's voice price for a destination, with
// nullable string prices: twilio-go v1.31.0 fails to decode it when
// inbound_call_price holds nulls ("unhandled input type for float32:
// <nil>"), which Twilio's own examples show.
type voiceNumber struct {
	DestinationNumber  string `json:"destination_number"`
	OriginationNumber  string `json:"origination_number"`
	PriceUnit          string `json:"price_unit"`
	OutboundCallPrices []struct {
		BasePrice           decimal  `json:"base_price"`
		CurrentPrice        decimal  `json:"current_price"`
		OriginationPrefixes []string `json:"origination_prefixes"`
	} `json:"outbound_call_prices"`
	InboundCallPrice *struct {
		BasePrice    decimal `json:"base_price"`
		CurrentPrice decimal `json:"current_price"`
		NumberType   *string `json:"number_type"`
	} `json:"inbound_call_price"`
}

// VoiceRate is the per-minute price of a call to `to` from `from`
// (Pricing v2). Of the outbound prices, the one whose origination prefix
// best matches `from` wins, then "ALL", then the highest.
func (p *Provider) VoiceRate(ctx context.Context, to, from string) (dialer.Money, error) {
	if err := checkE164("", to); err != nil {
		return dialer.Money{}, err
	}
	q := url.Values{}
	if from != "" {
		if err := checkE164("", from); err != nil {
			return dialer.Money{}, err
		}
		q.Set("OriginationNumber", from)
	}
	o := op{what: "read the per-minute rate to " + to, thing: "rate for " + to}
	var vn voiceNumber
	if err := p.session(ctx).getJSON(pricingBase+"/v2/Voice/Numbers/"+to, q, &vn); err != nil {
		return dialer.Money{}, mapError(o, err)
	}
	digits := strings.TrimPrefix(from, "+")
	best, bestScore := "", -1
	var bestAmt dialer.Amount
	for _, pr := range vn.OutboundCallPrices {
		price := pr.CurrentPrice
		if !price.Valid {
			price = pr.BasePrice
		}
		if !price.Valid {
			continue
		}
		amt, err := dialer.ParseAmount(price.Value)
		if err != nil {
			return dialer.Money{}, mapError(o, fmt.Errorf("outbound price: %w", err))
		}
		score := 0 // no prefix matches: ranked by price alone
		for _, pfx := range pr.OriginationPrefixes {
			switch {
			case strings.EqualFold(pfx, "ALL"):
				score = max(score, 1)
			case digits != "" && strings.HasPrefix(digits, pfx):
				score = max(score, 2+len(pfx))
			}
		}
		if score > bestScore || (score == bestScore && amt > bestAmt) {
			best, bestScore, bestAmt = price.Value, score, amt
		}
	}
	if bestScore < 0 {
		return dialer.Money{}, dialer.Errorf(dialer.ENOTFOUND, "Twilio lists no outbound rate to %s", to)
	}
	if strings.TrimSpace(vn.PriceUnit) == "" { // null: the spec allows it
		return dialer.Money{}, dialer.Errorf(dialer.ENOTFOUND, "Twilio lists the outbound rate to %s without its currency", to)
	}
	m, err := dialer.ParseMoney(best, vn.PriceUnit)
	if err != nil {
		return dialer.Money{}, mapError(o, fmt.Errorf("outbound price: %w", err))
	}
	return m, nil
}
