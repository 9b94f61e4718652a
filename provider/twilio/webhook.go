package twilio

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/twiml"

	"github.com/dialer-dev/dialer/dialer"
)

// WebhookHooks connect the webhook server to the call sessions. Either
// may be nil. Both are called synchronously, from the request's goroutine,
// possibly concurrently for different calls: Twilio waits for the answer
// (15 s at most), so they must return quickly.
type WebhookHooks struct {
	// Digits is called when the callee of call callSID pressed keys in a
	// <Gather>. It returns the party to dial into that call, or ok=false to
	// say goodbye and hang up. A Dial without StatusCallback gets
	// StatusURL, so that the dialed leg reports too.
	Digits func(callSID, digits string) (d dialer.Dial, ok bool)
	// Status is called for each status callback: the call's SID, its
	// parent's SID (child legs), status, answered-by, duration, as
	// dialer.CallInfo (filled from what the form has; see
	// NewWebhookHandler).
	Status func(info dialer.CallInfo)
	// Inbound is called when someone calls one of the account's numbers
	// (its voice URL is VoiceURL). It says whom to ring, showing the
	// caller's number, or what to say before hanging up. Nil: the caller
	// hears that nobody can take the call.
	Inbound func(in dialer.InboundCall) dialer.Route
	// Unanswered is called when the phone rung for inbound call callSID
	// did not answer (or was busy): it returns what to say before hanging
	// up.
	Unanswered func(callSID string) string
}

// Webhook paths, relative to the public base URL.
const (
	GatherPath = dialer.WebhookGatherPath
	StatusPath = dialer.WebhookStatusPath
	// VoicePath answers calls to our numbers (their VoiceUrl);
	// VoiceDialedPath is the action of the <Dial> it answers with.
	VoicePath       = dialer.WebhookVoicePath
	VoiceDialedPath = dialer.WebhookVoicePath + "/dialed"
)

// maxWebhookBody bounds a webhook request body. Twilio's voice webhooks
// are a few hundred bytes.
const maxWebhookBody = 64 << 10

// digitsRe is what a <Gather> can post as Digits: keypad keys.
var digitsRe = regexp.MustCompile(`^[0-9*#]{1,32}$`)

// Spoken before hanging up.
const (
	goodbyeText = "Goodbye."
	failedText  = "Sorry, the call could not be connected. Goodbye."
)

// GatherURL is the Gather action URL under publicBaseURL: publicBaseURL +
// GatherPath, without a doubled slash.
func GatherURL(publicBaseURL string) string { return joinURL(publicBaseURL, GatherPath) }

// StatusURL is the status callback URL under publicBaseURL.
func StatusURL(publicBaseURL string) string { return joinURL(publicBaseURL, StatusPath) }

// VoiceURL is the voice URL of our numbers under publicBaseURL.
func VoiceURL(publicBaseURL string) string { return joinURL(publicBaseURL, VoicePath) }

func joinURL(base, path string) string { return strings.TrimRight(base, "/") + path }

// webhookHandler serves Twilio's webhooks. It holds no mutable state.
type webhookHandler struct {
	validator client.RequestValidator // holds the auth token; never logged
	base      string                  // publicBaseURL as given, trailing slashes dropped
	basePath  string                  // its path ("/hooks"), "" for none
	statusURL string
	hooks     WebhookHooks
	log       *slog.Logger

	goodbye, failed, empty, hangup []byte // fixed TwiML answers
}

// NewWebhookHandler serves GatherPath, StatusPath, VoicePath (calls to
// our numbers: hooks.Inbound says whom to ring, showing the caller's
// number) and VoiceDialedPath (after that ring: hang up once answered,
// else say hooks.Unanswered's message). publicBaseURL is
// the URL Twilio calls (e.g. https://dialer.example.com/hooks or, in
// tests, http://127.0.0.1:PORT); signatures are checked against
// publicBaseURL + path (+ the query string as received), NOT the local
// listener address. authToken is the account auth token Twilio signs with
// (an API key secret cannot check signatures).
//
// The handler answers requests for GatherPath and StatusPath, and for the
// same paths under publicBaseURL's path (/hooks/twilio/gather), so it can
// be mounted behind a proxy that strips the prefix or one that keeps it.
// Every request must be a POST (405), its form-encoded body at most 64 KiB
// (413, 415, 400), carry a valid X-Twilio-Signature (403), and name a
// well-formed CallSid (400). Other paths answer 404.
//
// A Gather action with keys pressed calls hooks.Digits and answers
// <Dial><Number> with the party it returns; with no keys, no hook, ok
// false or a Dial that cannot be built (logged) it answers <Say> goodbye
// and <Hangup/>.
//
// A status callback calls hooks.Status with SID, ParentSID, To, From,
// Direction, AnsweredBy, Status ("initiated" is reported as queued; an
// unknown status answers 400), Duration (CallDuration) and, from
// Timestamp, StartedAt for in-progress or EndedAt (and StartedAt =
// EndedAt - Duration when answered) for an ended leg. It answers an empty
// <Response/>.
func NewWebhookHandler(authToken, publicBaseURL string, hooks WebhookHooks, log *slog.Logger) (http.Handler, error) {
	if authToken == "" {
		return nil, dialer.Errorf(dialer.EINVALID, "checking webhook signatures needs the account's auth token (an API key secret cannot check them)")
	}
	if !authTokenRe.MatchString(authToken) {
		return nil, dialer.Errorf(dialer.EINVALID, "the auth token for webhook signatures does not look like a Twilio auth token (want 32 hexadecimal digits, got %d characters)", len(authToken))
	}
	u, err := parseBaseURL("the public webhook URL", publicBaseURL)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &webhookHandler{
		validator: client.NewRequestValidator(authToken),
		base:      strings.TrimRight(publicBaseURL, "/"),
		basePath:  u.Path,
		statusURL: StatusURL(publicBaseURL),
		hooks:     hooks,
		log:       log,
	}
	for _, a := range []struct {
		dst   *[]byte
		verbs []twiml.Element
	}{
		{&h.goodbye, []twiml.Element{twiml.VoiceSay{Message: goodbyeText}, twiml.VoiceHangup{}}},
		{&h.failed, []twiml.Element{twiml.VoiceSay{Message: failedText}, twiml.VoiceHangup{}}},
		{&h.empty, nil},
		{&h.hangup, []twiml.Element{twiml.VoiceHangup{}}},
	} {
		s, err := render(a.verbs)
		if err != nil {
			return nil, err
		}
		*a.dst = []byte(s)
	}
	return h, nil
}

