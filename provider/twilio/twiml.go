package twilio

import (
	"strconv"
	"time"

	"github.com/twilio/twilio-go/twiml"

	"github.com/dialer-dev/dialer/dialer"
)

// maxTwiML is Twilio's limit on inline TwiML (the Twiml parameter).
const maxTwiML = 4000

// defaultHold is how long a call with neither Gather nor Dial waits
// silently for UpdateCall when CallRequest.Hold is zero.
const defaultHold = 10 * time.Minute

// statusEvents are the call progress events sent to a status callback.
var statusEvents = []string{"initiated", "ringing", "answered", "completed"}

// callTwiML is the TwiML a created call runs once answered: <Say> the
// text, then <Gather> one digit, or <Dial> the other party, or <Pause>
// silently while the program decides (the webhook-free bridge). Built
// only with twilio-go's twiml package, which escapes text and attributes.
func callTwiML(req dialer.CallRequest) (string, error) {
	var verbs []twiml.Element
	if req.Say != "" {
		verbs = append(verbs, twiml.VoiceSay{Message: req.Say})
	}
	switch {
	case req.Gather != nil && req.Dial != nil:
		return "", dialer.Errorf(dialer.EINVALID, "a call either gathers a digit or dials a number, not both")
	case req.Gather != nil:
		g := req.Gather
		if g.ActionURL == "" {
			return "", dialer.Errorf(dialer.EINVALID, "gathering a keypad digit needs an action URL to post it to (inline TwiML has no document URL)")
		}
		el := twiml.VoiceGather{Input: "dtmf", NumDigits: "1", Action: g.ActionURL, Method: "POST"}
		if g.Timeout > 0 {
			el.Timeout = strconv.Itoa(wholeSeconds(g.Timeout))
		}
		if g.Prompt != "" {
			el.InnerElements = []twiml.Element{twiml.VoiceSay{Message: g.Prompt}}
		}
		verbs = append(verbs, el)
	case req.Dial != nil:
		el, err := dialVerb(*req.Dial)
		if err != nil {
			return "", err
		}
		verbs = append(verbs, el)
	default:
		hold := req.Hold
		if hold <= 0 {
			hold = defaultHold
		}
		verbs = append(verbs, twiml.VoicePause{Length: strconv.Itoa(wholeSeconds(hold))})
	}
	return render(verbs)
}

// dialTwiML is the TwiML pushed into a live call to bridge another party.
func dialTwiML(d dialer.Dial) (string, error) {
	el, err := dialVerb(d)
	if err != nil {
		return "", err
	}
	return render([]twiml.Element{el})
}

func dialVerb(d dialer.Dial) (twiml.Element, error) {
	if err := checkE164("the number to dial", d.To); err != nil {
		return nil, err
	}
	if d.CallerID != "" {
		if err := checkE164("the caller ID", d.CallerID); err != nil {
			return nil, err
		}
	}
	num := twiml.VoiceNumber{PhoneNumber: d.To}
	if d.MachineDetection {
		num.MachineDetection = "Enable"
	}
	if d.StatusCallback != "" {
		num.StatusCallback = d.StatusCallback
		num.StatusCallbackMethod = "POST"
		num.StatusCallbackEvent = "initiated ringing answered completed"
	}
	dial := twiml.VoiceDial{CallerId: d.CallerID, InnerElements: []twiml.Element{num}}
	if d.RingTimeout > 0 {
		dial.Timeout = strconv.Itoa(wholeSeconds(d.RingTimeout))
	}
	return dial, nil
}

func render(verbs []twiml.Element) (string, error) {
	s, err := twiml.Voice(verbs)
	if err != nil {
		return "", dialer.Wrap(dialer.EINTERNAL, err, "could not build the call instructions")
	}
	if len(s) > maxTwiML {
		return "", dialer.Errorf(dialer.EINVALID, "the call instructions are %d characters long; Twilio accepts at most %d (shorten the spoken text)", len(s), maxTwiML)
	}
	return s, nil
}
