package twilioemu

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

const dirInbound = "inbound"

// inboundRates are the per-minute prices of receiving a call on a local
// number, by the number's country (Twilio's US and Canadian local inbound
// price).
var inboundRates = map[string]dialer.Amount{
	"US": dialer.MustAmount("0.0085"),
	"CA": dialer.MustAmount("0.0085"),
}

// Inbound describes a call someone places to one of the account's numbers.
type Inbound struct {
	From string // the caller, E.164
	To   string // an owned number, E.164
	// Hold is how long the caller stays on the line before hanging up
	// (emulated time); 0 for Config.TalkTime. The caller also hangs up
	// when the TwiML ends the call.
	Hold time.Duration
}

// PlaceInbound rings one of the account's numbers from outside, as a
// person calling it would: the call (direction "inbound") fetches the
// number's VoiceUrl with a signed request carrying CallStatus "ringing",
// then follows the TwiML answered, as a created call does. The number's
// StatusCallback, when set, gets the call's "completed" event. It returns
// the call's SID at once; the call goes on in the background.
func (s *Server) PlaceInbound(in Inbound) (string, error) {
	if _, ok := phoneCountry(in.From); !ok {
		return "", fmt.Errorf("inbound call: the caller %q is not a valid E.164 number", in.From)
	}
	if in.Hold < 0 {
		return "", fmt.Errorf("inbound call: hold %s is negative", in.Hold)
	}
	if in.Hold == 0 {
		in.Hold = s.cfg.TalkTime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", fmt.Errorf("inbound call: the emulator is closed")
	}
	n := s.byPhone[in.To]
	if n == nil {
		return "", fmt.Errorf("inbound call: %s is not one of the account's numbers", in.To)
	}
	if n.VoiceURL == "" {
		return "", fmt.Errorf("inbound call: %s has no voice URL to ask what to do", in.To)
	}
	var cb *callbackSpec
	if n.StatusCallback != "" {
		cb = &callbackSpec{url: n.StatusCallback, method: orDefault(n.StatusCallbackMethod, "POST"), events: map[string]bool{"completed": true}}
	}
	prog := &program{fetch: true, url: n.VoiceURL, method: orDefault(n.VoiceMethod, "POST")}
	now := s.clk.now()
	sid, seq := s.newSIDLocked("CA")
	country, _ := phoneCountry(in.To)
	c := &call{
		callRec: callRec{
			SID: sid, Seq: seq, To: in.To, From: in.From, Status: stRinging, Direction: dirInbound,
			PhoneNumberSID: n.SID, Created: now, Updated: now, Start: now, Rate: inboundRates[country],
		},
		done:      make(chan struct{}),
		redirect:  make(chan struct{}, 1),
		pending:   prog,
		timeLimit: in.Hold,
		callee:    calleeHuman,
		cb:        cb,
	}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	s.calls[sid] = c
	s.order = append(s.order, c)
	if cb != nil {
		c.cbq = make(chan url.Values, 16)
		s.wg.Add(1)
		go s.sendCallbacks(c.cbq, cb.method, cb.url)
	}
	s.wg.Add(1)
	go s.runInbound(c)
	s.log.Info("inbound call", "sid", sid, "to", in.To)
	return sid, nil
}

// runInbound drives an inbound call: Twilio answers it for the TwiML, so
// it is in progress from the first document on; the caller hangs up after
// the hold time, or when the TwiML ends.
func (s *Server) runInbound(c *call) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, s.clk.wall(c.timeLimit))
	defer cancel()
	s.mu.Lock()
	prog := c.pending
	c.pending = nil
	s.mu.Unlock()
	verbs, err := s.fetchTwiML(ctx, c, prog.method, prog.url, nil)
	if err != nil {
		s.log.Warn("inbound call: voice URL fetch failed; hanging up", "call", c.SID, "err", err)
		s.end(c, stFailed)
		return
	}
	if !s.advance(c, stInProgress) {
		return
	}
	s.mu.Lock()
	c.pending = &program{verbs: verbs, url: prog.url}
	s.mu.Unlock()
	s.execute(ctx, c)
	s.end(c, stCompleted)
}
