package twilio

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Twilio's spec lets balance and currency be null (subaccounts get a null
// balance): that is an unknown balance, not an unreadable answer.
func TestBalanceNullIsUnknown(t *testing.T) {
	for _, body := range []string{
		`{"account_sid": "` + testAccountSID + `", "balance": null, "currency": "USD"}`,
		`{"account_sid": "` + testAccountSID + `", "balance": null, "currency": null}`,
		`{"account_sid": "` + testAccountSID + `", "balance": "", "currency": "USD"}`,
		`{"account_sid": "` + testAccountSID + `", "balance": "5.00", "currency": null}`,
		`{"account_sid": "` + testAccountSID + `"}`,
	} {
		srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) })
		_, err := newTestProvider(t, srv.URL, nil).Balance(context.Background())
		if kindOf(err) != dialer.EBALANCEUNKNOWN {
			t.Errorf("%s: %v (kind %s), want balance_unknown", body, err, dialer.ErrorKind(err))
		}
	}
}

// An answer that cannot be read keeps what the adapter was doing and what
// was wrong in the user's sentence, on one line, for every operation.
func TestUnreadableAnswerSaysWhatAndWhy(t *testing.T) {
	cases := []struct {
		name string
		body string
		call func(p *Provider) error
		kind dialer.Kind
		want []string // in dialer.ErrorMessage, in order
	}{
		{"balance", `{"balance": "x", "currency": "USD"}`,
			func(p *Provider) error { _, err := p.Balance(context.Background()); return err },
			dialer.EINTERNAL, []string{"Could not read the account balance: Twilio's answer could not be read (", `amount "x": not a decimal number`}},
		{"balance currency", `{"balance": "1.00", "currency": "dollars"}`,
			func(p *Provider) error { _, err := p.Balance(context.Background()); return err },
			dialer.EINTERNAL, []string{"Could not read the account balance: Twilio's answer could not be read (", `currency "dollars"`}},
		{"voice rate", `{"price_unit": "USD", "outbound_call_prices": [{"current_price": "0.0.1", "origination_prefixes": ["ALL"]}]}`,
			func(p *Provider) error {
				_, err := p.VoiceRate(context.Background(), "+14155550100", "+14155550199")
				return err
			},
			dialer.EINTERNAL, []string{"Could not read the per-minute rate to +14155550100: Twilio's answer could not be read (", `outbound price: amount "0.0.1"`}},
		{"monthly price", `{"price_unit": "USD", "phone_number_prices": [{"number_type": "local", "current_price": "one"}]}`,
			func(p *Provider) error { _, err := p.NumberMonthlyPrice(context.Background(), "US"); return err },
			dialer.EINTERNAL, []string{"Could not read the price of US numbers: Twilio's answer could not be read (", `local number price: amount "one"`}},
		{"monthly price not JSON", `<html>`,
			func(p *Provider) error { _, err := p.NumberMonthlyPrice(context.Background(), "US"); return err },
			dialer.EINTERNAL, []string{"Could not read the price of US numbers: Twilio's answer could not be read (", "invalid character"}},
		{"call time", callJSON(testCallSID, "completed", `"start_time": "yesterday"`),
			func(p *Provider) error { _, err := p.FetchCall(context.Background(), testCallSID); return err },
			dialer.EINTERNAL, []string{"Could not look up call " + testCallSID + ": Twilio's answer could not be read (", `start_time: unreadable time "yesterday"`}},
		{"call price", callJSON(testCallSID, "completed", `"price": "-0,028"`),
			func(p *Provider) error { _, err := p.FetchCall(context.Background(), testCallSID); return err },
			dialer.EINTERNAL, []string{"Twilio's answer could not be read (", `price: amount "-0,028"`}},
		// Placing a call acts: the answer was a success, so the call is
		// probably placed, and the sentence says to look first.
		{"placed call", callJSON(testCallSID, "queued", `"duration": "soon"`),
			func(p *Provider) error {
				_, err := p.CreateCall(context.Background(), dialer.CallRequest{To: "+14155550100", From: "+14155550199", Say: "Hi"})
				return err
			},
			dialer.EUNAVAILABLE, []string{"Twilio did not confirm whether the call was placed", "(Twilio's answer could not be read: ", `duration: unreadable duration "soon"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tc.body) })
			err := tc.call(newTestProvider(t, srv.URL, nil))
			msg := dialer.ErrorMessage(err)
			if k := kindOf(err); k != tc.kind {
				t.Errorf("kind %s, want %s: %v", k, tc.kind, err)
			}
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("message %q lacks %q (in order)", msg, w)
					break
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message %q spans lines", msg)
			}
		})
	}
}

// A long odd value is cut in the sentence, on a character boundary.
func TestUnreadableDetailBounded(t *testing.T) {
	srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"balance": "`+strings.Repeat("é", 400)+`", "currency": "USD"}`)
	})
	_, err := newTestProvider(t, srv.URL, nil).Balance(context.Background())
	msg := dialer.ErrorMessage(err)
	if kindOf(err) != dialer.EINTERNAL || len(msg) > 300 || !strings.HasSuffix(msg, "…)") || !strings.HasPrefix(msg, "Could not read the account balance") {
		t.Errorf("message (%d bytes) %q", len(msg), msg)
	}
}

