package twilioemu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/nyaruka/phonenumbers"
)

// Call statuses, as Twilio names them.
const (
	stQueued     = "queued"
	stRinging    = "ringing"
	stInProgress = "in-progress"
	stCompleted  = "completed"
	stBusy       = "busy"
	stFailed     = "failed"
	stNoAnswer   = "no-answer"
	stCanceled   = "canceled"
)

const (
	dirAPI  = "outbound-api"
	dirDial = "outbound-dial"
)

// callee is what the called party does, decided by the last four digits
// of the number called.
type callee int

const (
	calleeHuman   callee = iota // answers, presses keys, hangs up after TalkTime
	calleeBusy                  // ...1111
	calleeNoAns                 // ...2222
	calleeMachine               // ...3333 voicemail: answers, hangs up after MachineTime
	calleeFail                  // ...4444
	calleeSilent                // ...5555 answers like a human but never presses a key
)

func calleeFor(to string) callee {
	if len(to) < 4 {
		return calleeHuman
	}
	switch to[len(to)-4:] {
	case "1111":
		return calleeBusy
	case "2222":
		return calleeNoAns
	case "3333":
		return calleeMachine
	case "4444":
		return calleeFail
	case "5555":
		return calleeSilent
	}
	return calleeHuman
}

// calleeLocked is what the callee of a new leg to to from from does: as
// calleeFor says, unless the leg is a <Dial> child (dialed, true) from a
// caller ID whose answer rate is set (SetAnswerRate) and the leg falls in
// the share that goes unanswered.
func (s *Server) calleeLocked(dialed bool, to, from string) callee {
	cl := calleeFor(to)
	ar := s.answer[from]
	if !dialed || ar == nil {
		return cl
	}
	k := ar.legs
	ar.legs++
	// Leg k is answered when the running count of answers, rounded down,
	// goes up at it: exactly ⌊n×rate⌋ of the first n legs are.
	if (k+1)*ar.mille/1000 > k*ar.mille/1000 {
		return cl
	}
	switch cl {
	case calleeHuman, calleeMachine, calleeSilent:
		return calleeNoAns
	}
	return cl // busy and failing numbers stay so
}

// program is what a call executes next: parsed verbs, or a document to
// fetch first. url is the document URL (the default Gather action).
type program struct {
	verbs  []node
	fetch  bool
	url    string
	method string
}

type callbackSpec struct {
	url    string
	method string
	events map[string]bool
}

// call is a call leg: its record plus, while live, its machinery. All
// fields are guarded by Server.mu.
type call struct {
	callRec

	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{} // closed when the call ends
	redirect  chan struct{} // signalled (cap 1) when pending is replaced
	pending   *program
	timeout   time.Duration // ring timeout
	timeLimit time.Duration
	amd       string // MachineDetection
	callee    callee
	cb        *callbackSpec
	cbq       chan url.Values
	cbSeq     int
	child     *call
}

func (c *call) ended() bool {
	switch c.Status {
	case stCompleted, stBusy, stFailed, stNoAnswer, stCanceled:
		return true
	}
	return false
}

// hangupStatus is the status a hang-up gives: completed once answered,
// canceled before.
func hangupStatus(c *call) string {
	if c.Answered.IsZero() {
		return stCanceled
	}
	return stCompleted
}

// voiceRates are the per-minute prices of outbound calls, by destination
// country.
var voiceRates = map[string]dialer.Amount{
	"US": dialer.MustAmount("0.0140"),
	"CA": dialer.MustAmount("0.0140"),
}

var countryNames = map[string]string{"US": "United States", "CA": "Canada"}