// route says which webhook a request path is for: GatherPath, StatusPath
// or "".
func (h *webhookHandler) route(path string) string {
	if h.basePath != "" {
		if rest, ok := strings.CutPrefix(path, h.basePath); ok && strings.HasPrefix(rest, "/") {
			path = rest
		}
	}
	switch path {
	case GatherPath, StatusPath, VoicePath, VoiceDialedPath:
		return path
	}
	return ""
}

func (h *webhookHandler) refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	level := slog.LevelWarn
	if code == http.StatusNotFound {
		level = slog.LevelDebug // scanners
	}
	h.log.Log(r.Context(), level, "twilio webhook refused", "path", r.URL.Path, "status", code, "reason", reason, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(code)+": "+reason, code)
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := h.route(r.URL.Path)
	if path == "" {
		h.refuse(w, r, http.StatusNotFound, "no such webhook")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "webhooks are POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		h.refuse(w, r, http.StatusUnsupportedMediaType, "want a form-encoded body")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "unreadable form")
		return
	}

	// The signature covers the URL Twilio was given (the public one, with
	// the query string as received) and the POST parameters. twilio-go's
	// validator takes one value per name: the first, which is also the
	// only one this handler reads.
	signed := h.base + path
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		signed += "?" + r.URL.RawQuery
	}
	params := make(map[string]string, len(r.PostForm))
	for k, vs := range r.PostForm {
		params[k] = vs[0]
	}
	sig := r.Header.Get("X-Twilio-Signature")
	switch {
	case sig == "":
		h.refuse(w, r, http.StatusForbidden, "missing signature")
		return
	case !h.validator.Validate(signed, params, sig):
		h.refuse(w, r, http.StatusForbidden, "bad signature")
		return
	}
	for _, vs := range r.PostForm {
		if len(vs) > 1 {
			h.refuse(w, r, http.StatusBadRequest, "repeated parameter")
			return
		}
	}
	callSID := params["CallSid"]
	if !callSIDRe.MatchString(callSID) {
		h.refuse(w, r, http.StatusBadRequest, "CallSid is not a call SID")
		return
	}
	switch path {
	case GatherPath:
		h.gather(w, r, callSID, params)
	case VoicePath:
		h.voice(w, callSID, params)
	case VoiceDialedPath:
		h.dialed(w, callSID, params)
	default:
		h.status(w, r, callSID, params)
	}
}

func (h *webhookHandler) writeTwiML(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}

func (h *webhookHandler) gather(w http.ResponseWriter, r *http.Request, callSID string, params map[string]string) {
	digits := params["Digits"]
	if digits == "" {
		// Gather timed out and Twilio posted anyway (actionOnEmptyResult).
		h.log.Info("twilio gather: no keys pressed", "call", callSID)
		h.writeTwiML(w, h.goodbye)
		return
	}
	if !digitsRe.MatchString(digits) {
		h.refuse(w, r, http.StatusBadRequest, "Digits are not keypad keys")
		return
	}
	if h.hooks.Digits == nil {
		h.log.Info("twilio gather: no session to connect", "call", callSID)
		h.writeTwiML(w, h.goodbye)
		return
	}
	d, ok := h.hooks.Digits(callSID, digits)
	if !ok {
		h.log.Info("twilio gather: not connecting", "call", callSID)
		h.writeTwiML(w, h.goodbye)
		return
	}
	if d.StatusCallback == "" {
		d.StatusCallback = h.statusURL
	}
	doc, err := dialTwiML(d)
	if err != nil {
		// The hook returned something unusable: end the call politely
		// rather than let Twilio play its application-error message.
		h.log.Error("twilio gather: cannot dial", "call", callSID, "err", err)
		h.writeTwiML(w, h.failed)
		return
	}
	h.log.Info("twilio gather: connecting", "call", callSID, "to", d.To)
	h.writeTwiML(w, []byte(doc))
}

