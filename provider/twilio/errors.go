package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/twilio/twilio-go/client"

	"github.com/dialer-dev/dialer/dialer"
)

// Twilio error codes the adapter maps to kinds.
const (
	codeTrialAccount     = 10002
	codeAuthenticate     = 20003
	codeNotFound         = 20404
	codeTooManyRequests  = 20429
	codeCallNotInProg    = 21220
	codeNotAvailable     = 21422
	codeInvalidAreaCode  = 21451
	codeAddressRequired  = 21631
	codeCertificationReq = 21613
)

// op describes what the adapter was doing, for messages and for knowing
// whether an unknown outcome matters.
type op struct {
	what  string // "buy a number", "release number PN…"
	thing string // what a 404 means is missing: "number", "call"
	// acts: the request may change state at Twilio and is not retried; an
	// unknown outcome is reported as EUNAVAILABLE with a sentence saying so.
	acts    bool
	unknown string // sentence for an unknown outcome
}

// mapError turns anything twilio-go or the transport returned into a
// *dialer.Error with a sentence a user understands. Secrets never reach
// these messages: requests carry credentials only in a header that no
// error includes.
func mapError(o op, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*dialer.Error); ok {
		return err // already says what went wrong
	}
	var tre *client.TwilioRestError
	if errors.As(err, &tre) {
		return restError(o, tre)
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return restError(o, &client.TwilioRestError{Code: v1.Code, Message: v1.Message, Status: v1.HttpStatusCode})
	}
	var he *HostError
	if errors.As(err, &he) {
		return &dialer.Error{Kind: dialer.EINVALID, Message: fmt.Sprintf("Could not %s: the Twilio adapter is not configured to reach %s", o.what, he.Host), Err: err}
	}
	var re *RequestError
	if errors.As(err, &re) {
		switch {
		case re.MayHaveActed && o.acts:
			return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: o.unknownSentence(), Err: err}
		case re.Status != 0:
			return statusError(o, re.Status, http.StatusText(re.Status), err)
		case re.Canceled:
			return &dialer.Error{Kind: dialer.ECANCELED, Message: fmt.Sprintf("Stopped before Twilio answered (%s)", o.what), Err: err}
		case errors.Is(err, context.DeadlineExceeded):
			return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: fmt.Sprintf("Could not %s: Twilio did not answer in time; try again in a moment", o.what), Err: err}
		}
		return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: fmt.Sprintf("Could not %s: Twilio could not be reached; try again in a moment", o.what), Err: err}
	}
	// A response arrived (2xx) but could not be read, or a value in it
	// (err says which; it may wrap a *dialer.Error such as an amount that
	// does not parse): the sentence says what was being done and keeps
	// what was wrong on its first line.
	detail := unreadableDetail(err)
	cause := unreadable{err}
	if o.acts {
		// The action probably happened; the caller must look before
		// repeating it.
		return &dialer.Error{Kind: dialer.EUNAVAILABLE, Message: fmt.Sprintf("%s (Twilio's answer could not be read: %s)", o.unknownSentence(), detail), Err: cause}
	}
	return &dialer.Error{Kind: dialer.EINTERNAL, Message: fmt.Sprintf("Could not %s: Twilio's answer could not be read (%s)", o.what, detail), Err: cause}
}

// unreadable holds what was wrong with an answer without unwrapping to
// it: the sentence already says it (bounded), and dialer.ErrorMessage
// would otherwise add a *dialer.Error inside it again, in full.
type unreadable struct{ err error }

func (u unreadable) Error() string { return u.err.Error() }

// maxDetail bounds how much of an unreadable answer's description a
// message repeats.
const maxDetail = 200

// unreadableDetail describes what in Twilio's answer could not be read,
// on one line and at most maxDetail bytes (the values it quotes come from
// the response).
func unreadableDetail(err error) string {
	d := strings.Join(strings.Fields(err.Error()), " ")
	if len(d) > maxDetail {
		cut := maxDetail
		for cut > 0 && !utf8.RuneStart(d[cut]) {
			cut--
		}
		d = d[:cut] + "…"
	}
	return d
}

func (o op) unknownSentence() string {
	if o.unknown != "" {
		return o.unknown
	}
	return fmt.Sprintf("Twilio did not confirm whether it did %s; look before trying again", o.what)
}

func restError(o op, e *client.TwilioRestError) error {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	mk := func(k dialer.Kind, sentence string) error {
		return &dialer.Error{Kind: k, Message: sentence, Err: e}
	}
	switch e.Code {
	case codeNotAvailable:
		return mk(dialer.ENOTAVAILABLE, "That phone number is not available to buy; pick another one")
	case codeInvalidAreaCode:
		return mk(dialer.EAREACODE, "Twilio does not recognise that area code")
	case codeAddressRequired, codeCertificationReq:
		return mk(dialer.EADDRESS, "Twilio requires a registered address or certification before buying a number there")
	case codeTrialAccount:
		return mk(dialer.EACCOUNT, "The Twilio account is a trial or restricted account and cannot do that; upgrade it in the Twilio console")
	case codeAuthenticate:
		return mk(dialer.EAUTH, authSentence)
	case codeTooManyRequests:
		return mk(dialer.ERATELIMIT, "Twilio asked us to slow down; try again in a moment")
	case codeCallNotInProg:
		return mk(dialer.ECALLENDED, "The call has already ended")
	case codeNotFound:
		return mk(dialer.ENOTFOUND, fmt.Sprintf("Twilio has no such %s", o.thingOr("resource")))
	}
	if o.acts && e.Status >= 500 {
		return mk(dialer.EUNAVAILABLE, o.unknownSentence())
	}
	return statusError(o, e.Status, fmt.Sprintf("%s (Twilio error %d)", msg, e.Code), e)
}

const authSentence = "Twilio refused the credentials; check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)"

func statusError(o op, status int, detail string, cause error) error {
	k, sentence := dialer.EINVALID, fmt.Sprintf("Twilio refused to %s: %s", o.what, detail)
	switch {
	case status == http.StatusUnauthorized:
		k, sentence = dialer.EAUTH, authSentence
	case status == http.StatusForbidden:
		k, sentence = dialer.EACCOUNT, fmt.Sprintf("The Twilio account may not %s: %s", o.what, detail)
	case status == http.StatusNotFound:
		k, sentence = dialer.ENOTFOUND, fmt.Sprintf("Twilio has no such %s", o.thingOr("resource"))
	case status == http.StatusTooManyRequests:
		k, sentence = dialer.ERATELIMIT, "Twilio asked us to slow down; try again in a moment"
	case status >= 500:
		k, sentence = dialer.EUNAVAILABLE, fmt.Sprintf("Could not %s: Twilio is having trouble (HTTP %d); try again in a moment", o.what, status)
		if o.acts {
			sentence = o.unknownSentence()
		}
	}
	return &dialer.Error{Kind: k, Message: sentence, Err: cause}
}

func (o op) thingOr(def string) string {
	if o.thing != "" {
		return o.thing
	}
	return def
}
