package twilioemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Signature computes X-Twilio-Signature as Twilio does: HMAC-SHA1, keyed by
// the auth token, of the full URL followed by every POST parameter's name
// and value, sorted by name; base64-encoded. For GET requests params is
// empty (the parameters are in the URL).
func Signature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// callParamsLocked are the parameters Twilio sends about a call with every
// webhook.
func (s *Server) callParamsLocked(c *call) url.Values {
	p := url.Values{
		"AccountSid": {s.cfg.AccountSID},
		"ApiVersion": {apiVersion},
		"CallSid":    {c.SID},
		"CallStatus": {c.Status},
		"Called":     {c.To},
		"Caller":     {c.From},
		"Direction":  {c.Direction},
		"From":       {c.From},
		"To":         {c.To},
	}
	if c.ParentSID != "" {
		p.Set("ParentCallSid", c.ParentSID)
	}
	if c.AnsweredBy != "" {
		p.Set("AnsweredBy", c.AnsweredBy)
	}
	return p
}

// eventLocked queues a status callback for event, if the call asked for it.
func (s *Server) eventLocked(c *call, event string) {
	if c.cb == nil || c.cbq == nil || !c.cb.events[event] {
		return
	}
	p := s.callParamsLocked(c)
	if event == "initiated" {
		p.Set("CallStatus", "initiated")
	}
	p.Set("CallbackSource", "call-progress-events")
	p.Set("SequenceNumber", strconv.Itoa(c.cbSeq))
	p.Set("Timestamp", twilioTime(s.clk.now()))
	c.cbSeq++
	if event == "completed" {
		p.Set("CallDuration", strconv.Itoa(c.Duration))
		p.Set("Duration", strconv.Itoa((c.Duration+59)/60))
	}
	select {
	case c.cbq <- p:
	default:
		s.log.Warn("status callback queue full; event dropped", "call", c.SID, "event", event)
	}
}

// sendCallbacks delivers one call's status callbacks in order.
func (s *Server) sendCallbacks(q <-chan url.Values, method, target string) {
	defer s.wg.Done()
	for p := range q {
		if s.ctx.Err() != nil {
			continue // closing: drain without sending
		}
		body, status, err := s.webhook(s.ctx, method, target, p)
		_ = body
		if err != nil || status >= 400 {
			s.log.Warn("status callback failed", "url", redactURL(target), "status", status, "err", err)
		}
	}
}

// webhook sends a signed request to a customer URL and returns its body.
func (s *Server) webhook(ctx context.Context, method, target string, params url.Values) ([]byte, int, error) {
	method = strings.ToUpper(method)
	var req *http.Request
	var err error
	if method == http.MethodGet {
		u, perr := url.Parse(target)
		if perr != nil {
			return nil, 0, perr
		}
		q := u.Query()
		for k, vs := range params {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
		full := u.String()
		req, err = http.NewRequestWithContext(ctx, method, full, nil)
		if err == nil {
			req.Header.Set("X-Twilio-Signature", Signature(s.cfg.AuthToken, full, nil))
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(params.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", Signature(s.cfg.AuthToken, target, params))
		}
	}
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("Accept", "*/*")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return body, resp.StatusCode, err
}

// fetchTwiML requests a TwiML document for call c (a Url, Gather or Dial
// action, Redirect), with the call's parameters plus extra.
func (s *Server) fetchTwiML(ctx context.Context, c *call, method, target string, extra url.Values) ([]node, error) {
	s.mu.Lock()
	p := s.callParamsLocked(c)
	s.mu.Unlock()
	for k, v := range extra {
		p[k] = v
	}
	body, status, err := s.webhook(ctx, method, target, p)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("%s answered HTTP %d", redactURL(target), status)
	}
	return parseTwiML(string(body))
}

// redactURL drops user information and the query from a URL for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}