func (h *webhookHandler) status(w http.ResponseWriter, r *http.Request, callSID string, params map[string]string) {
	info, reason := statusInfo(callSID, params)
	if reason != "" {
		h.refuse(w, r, http.StatusBadRequest, reason)
		return
	}
	h.log.Debug("twilio status callback", "call", callSID, "parent", info.ParentSID, "status", info.Status)
	if h.hooks.Status != nil {
		h.hooks.Status(info)
	}
	h.writeTwiML(w, h.empty)
}

// voice answers a call to one of our numbers: ring whoever the hook
// names, showing the caller's number when it is one, or say the message.
func (h *webhookHandler) voice(w http.ResponseWriter, callSID string, params map[string]string) {
	in := dialer.InboundCall{SID: callSID, From: params["From"], To: params["To"]}
	r := dialer.Route{Message: dialer.DefaultInboundMessage}
	if h.hooks.Inbound != nil {
		r = h.hooks.Inbound(in)
	}
	if r.Message == "" {
		r.Message = dialer.DefaultInboundMessage
	}
	var verbs []twiml.Element
	if r.Ring != "" {
		callerID := ""
		if checkE164("", in.From) == nil {
			callerID = in.From // Twilio lets a forwarded call show its caller
		}
		d := dialer.Dial{To: r.Ring, CallerID: callerID, RingTimeout: r.Timeout, StatusCallback: h.statusURL}
		el, err := dialVerb(d)
		if err == nil {
			dial := el.(twiml.VoiceDial)
			dial.Action, dial.Method = h.base+VoiceDialedPath, "POST"
			verbs = []twiml.Element{dial}
		} else {
			h.log.Error("twilio voice: cannot ring", "call", callSID, "err", err)
		}
	}
	if verbs == nil {
		verbs = []twiml.Element{twiml.VoiceSay{Message: r.Message}, twiml.VoiceHangup{}}
	}
	doc, err := render(verbs)
	if err != nil {
		h.log.Error("twilio voice: cannot answer", "call", callSID, "err", err)
		h.writeTwiML(w, h.failed)
		return
	}
	h.log.Info("twilio voice: inbound call", "call", callSID, "ringing", r.Ring != "")
	h.writeTwiML(w, []byte(doc))
}

// dialed follows the <Dial> of an inbound call: once the agent has
// talked to the caller, hang up; else say the message.
func (h *webhookHandler) dialed(w http.ResponseWriter, callSID string, params map[string]string) {
	if params["DialCallStatus"] == string(dialer.CallCompleted) {
		h.writeTwiML(w, h.hangup)
		return
	}
	msg := dialer.DefaultInboundMessage
	if h.hooks.Unanswered != nil {
		if m := h.hooks.Unanswered(callSID); m != "" {
			msg = m
		}
	}
	doc, err := render([]twiml.Element{twiml.VoiceSay{Message: msg}, twiml.VoiceHangup{}})
	if err != nil {
		h.writeTwiML(w, h.failed)
		return
	}
	h.writeTwiML(w, []byte(doc))
}

// statusInfo reads a status callback's form, or says what is wrong with
// it.
func statusInfo(callSID string, p map[string]string) (dialer.CallInfo, string) {
	info := dialer.CallInfo{
		SID:        callSID,
		ParentSID:  p["ParentCallSid"],
		To:         p["To"],
		From:       p["From"],
		Direction:  p["Direction"],
		AnsweredBy: p["AnsweredBy"],
	}
	if info.ParentSID != "" && !callSIDRe.MatchString(info.ParentSID) {
		return info, "ParentCallSid is not a call SID"
	}
	switch s := dialer.CallStatus(p["CallStatus"]); s {
	case "initiated":
		info.Status = dialer.CallQueued
	case dialer.CallQueued, dialer.CallRinging, dialer.CallInProgress, dialer.CallCompleted,
		dialer.CallBusy, dialer.CallFailed, dialer.CallNoAnswer, dialer.CallCanceled:
		info.Status = s
	default:
		return info, "unknown CallStatus"
	}
	var err error
	if v, ok := p["CallDuration"]; ok {
		if info.Duration, err = parseSeconds(&v); err != nil {
			return info, "unreadable CallDuration"
		}
	}
	if v, ok := p["Timestamp"]; ok {
		ts, err := parseTime(&v)
		if err != nil {
			return info, "unreadable Timestamp"
		}
		switch {
		case ts.IsZero():
		case info.Status.Ended():
			info.EndedAt = ts
			if info.Duration > 0 {
				info.StartedAt = ts.Add(-info.Duration)
			}
		case info.Status == dialer.CallInProgress:
			info.StartedAt = ts
		}
	}
	return info, ""
}
