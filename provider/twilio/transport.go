package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a response body read into memory. Twilio's largest page
// (1000 numbers) is about 1.5 MB.
const maxBody = 32 << 20

// transport is the adapter's http.RoundTripper chain in one piece: it
// binds every attempt to the caller's context, sends *.twilio.com requests
// to their configured base URL (failing closed), retries what is safe to
// retry, honours Retry-After and logs each attempt. twilio-go never sees
// these details; it sees a response or an error.
//
// One transport is shared by all calls; a boundTransport per call carries
// the caller's context, because twilio-go builds its requests with
// context.Background().
type transport struct {
	base     http.RoundTripper
	override bool                // BaseURL or BaseURLs set: refuse unmapped hosts
	fallback *url.URL            // BaseURL
	hosts    map[string]*url.URL // BaseURLs
	timeout  time.Duration
	retry    RetryPolicy
	log      *slog.Logger
}

// boundTransport attaches one call's context to every request twilio-go
// makes for that call.
type boundTransport struct {
	ctx context.Context
	t   *transport
}

func (b *boundTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := b.ctx
	// twilio-go uses context.Background(); should a request ever carry a
	// context of its own (an http.Client.Timeout, say), honour both.
	if rc := req.Context(); rc.Done() != nil {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		stop := context.AfterFunc(rc, func() { cancel(context.Cause(rc)) })
		defer func() { stop(); cancel(nil) }()
	}
	return b.t.roundTrip(ctx, req)
}

// HostError is returned, wrapped, for a request to a host the adapter has
// no mapping for: it fails closed rather than call an unexpected server.
type HostError struct {
	Host   string
	Reason string
}

func (e *HostError) Error() string {
	return fmt.Sprintf("twilio adapter refused a request to %s: %s", e.Host, e.Reason)
}

// RequestError is a request that failed without a Twilio error body:
// a network failure, a timeout, a cancelled context, or an HTTP error
// status whose body was not a Twilio error document.
type RequestError struct {
	Method, Path string
	Attempts     int
	// Status is the last HTTP status, 0 when no response arrived.
	Status int
	// MayHaveActed is true when the request may have reached Twilio and
	// its outcome is unknown (only set for requests that are not retried,
	// such as buying a number).
	MayHaveActed bool
	// Canceled is true when the caller's context ended the request.
	Canceled bool
	Err      error
}

func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *RequestError) Unwrap() error { return e.Err }

// mayAct reports whether a request may change state at Twilio in a way
// that must not happen twice: buying a number, creating a call. Those
// are retried only on 429.
func mayAct(method, path string) bool {
	if method != http.MethodPost {
		return false
	}
	return strings.HasSuffix(path, "/IncomingPhoneNumbers.json") || strings.HasSuffix(path, "/Calls.json")
}

// target maps a request URL to where it is sent.
func (t *transport) target(u *url.URL) (*url.URL, error) {
	host := normalizeHost(u.Hostname())
	if !t.override {
		if !isTwilioHost(host) {
			return nil, &HostError{Host: host, Reason: "not a Twilio host"}
		}
		if u.Scheme != "https" {
			return nil, &HostError{Host: host, Reason: "Twilio is only called over https"}
		}
		return u, nil
	}
	base, ok := t.hosts[host]
	if !ok && t.fallback != nil && isTwilioHost(host) {
		base, ok = t.fallback, true
	}
	if !ok {
		return nil, &HostError{Host: host, Reason: "no base URL is configured for it (Config.BaseURL or Config.BaseURLs)"}
	}
	out := *u
	out.Scheme, out.Host, out.User = base.Scheme, base.Host, nil
	if base.Path != "" {
		out.Path = base.Path + u.Path
		out.RawPath = ""
	}
	return &out, nil
}