// Twilio's spec lets an available number's phone_number be null: such a
// row is no offer and is left out, as is one that is not E.164.
func TestSearchSkipsRowsWithoutANumber(t *testing.T) {
	srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"available_phone_numbers": [
			{"phone_number": null, "friendly_name": null, "locality": null, "region": null, "iso_country": "US", "capabilities": null},
			{"phone_number": "+14155550123", "friendly_name": "(415) 555-0123", "region": "CA", "iso_country": "US",
			 "capabilities": {"voice": true, "SMS": false, "MMS": false}},
			{"phone_number": "", "iso_country": "US"},
			{"phone_number": "415 555 0124", "iso_country": "US"},
			{"iso_country": "US"}],
			"next_page_uri": null}`)
	})
	got, err := newTestProvider(t, srv.URL, nil).SearchNumbers(context.Background(), dialer.NumberQuery{Country: "US", AreaCode: "415"})
	if err != nil {
		t.Fatal(kindOf(err), err)
	}
	if len(got) != 1 || got[0].PhoneNumber != "+14155550123" || !got[0].Voice {
		t.Errorf("got %+v, want only +14155550123", got)
	}
}

// next_page_uri may be absolute (the spec's format is "uri"): ListNumbers
// follows it by its Page and PageToken. One that leads nowhere new is an
// unreadable answer, not an endless loop nor a "no such resource".
func TestListNumbersPaging(t *testing.T) {
	base := "/2010-04-01/Accounts/" + testAccountSID + "/IncomingPhoneNumbers.json"
	for _, tc := range []struct {
		name, next string
		want       int         // numbers listed; -1: an error
		kind       dialer.Kind // when want is -1
	}{
		{"absolute", "https://api.twilio.com" + base + "?PageSize=1000&Page=1&PageToken=PAabc", 2, ""},
		{"relative", base + "?PageSize=1000&Page=1&PageToken=PAabc", 2, ""},
		{"the same page again", base + "?PageSize=1000&Page=0", -1, dialer.EINTERNAL},
		{"no page named", "https://example.com/elsewhere", -1, dialer.EINTERNAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeTwilio(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != base {
					twilioError(w, 404, 20404, "The requested resource "+r.URL.Path+" was not found")
					return
				}
				if r.URL.Query().Get("Page") == "1" && r.URL.Query().Get("PageToken") == "PAabc" {
					writeJSON(w, 200, `{"incoming_phone_numbers": [`+numberJSON("PN1123456789abcdef0123456789abcdef", "+14155550002", "b")+`], "next_page_uri": null}`)
					return
				}
				writeJSON(w, 200, `{"incoming_phone_numbers": [`+numberJSON(testNumberSID, "+14155550001", "a")+`], "next_page_uri": "`+tc.next+`"}`)
			})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			got, err := newTestProvider(t, srv.URL, nil).ListNumbers(ctx)
			switch {
			case tc.want >= 0 && (err != nil || len(got) != tc.want):
				t.Errorf("got %d numbers, %v; want %d", len(got), err, tc.want)
			case tc.want < 0 && (kindOf(err) != tc.kind || !strings.Contains(dialer.ErrorMessage(err), "next_page_uri")):
				t.Errorf("got %d numbers, %v (kind %s); want %s naming next_page_uri", len(got), err, dialer.ErrorKind(err), tc.kind)
			}
		})
	}
}