// phoneCountry validates an E.164 number and returns its country.
func phoneCountry(e164 string) (string, bool) {
	if !strings.HasPrefix(e164, "+") {
		return "", false
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.GetRegionCodeForNumber(num), true
}

// newCallLocked registers a live call and starts its runner.
func (s *Server) newCallLocked(parent *call, to, from string, timeout, limit time.Duration, cb *callbackSpec, amd string, prog *program) *call {
	now := s.clk.now()
	sid, seq := s.newSIDLocked("CA")
	country, _ := phoneCountry(to)
	c := &call{
		callRec: callRec{
			SID: sid, Seq: seq, To: to, From: from, Status: stQueued, Direction: dirAPI,
			Created: now, Updated: now, Rate: voiceRates[country],
		},
		done:      make(chan struct{}),
		redirect:  make(chan struct{}, 1),
		pending:   prog,
		timeout:   timeout,
		timeLimit: limit,
		amd:       amd,
		callee:    s.calleeLocked(parent != nil, to, from),
		cb:        cb,
	}
	if parent != nil {
		c.ParentSID = parent.SID
		c.Direction = dirDial
	}
	if n := s.byPhone[from]; n != nil && parent == nil {
		c.PhoneNumberSID = n.SID
	}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	s.calls[sid] = c
	s.order = append(s.order, c)
	if cb != nil {
		c.cbq = make(chan url.Values, 16)
		s.wg.Add(1)
		go s.sendCallbacks(c.cbq, cb.method, cb.url)
	}
	s.eventLocked(c, "initiated")
	s.wg.Add(1)
	go s.run(c)
	s.log.Info("call created", "sid", sid, "direction", c.Direction, "parent", c.ParentSID)
	return c
}

// endLocked ends a live call with status: end time, duration, callbacks,
// and its active child, if any.
func (s *Server) endLocked(c *call, status string) {
	if c.ended() || c.done == nil {
		return
	}
	now := s.clk.now()
	c.Status = status
	c.End, c.Updated = now, now
	if !c.Answered.IsZero() {
		c.Duration = int(math.Round(now.Sub(c.Answered).Seconds()))
	}
	if c.Start.IsZero() && status != stFailed && status != stCanceled {
		c.Start = c.Created
	}
	c.cancel()
	close(c.done)
	s.unpriced = append(s.unpriced, c)
	s.eventLocked(c, "completed")
	if c.cbq != nil {
		close(c.cbq)
		c.cbq = nil
	}
	if ch := c.child; ch != nil {
		s.endLocked(ch, hangupStatus(ch))
	}
	s.log.Info("call ended", "sid", c.SID, "status", status, "duration", c.Duration)
}

func (s *Server) end(c *call, status string) {
	s.mu.Lock()
	s.endLocked(c, status)
	s.mu.Unlock()
}

// advance moves a live call to ringing or in-progress; false when it has
// ended meanwhile.
func (s *Server) advance(c *call, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ended() {
		return false
	}
	now := s.clk.now()
	c.Status, c.Updated = status, now
	switch status {
	case stRinging:
		c.Start = now
		s.eventLocked(c, "ringing")
	case stInProgress:
		c.Start, c.Answered = now, now
		switch {
		case c.amd == "":
		case c.callee == calleeMachine && strings.EqualFold(c.amd, "DetectMessageEnd"):
			c.AnsweredBy = "machine_end_beep"
		case c.callee == calleeMachine:
			c.AnsweredBy = "machine_start"
		default:
			c.AnsweredBy = "human"
		}
		s.eventLocked(c, "answered")
	}
	return true
}

// run drives a live call through its life. It owns no state: every change
// goes through advance and end, under the lock.
func (s *Server) run(c *call) {
	defer s.wg.Done()
	ctx := c.ctx
	if !s.clk.sleep(ctx, s.cfg.QueueDelay) {
		return
	}
	if c.callee == calleeFail {
		s.end(c, stFailed)
		return
	}
	if !s.advance(c, stRinging) {
		return
	}
	switch {
	case c.callee == calleeBusy:
		if s.clk.sleep(ctx, min(time.Second, c.timeout)) {
			s.end(c, stBusy)
		}
		return
	case c.callee == calleeNoAns || s.cfg.RingTime >= c.timeout:
		if s.clk.sleep(ctx, c.timeout) {
			s.end(c, stNoAnswer)
		}
		return
	}
	if !s.clk.sleep(ctx, s.cfg.RingTime) || !s.advance(c, stInProgress) {
		return
	}
	talk := s.cfg.TalkTime
	if c.callee == calleeMachine {
		talk = s.cfg.MachineTime
	}
	tctx, cancel := context.WithTimeout(ctx, s.clk.wall(min(talk, c.timeLimit)))
	defer cancel()
	if c.Direction == dirAPI {
		s.execute(tctx, c)
	} else {
		<-tctx.Done()
	}
	s.end(c, stCompleted)
}

var (
	errEnded      = errors.New("call ended")
	errRedirected = errors.New("call redirected")
	errHangup     = errors.New("hangup")
)

// wait lets emulated time d pass on call c, unless the call ends or is
// redirected first.
func (s *Server) wait(ctx context.Context, c *call, d time.Duration) error {
	t := time.NewTimer(s.clk.wall(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errEnded
	case <-c.redirect:
		return errRedirected
	}
}

// execute runs the call's programs until one finishes, hangs up, or the
// call ends.
func (s *Server) execute(ctx context.Context, c *call) {
	for {
		s.mu.Lock()
		prog := c.pending
		c.pending = nil
		select {
		case <-c.redirect:
		default:
		}
		s.mu.Unlock()
		if prog == nil || ctx.Err() != nil {
			return
		}
		if prog.fetch {
			verbs, err := s.fetchTwiML(ctx, c, prog.method, prog.url, nil)
			if err != nil {
				s.log.Warn("TwiML fetch failed; hanging up", "call", c.SID, "err", err)
				return
			}
			prog = &program{verbs: verbs, url: prog.url}
		}
		next, err := s.runVerbs(ctx, c, prog)
		switch {
		case errors.Is(err, errRedirected):
			continue
		case err != nil:
			if !errors.Is(err, errEnded) && !errors.Is(err, errHangup) {
				s.log.Warn("TwiML failed; hanging up", "call", c.SID, "err", err)
			}
			return
		case next != nil:
			s.mu.Lock()
			if c.pending == nil { // a redirect that raced in wins
				c.pending = next
			}
			s.mu.Unlock()
		default:
			return
		}
	}
}

// runVerbs executes verbs in order. It returns the next program when a verb
// (Gather or Dial with an action, Redirect) replaces the document.
func (s *Server) runVerbs(ctx context.Context, c *call, prog *program) (*program, error) {
	for _, v := range prog.verbs {
		var err error
		var next *program
		switch v.XMLName.Local {
		case "Say":
			err = s.wait(ctx, c, sayDuration(v))
		case "Pause":
			err = s.wait(ctx, c, v.seconds("length", 1))
		case "Play":
			err = s.wait(ctx, c, playDuration(v))
		case "Hangup", "Reject":
			return nil, errHangup
		case "Redirect":
			u := resolveURL(prog.url, strings.TrimSpace(v.Text))
			return &program{fetch: true, url: u, method: orDefault(v.attr("method"), "POST")}, nil
		case "Gather":
			next, err = s.gather(ctx, c, v, prog.url)
		case "Dial":
			next, err = s.dial(ctx, c, v, prog.url)
		}
		if err != nil || next != nil {
			return next, err
		}
	}
	return nil, nil
}

// resolveURL resolves ref against base (the document URL), if any.
func resolveURL(base, ref string) string {
	if base == "" {
		return ref
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

// gather plays a <Gather>'s prompts, then the callee presses keys (unless
// its rule says it never does) and the digits are posted to the action.
func (s *Server) gather(ctx context.Context, c *call, v node, docURL string) (*program, error) {
	for _, p := range v.Nodes {
		var d time.Duration
		switch p.XMLName.Local {
		case "Say":
			d = sayDuration(p)
		case "Pause":
			d = p.seconds("length", 1)
		case "Play":
			d = playDuration(p)
		}
		if err := s.wait(ctx, c, d); err != nil {
			return nil, err
		}
	}
	timeout := v.seconds("timeout", 5)
	if c.callee == calleeSilent || s.cfg.KeyDelay > timeout {
		return nil, s.wait(ctx, c, timeout)
	}
	if err := s.wait(ctx, c, s.cfg.KeyDelay); err != nil {
		return nil, err
	}
	digits := s.cfg.GatherDigits
	if n, err := strconv.Atoi(v.attr("numDigits")); err == nil && n > 0 {
		for len(digits) < n {
			digits += s.cfg.GatherDigits
		}
		digits = digits[:n]
	}
	action := v.attr("action")
	if action == "" {
		action = docURL
	} else {
		action = resolveURL(docURL, action)
	}
	if action == "" {
		// Inline TwiML has no document URL to post to: the digits are lost
		// and the call goes on with the next verb.
		return nil, nil
	}
	verbs, err := s.fetchTwiML(ctx, c, orDefault(v.attr("method"), "POST"), action,
		url.Values{"Digits": {digits}, "FinishedOnKey": {""}, "msg": {"Gather End"}})
	if err != nil {
		return nil, err
	}
	return &program{verbs: verbs, url: action}, nil
}

// dial runs a <Dial>: a child leg to the number, waited on until it ends.
func (s *Server) dial(ctx context.Context, c *call, v node, docURL string) (*program, error) {
	to, noun := dialTarget(v)
	s.mu.Lock()
	if c.ended() || s.closed {
		s.mu.Unlock()
		return nil, errEnded
	}
	callerID := v.attr("callerId")
	if callerID == "" {
		callerID = c.From
	}
	var child *call
	dialStatus := stFailed
	_, toOK := phoneCountry(to)
	_, owned := s.byPhone[callerID]
	// Forwarding an inbound call, Twilio lets the caller's own number be
	// the caller ID.
	owned = owned || (c.Direction == dirInbound && callerID == c.From)
	if toOK && (owned || callerID == MagicValid) {
		var cb *callbackSpec
		if u := noun.attr("statusCallback"); u != "" {
			cb = &callbackSpec{url: u, method: orDefault(noun.attr("statusCallbackMethod"), "POST"), events: parseEvents(strings.Fields(noun.attr("statusCallbackEvent")))}
		}
		child = s.newCallLocked(c, to, callerID, v.seconds("timeout", 30), v.seconds("timeLimit", 14400), cb, noun.attr("machineDetection"), nil)
		c.child = child
	} else {
		s.log.Warn("dial failed", "call", c.SID, "to", to, "caller_id_owned", owned || callerID == MagicValid)
	}
	s.mu.Unlock()

	dialSID, duration := "", 0
	if child != nil {
		select {
		case <-child.done:
		case <-ctx.Done():
			return nil, errEnded
		case <-c.redirect:
			s.mu.Lock()
			s.endLocked(child, hangupStatus(child))
			c.child = nil
			s.mu.Unlock()
			return nil, errRedirected
		}
		s.mu.Lock()
		c.child = nil
		dialStatus, dialSID, duration = child.Status, child.SID, child.Duration
		s.mu.Unlock()
	}
	action := v.attr("action")
	if action == "" {
		return nil, nil
	}
	action = resolveURL(docURL, action)
	params := url.Values{"DialCallStatus": {dialStatus}, "DialBridged": {strconv.FormatBool(dialStatus == stCompleted)}}
	if dialSID != "" {
		params.Set("DialCallSid", dialSID)
		params.Set("DialCallDuration", strconv.Itoa(duration))
	}
	verbs, err := s.fetchTwiML(ctx, c, orDefault(v.attr("method"), "POST"), action, params)
	if err != nil {
		return nil, err
	}
	return &program{verbs: verbs, url: action}, nil
}

// callEvents are the StatusCallbackEvent values Twilio accepts for calls.
var callEvents = map[string]bool{"initiated": true, "ringing": true, "answered": true, "completed": true}

// parseEvents reads StatusCallbackEvent values; none means "completed".
func parseEvents(vals []string) map[string]bool {
	ev := map[string]bool{}
	for _, v := range vals {
		for _, e := range strings.Fields(v) {
			ev[strings.ToLower(e)] = true
		}
	}
	if len(ev) == 0 {
		ev["completed"] = true
	}
	return ev
}

// callJSON is a Call as Twilio sends it.
type callJSON struct {
	SID             string            `json:"sid"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	ParentCallSID   *string           `json:"parent_call_sid"`
	AccountSID      string            `json:"account_sid"`
	To              string            `json:"to"`
	ToFormatted     string            `json:"to_formatted"`
	From            string            `json:"from"`
	FromFormatted   string            `json:"from_formatted"`
	PhoneNumberSID  *string           `json:"phone_number_sid"`
	Status          string            `json:"status"`
	StartTime       *string           `json:"start_time"`
	EndTime         *string           `json:"end_time"`
	Duration        *string           `json:"duration"`
	Price           *string           `json:"price"`
	PriceUnit       string            `json:"price_unit"`
	Direction       string            `json:"direction"`
	AnsweredBy      *string           `json:"answered_by"`
	APIVersion      string            `json:"api_version"`
	ForwardedFrom   *string           `json:"forwarded_from"`
	GroupSID        *string           `json:"group_sid"`
	CallerName      *string           `json:"caller_name"`
	QueueTime       string            `json:"queue_time"`
	TrunkSID        *string           `json:"trunk_sid"`
	URI             string            `json:"uri"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
}

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// formatPrice formats a cost as Twilio does: negative, five decimals.
func formatPrice(a dialer.Amount) string {
	if a == 0 {
		return "0.00000"
	}
	// Amount has six decimals; round the sixth half away from zero.
	v := (int64(a) + 5) / 10
	return fmt.Sprintf("-%d.%05d", v/100000, v%100000)
}

func (s *Server) callURI(sid string) string {
	return "/2010-04-01/Accounts/" + s.cfg.AccountSID + "/Calls/" + sid + ".json"
}

func (s *Server) toCallJSON(c *call) callJSON {
	base := strings.TrimSuffix(s.callURI(c.SID), ".json")
	j := callJSON{
		SID:            c.SID,
		DateCreated:    twilioTime(c.Created),
		DateUpdated:    twilioTime(c.Updated),
		ParentCallSID:  optString(c.ParentSID),
		AccountSID:     s.cfg.AccountSID,
		To:             c.To,
		ToFormatted:    friendly(c.To),
		From:           c.From,
		FromFormatted:  friendly(c.From),
		PhoneNumberSID: optString(c.PhoneNumberSID),
		Status:         c.Status,
		StartTime:      optTime(c.Start),
		EndTime:        optTime(c.End),
		PriceUnit:      "USD",
		Direction:      c.Direction,
		AnsweredBy:     optString(c.AnsweredBy),
		APIVersion:     apiVersion,
		QueueTime:      "0",
		URI:            s.callURI(c.SID),
		SubresourceURIs: map[string]string{
			"notifications":                      base + "/Notifications.json",
			"recordings":                         base + "/Recordings.json",
			"payments":                           base + "/Payments.json",
			"events":                             base + "/Events.json",
			"siprec":                             base + "/Siprec.json",
			"streams":                            base + "/Streams.json",
			"transcriptions":                     base + "/Transcriptions.json",
			"user_defined_message_subscriptions": base + "/UserDefinedMessageSubscriptions.json",
			"user_defined_messages":              base + "/UserDefinedMessages.json",
		},
	}
	if c.ended() {
		d := strconv.Itoa(c.Duration)
		j.Duration = &d
	}
	if c.Price != nil {
		p := formatPrice(*c.Price)
		j.Price = &p
	}
	return j
}

// programParam reads a call's program from the Url (fetched TwiML, with
// Method) or the Twiml parameter, Url first. Neither gives a nil program
// and code 0; an invalid one gives the Twilio error code and message.
func programParam(f url.Values) (p *program, code int, msg string) {
	switch {
	case f.Get("Url") != "":
		u, err := url.Parse(f.Get("Url"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, 21205, "Url is not a valid URL: " + f.Get("Url")
		}
		return &program{fetch: true, url: u.String(), method: orDefault(f.Get("Method"), "POST")}, 0, ""
	case f.Get("Twiml") != "":
		verbs, err := parseTwiML(f.Get("Twiml"))
		if err != nil {
			return nil, 12100, "Document parse failure: " + err.Error()
		}
		return &program{verbs: verbs}, 0, ""
	}
	return nil, 0, ""
}

// handleCreateCall serves POST Calls.json.
func (s *Server) handleCreateCall(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	to, from := strings.TrimSpace(f.Get("To")), strings.TrimSpace(f.Get("From"))
	switch {
	case to == "":
		writeError(w, 21201, "No 'To' number is specified")
		return
	case from == "":
		writeError(w, 21213, "No 'From' number is specified")
		return
	}
	prog, code, msg := programParam(f)
	switch {
	case code != 0:
		writeError(w, code, msg)
		return
	case prog != nil:
	case f.Get("ApplicationSid") != "":
		writeError(w, 21218, "ApplicationSid is not supported by the emulator")
		return
	default:
		writeError(w, 21205, "Url parameter is required. Please provide a Url, ApplicationSid or Twiml.")
		return
	}
	switch to {
	case MagicInvalid:
		writeError(w, 21217, "Phone number does not appear to be valid")
		return
	case MagicUnroutable:
		writeError(w, 21214, "'To' phone number cannot be reached")
		return
	case MagicNoPerm:
		writeError(w, 21215, "Account not authorized to call "+to+". Perhaps you need to enable some international permissions.")
		return
	case MagicBlocked:
		writeError(w, 21216, "Call blocked by Twilio blocklist")
		return
	}
	country, ok := phoneCountry(to)
	if !ok {
		writeError(w, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", to))
		return
	}
	if _, ok := voiceRates[country]; !ok {
		writeError(w, 21215, "Account not authorized to call "+to+". Perhaps you need to enable some international permissions.")
		return
	}
	if from == MagicInvalid {
		writeError(w, 21212, "Invalid From Phone Number: "+from)
		return
	}
	if _, ok := phoneCountry(from); !ok && from != MagicValid {
		writeError(w, 21212, "Invalid From Phone Number: "+from)
		return
	}
	timeout := 60 * time.Second
	if v, err := strconv.Atoi(f.Get("Timeout")); err == nil && v > 0 {
		timeout = time.Duration(min(v, 600)) * time.Second
	}
	limit := 4 * time.Hour
	if v, err := strconv.Atoi(f.Get("TimeLimit")); err == nil && v > 0 {
		limit = time.Duration(min(v, 86400)) * time.Second
	}
	var cb *callbackSpec
	if u := f.Get("StatusCallback"); u != "" {
		cb = &callbackSpec{url: u, method: strings.ToUpper(orDefault(f.Get("StatusCallbackMethod"), "POST")), events: parseEvents(f["StatusCallbackEvent"])}
		for e := range cb.events {
			if !callEvents[e] {
				writeError(w, 21626, "Invalid StatusCallbackEvent: "+e)
				return
			}
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, 20503, "")
		return
	}
	if _, owned := s.byPhone[from]; !owned && from != MagicValid {
		s.mu.Unlock()
		writeError(w, 21210, fmt.Sprintf("The source phone number provided, %s, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.", from))
		return
	}
	s.settleLocked(s.clk.now())
	c := s.newCallLocked(nil, to, from, timeout, limit, cb, f.Get("MachineDetection"), prog)
	j := s.toCallJSON(c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, j)
}

func (s *Server) handleFetchCall(w http.ResponseWriter, r *http.Request) {
	c := lockFind(s, s.calls, w, r)
	if c == nil {
		return
	}
	s.settleLocked(s.clk.now())
	j := s.toCallJSON(c)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

// handleUpdateCall serves POST Calls/{sid}.json: hang up, or redirect with
// Twiml or Url.
func (s *Server) handleUpdateCall(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	prog, code, msg := programParam(f)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	status := f.Get("Status")
	if status != "" && status != stCompleted && status != stCanceled {
		writeError(w, 21218, "Invalid Status: "+status+" (completed or canceled)")
		return
	}
	c := lockFind(s, s.calls, w, r)
	if c == nil {
		return
	}
	s.settleLocked(s.clk.now())
	if c.ended() || c.done == nil {
		s.mu.Unlock()
		writeError(w, 21220, "")
		return
	}
	switch {
	case status == stCompleted:
		s.endLocked(c, hangupStatus(c))
	case status == stCanceled:
		if c.Answered.IsZero() {
			s.endLocked(c, stCanceled)
		}
	case prog != nil:
		c.pending = prog
		select {
		case c.redirect <- struct{}{}:
		default:
		}
		c.Updated = s.clk.now()
	}
	j := s.toCallJSON(c)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) handleListCalls(w http.ResponseWriter, r *http.Request) {
	size, page := pageParams(r)
	f := r.Form
	filters := url.Values{}
	for _, k := range []string{"ParentCallSid", "Status", "To", "From"} {
		if v := f.Get(k); v != "" {
			filters.Set(k, v)
		}
	}
	s.mu.Lock()
	s.settleLocked(s.clk.now())
	var sel []*call
	for i := len(s.order) - 1; i >= 0; i-- { // newest first
		c := s.order[i]
		if (filters.Get("ParentCallSid") != "" && c.ParentSID != filters.Get("ParentCallSid")) ||
			(filters.Get("Status") != "" && c.Status != filters.Get("Status")) ||
			(filters.Get("To") != "" && c.To != filters.Get("To")) ||
			(filters.Get("From") != "" && c.From != filters.Get("From")) {
			continue
		}
		sel = append(sel, c)
	}
	env, start, end := listPage(r.URL.Path, filters, size, page, len(sel))
	items := make([]callJSON, 0, end-start)
	for _, c := range sel[start:end] {
		items = append(items, s.toCallJSON(c))
	}
	s.mu.Unlock()
	env["calls"] = items
	writeJSON(w, http.StatusOK, env)
}
