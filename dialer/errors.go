package dialer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error so that a UI or a script can act on it without
// parsing strings.
type Kind string

// Error kinds. Their string values are stable: they appear in --json output.
const (
	EINVALID         Kind = "invalid"               // input the user must correct
	ENOTFOUND        Kind = "not_found"             // no such thing
	ECONFLICT        Kind = "conflict"              // clashes with what exists
	ELIMIT           Kind = "limit_reached"         // the organization's maximum
	ENOTAVAILABLE    Kind = "number_not_available"  // no number to buy there
	EAREACODE        Kind = "invalid_area_code"     // the provider does not know the area code
	EADDRESS         Kind = "address_required"      // regulatory address or certification needed
	EACCOUNT         Kind = "account_restricted"    // trial or restricted account
	EAUTH            Kind = "auth"                  // credentials refused
	ERATELIMIT       Kind = "rate_limited"          // provider asked us to slow down
	EUNAVAILABLE     Kind = "provider_unavailable"  // provider down, timed out or unreachable
	ECALLENDED       Kind = "call_ended"            // the call is already over
	ECANCELED        Kind = "canceled"              // the user or a deadline stopped it
	EINTERNAL        Kind = "internal"              // a bug or an unexpected failure
	EPURCHASEUNKNOWN Kind = "purchase_unknown"      // the provider did not say whether a purchase happened
	EREFUSED         Kind = "refused"               // a policy refuses the call: do-not-call, balance, daily cap
	EHOURS           Kind = "outside_calling_hours" // outside the callee's calling hours; overridable with a reason
	EBALANCEUNKNOWN  Kind = "balance_unknown"       // the provider does not tell the balance (a subaccount, say)
	EBUSY            Kind = "contact_busy"          // another agent is on a call with the contact
)

// Error is an error with a kind and a sentence a user understands.
type Error struct {
	Kind    Kind
	Message string // plain sentence for the user; never holds credentials
	Err     error  // cause, may be nil
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return e.Message + ": " + e.Err.Error()
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Kind)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of kind with a formatted message. A %w verb wraps
// its operand as the cause.
func Errorf(kind Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap returns err as an *Error of kind with message in front, unless err is
// nil.
func Wrap(kind Kind, err error, message string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Message: message, Err: err}
}

// ErrorKind returns the kind of the outermost *Error in err's chain,
// ECANCELED for context errors and EINTERNAL for anything else.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ECANCELED
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing sentence of err: the message of the
// outermost *Error, or a generic sentence for an error without one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		// A message that only says what it is about ("contact Ann")
		// needs its cause's sentence too.
		var cause *Error
		if e.Err != nil && errors.As(e.Err, &cause) && cause.Message != "" && !strings.Contains(e.Message, cause.Message) {
			return e.Message + ": " + ErrorMessage(e.Err)
		}
		return e.Message
	}
	if err == nil {
		return ""
	}
	return KindSentence(ErrorKind(err))
}

// KindSentence is a generic sentence for a kind, for errors that carry none.
func KindSentence(k Kind) string {
	switch k {
	case EINVALID:
		return "Something in the input is not valid."
	case ENOTFOUND:
		return "Not found."
	case ECONFLICT:
		return "That clashes with something that already exists."
	case ELIMIT:
		return "The organization's number limit is reached."
	case ENOTAVAILABLE:
		return "No phone number is available there right now."
	case EAREACODE:
		return "The provider does not recognise that area code."
	case EADDRESS:
		return "A registered address is required to buy a number there."
	case EACCOUNT:
		return "The provider account is restricted (a trial account, for example)."
	case EAUTH:
		return "The provider refused the credentials."
	case ERATELIMIT:
		return "The provider asked us to slow down; try again in a moment."
	case EUNAVAILABLE:
		return "The provider could not be reached; try again in a moment."
	case ECALLENDED:
		return "The call has already ended."
	case ECANCELED:
		return "Stopped before it finished."
	case EREFUSED:
		return "The call is not allowed."
	case EHOURS:
		return "It is outside calling hours where the contact is."
	case EBALANCEUNKNOWN:
		return "The provider does not tell the account balance, so it cannot be checked."
	case EPURCHASEUNKNOWN:
		return "The provider did not confirm the purchase; it will be checked before anything is charged."
	}
	return "Something went wrong."
}