func (t *transport) roundTrip(ctx context.Context, req *http.Request) (*http.Response, error) {
	dst, err := t.target(req.URL)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		t.log.LogAttrs(ctx, slog.LevelError, "twilio request refused",
			slog.String("method", req.Method), slog.String("host", req.URL.Hostname()), slog.String("path", req.URL.Path))
		return nil, err
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	acts := mayAct(req.Method, req.URL.Path)
	fail := func(attempt, status int, acted bool, err error) *RequestError {
		return &RequestError{Method: req.Method, Path: req.URL.Path, Attempts: attempt, Status: status, MayHaveActed: acted, Err: err}
	}
	canceled := func(attempt int, acted bool) *RequestError {
		e := fail(attempt, 0, acted, context.Cause(ctx))
		e.Canceled = true
		return e
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, canceled(attempt-1, false)
		}
		start := time.Now()
		resp, respBody, err := t.attempt(ctx, req, dst, body)
		latency := time.Since(start)

		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		retry := false
		switch {
		case err != nil && ctx.Err() != nil:
			// The caller gave up. A request that may act and was sent has
			// an unknown outcome.
			t.logAttempt(ctx, req, attempt, status, latency, err)
			return nil, canceled(attempt, acts && !notSent(err))
		case err != nil:
			retry = notSent(err) || !acts
			if !retry {
				t.logAttempt(ctx, req, attempt, status, latency, err)
				return nil, fail(attempt, 0, true, err)
			}
		case status == http.StatusTooManyRequests:
			retry = true
		case status >= 500:
			retry = !acts
		}
		t.logAttempt(ctx, req, attempt, status, latency, err)

		if retry && attempt < t.retry.MaxAttempts {
			wait, ok := t.backoff(ctx, attempt, resp)
			if ok {
				if err := sleep(ctx, wait); err != nil {
					return nil, canceled(attempt, false)
				}
				continue
			}
		}
		if err != nil {
			return nil, fail(attempt, 0, false, err)
		}
		if status >= 400 && !isTwilioErrorBody(respBody) {
			// twilio-go would report only a JSON decoding failure here;
			// keep the status instead.
			return nil, fail(attempt, status, acts && status >= 500, fmt.Errorf("%s", http.StatusText(status)))
		}
		resp.Request = req
		return resp, nil
	}
}

// attempt sends one request and reads the whole body under the attempt's
// own timeout, so that twilio-go's later decoding cannot block and error
// bodies (which twilio-go does not close) cannot leak connections.
func (t *transport) attempt(ctx context.Context, orig *http.Request, dst *url.URL, body []byte) (*http.Response, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req := orig.Clone(actx)
	req.URL = dst
	req.Host = ""
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	} else {
		req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err == nil && len(data) > maxBody {
		err = fmt.Errorf("response body larger than %d bytes", maxBody)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	resp.Header.Del("Content-Length")
	return resp, data, nil
}

// notSent reports whether err proves the request never reached the
// server: the connection could not even be made.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// isTwilioErrorBody reports whether b is a JSON object twilio-go can
// decode into a TwilioRestError.
func isTwilioErrorBody(b []byte) bool {
	var v struct {
		Code    *int    `json:"code"`
		Status  *int    `json:"status"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return false
	}
	return v.Code != nil || v.Message != nil || v.Status != nil
}

// backoff returns how long to wait before the next attempt, and false
// when waiting is pointless: a Retry-After beyond MaxRetryAfter or beyond
// the context's deadline.
func (t *transport) backoff(ctx context.Context, attempt int, resp *http.Response) (time.Duration, bool) {
	d := t.retry.BaseDelay << (attempt - 1)
	if d > t.retry.MaxDelay || d <= 0 {
		d = t.retry.MaxDelay
	}
	// Equal jitter: half fixed, half random.
	d = d/2 + rand.N(d/2+1)
	if resp != nil {
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > t.retry.MaxRetryAfter {
				return 0, false
			}
			d = ra + rand.N(t.retry.BaseDelay/4+1)
		}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return 0, false
	}
	return d, true
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// logAttempt logs one attempt: method, host, path (never the query, never
// headers), status, attempt number, latency and the error if any.
func (t *transport) logAttempt(ctx context.Context, req *http.Request, attempt, status int, latency time.Duration, err error) {
	level := slog.LevelDebug
	if err != nil || status >= 400 {
		level = slog.LevelWarn
	}
	if !t.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("host", req.URL.Hostname()),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("latency", latency),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	t.log.LogAttrs(ctx, level, "twilio request", attrs...)
}
