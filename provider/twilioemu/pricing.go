package twilioemu

import (
	"net/http"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// settleLocked prices the ended calls whose PriceDelay has passed and takes
// their cost from the balance. A leg costs its rate times its duration in
// started minutes; an unanswered leg costs nothing.
func (s *Server) settleLocked(now time.Time) {
	keep := s.unpriced[:0]
	for _, c := range s.unpriced {
		if now.Sub(c.End) < s.cfg.PriceDelay {
			keep = append(keep, c)
			continue
		}
		price := dialer.Amount(0)
		if c.Duration > 0 {
			price = c.Rate * dialer.Amount((c.Duration+59)/60)
		}
		c.Price = &price
		s.st.Balance -= price
	}
	for i := len(keep); i < len(s.unpriced); i++ {
		s.unpriced[i] = nil
	}
	s.unpriced = keep
}

func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.settleLocked(s.clk.now())
	bal, null := s.st.Balance, s.faults.nullBalance
	s.mu.Unlock()
	var shown *string // null: what Twilio sends for a subaccount
	if !null {
		shown = new(bal.String())
	}
	writeJSON(w, http.StatusOK, map[string]*string{
		"account_sid": &s.cfg.AccountSID,
		"balance":     shown,
		"currency":    new("USD"),
	})
}

type numberPriceJSON struct {
	NumberType   string `json:"number_type"`
	BasePrice    string `json:"base_price"`
	CurrentPrice string `json:"current_price"`
}

// handlePricingNumbers serves Pricing v1 /PhoneNumbers/Countries/{iso}.
func (s *Server) handlePricingNumbers(w http.ResponseWriter, r *http.Request) {
	iso := r.PathValue("iso")
	prices, ok := monthlyPrices[iso]
	if !ok {
		notFound(w, r)
		return
	}
	list := []numberPriceJSON{}
	for _, t := range []string{"local", "toll free"} {
		p := prices[t].String()
		list = append(list, numberPriceJSON{NumberType: t, BasePrice: p, CurrentPrice: p})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"country":             countryNames[iso],
		"iso_country":         iso,
		"phone_number_prices": list,
		"price_unit":          "USD",
		"url":                 "https://pricing.twilio.com/v1/PhoneNumbers/Countries/" + iso,
	})
}

// handlePricingVoiceNumber serves Pricing v2 /Voice/Numbers/{number}, with
// the null inbound prices Twilio's own examples show.
func (s *Server) handlePricingVoiceNumber(w http.ResponseWriter, r *http.Request) {
	dest := r.PathValue("number")
	country, ok := phoneCountry(dest)
	rate, priced := voiceRates[country]
	if !ok || !priced {
		notFound(w, r)
		return
	}
	var orig *string
	if o := r.Form.Get("OriginationNumber"); o != "" {
		orig = &o
	}
	p := rate.String()
	writeJSON(w, http.StatusOK, map[string]any{
		"country":            countryNames[country],
		"destination_number": dest,
		"inbound_call_price": map[string]any{"base_price": nil, "current_price": nil, "number_type": nil},
		"iso_country":        country,
		"origination_number": orig,
		"outbound_call_prices": []map[string]any{
			{"base_price": p, "current_price": p, "origination_prefixes": []string{"ALL"}},
		},
		"price_unit": "USD",
		"url":        "https://pricing.twilio.com/v2/Voice/Numbers/" + dest,
	})
}
