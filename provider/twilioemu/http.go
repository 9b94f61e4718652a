package twilioemu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiError is Twilio's JSON error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// errorMessages are the messages sent with error codes that have no more
// specific message at the place they are raised.
var errorMessages = map[int]string{
	10002: "Trial account does not support this feature",
	20003: "Authenticate",
	20404: "The requested resource was not found",
	20429: "Too Many Requests",
	20500: "An internal server error has occurred",
	20503: "Service is unavailable. Please try again",
	21421: "PhoneNumber is invalid",
	21422: "PhoneNumber is not available",
	21451: "AreaCode is invalid",
	21452: "No phone numbers found in area code",
	21613: "PhoneNumber requires a certification",
	21631: "Phone Number Requires an Address but the 'AddressSid' parameter was empty.",
	21220: "Call is not in-progress. Cannot redirect.",
}

// errorStatus is the HTTP status Twilio answers with a given error code.
func errorStatus(code int) int {
	switch code {
	case 20003:
		return http.StatusUnauthorized
	case 20404:
		return http.StatusNotFound
	case 20429:
		return http.StatusTooManyRequests
	case 20500:
		return http.StatusInternalServerError
	case 20503:
		return http.StatusServiceUnavailable
	case 10002:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// writeJSON sends v as JSON, without escaping &, < and > (Twilio does not).
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b := buf.Bytes()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError sends a Twilio error body. An empty message uses the code's
// standard one.
func writeError(w http.ResponseWriter, code int, message string) {
	writeErrorStatus(w, errorStatus(code), code, message)
}

func writeErrorStatus(w http.ResponseWriter, status, code int, message string) {
	if message == "" {
		message = errorMessages[code]
	}
	writeJSON(w, status, apiError{
		Code:     code,
		Message:  message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
}

// recorder captures the status a handler sent, and lets the connection be
// hijacked through it.
type recorder struct {
	http.ResponseWriter
	status int
	done   bool
	record func(status int) // appends the request record, once
}

func (rw *recorder) finish() {
	if !rw.done {
		rw.done = true
		rw.record(rw.status)
	}
}

// WriteHeader records the request before the client can see the answer,
// so that Requests() is complete as soon as a response arrives.
func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.finish()
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
		rw.finish()
	}
	return rw.ResponseWriter.Write(b)
}

func (rw *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := rw.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("twilioemu: connection cannot be hijacked")
	}
	return h.Hijack()
}

// dropConnection closes the request's connection without answering. It
// reports false when the writer cannot be hijacked (httptest recorders):
// then the handler answers 502, code 20500, instead.
func dropConnection(w http.ResponseWriter) bool {
	h, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, _, err := h.Hijack()
	if err != nil {
		return false
	}
	if rw, ok := w.(*recorder); ok {
		rw.finish() // recorded before the client can see the drop
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	return true
}

// saving wraps a handler that changes the owned numbers so that the state
// file (if any) is written before the answer leaves (a small answer is
// buffered until the handler returns): a process killed after buying a
// number, say by its terminal closing, must not lose it, or its owner
// would find it vanished and buy it again.
func (s *Server) saving(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		if err := s.Save(); err != nil {
			s.log.Error("saving the emulator's state", "err", err)
		}
	}
}

// routes builds the handler.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	const acct = "/2010-04-01/Accounts/{acct}"
	api.HandleFunc("GET "+acct+"/AvailablePhoneNumbers/{country}/Local.json", s.handleAvailableLocal)
	api.HandleFunc("POST "+acct+"/IncomingPhoneNumbers.json", s.saving(s.handleBuyNumber))
	api.HandleFunc("GET "+acct+"/IncomingPhoneNumbers.json", s.handleListNumbers)
	api.HandleFunc("GET "+acct+"/IncomingPhoneNumbers/{sid}", s.handleFetchNumber)
	api.HandleFunc("POST "+acct+"/IncomingPhoneNumbers/{sid}", s.saving(s.handleUpdateNumber))
	api.HandleFunc("DELETE "+acct+"/IncomingPhoneNumbers/{sid}", s.saving(s.handleDeleteNumber))
	api.HandleFunc("POST "+acct+"/Calls.json", s.handleCreateCall)
	api.HandleFunc("GET "+acct+"/Calls.json", s.handleListCalls)
	api.HandleFunc("GET "+acct+"/Calls/{sid}", s.handleFetchCall)
	api.HandleFunc("POST "+acct+"/Calls/{sid}", s.handleUpdateCall)
	api.HandleFunc("GET "+acct+"/Balance.json", s.handleBalance)
	api.HandleFunc("GET /v1/PhoneNumbers/Countries/{iso}", s.handlePricingNumbers)
	api.HandleFunc("GET /v2/Voice/Numbers/{number}", s.handlePricingVoiceNumber)
	api.HandleFunc("/", notFound)

	ctl := s.controlRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") {
			if present, ok := s.authOK(r); !ok {
				s.unauthorized(w, present)
				return
			}
			ctl.ServeHTTP(w, r)
			return
		}
		s.serveAPI(api, w, r)
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, present bool) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	msg := "Authenticate"
	if !present {
		msg = "No credentials provided"
	}
	writeError(w, 20003, msg)
}

// serveAPI applies fault injection, authentication and the account check,
// and records the request.
func (s *Server) serveAPI(api *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // a malformed body leaves the form empty; handlers then see missing params
	rec := &recorder{ResponseWriter: w, record: func(status int) {
		s.reqMu.Lock()
		s.reqs = append(s.reqs, RequestRecord{Method: r.Method, Path: r.URL.Path, Params: paramNames(r), Status: status})
		s.reqMu.Unlock()
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", status)
	}}
	defer rec.finish()

	s.mu.Lock()
	f := &s.faults
	latency := f.latency
	drop := f.drop
	f.drop = false
	rateLimited, failStatus := false, 0
	if !drop {
		switch {
		case f.fail5xx > 0:
			f.fail5xx--
			failStatus = http.StatusInternalServerError
			if f.fail5xxCounter%2 == 1 {
				failStatus = http.StatusServiceUnavailable
			}
			f.fail5xxCounter++
		case f.rateLimit > 0:
			f.rateLimit--
			rateLimited = true
		}
	}
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closing:
			t.Stop()
			writeError(rec, 20503, "")
			return
		}
	}
	switch {
	case drop:
		if !dropConnection(rec) {
			writeError(rec, 20500, "connection dropped (emulated)")
		}
		return
	case failStatus != 0:
		code := 20500
		if failStatus == http.StatusServiceUnavailable {
			code = 20503
		}
		writeErrorStatus(rec, failStatus, code, "")
		return
	case rateLimited:
		rec.Header().Set("Retry-After", "1")
		writeError(rec, 20429, "")
		return
	}
	if present, ok := s.authOK(r); !ok {
		s.unauthorized(rec, present)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/2010-04-01/Accounts/") {
		rest := strings.TrimPrefix(r.URL.Path, "/2010-04-01/Accounts/")
		acct, _, _ := strings.Cut(rest, "/")
		if acct != s.cfg.AccountSID {
			notFound(rec, r)
			return
		}
	}
	api.ServeHTTP(rec, r)
}

// resourceSID strips ".json" from a path segment such as "PNxxx.json".
func resourceSID(r *http.Request, name string) (string, bool) {
	v := r.PathValue(name)
	sid, ok := strings.CutSuffix(v, ".json")
	return sid, ok && sid != ""
}

// pageParams reads PageSize and Page. PageToken is accepted and ignored:
// the emulator pages by number.
func pageParams(r *http.Request) (size, page int) {
	size = 50
	if v, err := strconv.Atoi(r.Form.Get("PageSize")); err == nil && v > 0 {
		size = min(v, 1000)
	}
	if v, err := strconv.Atoi(r.Form.Get("Page")); err == nil && v > 0 {
		page = v
	}
	return size, page
}

// listPage is Twilio's paging envelope. The list itself is added by the
// caller under its own key.
func listPage(path string, filters url.Values, size, page, total int) (map[string]any, int, int) {
	start := min(page*size, total)
	end := min(start+size, total)
	uri := func(p int, token string) string {
		q := url.Values{}
		for k, v := range filters {
			q[k] = v
		}
		q.Set("PageSize", strconv.Itoa(size))
		q.Set("Page", strconv.Itoa(p))
		if token != "" {
			q.Set("PageToken", token)
		}
		return path + "?" + q.Encode()
	}
	m := map[string]any{
		"first_page_uri":    uri(0, ""),
		"uri":               uri(page, ""),
		"page":              page,
		"page_size":         size,
		"start":             start,
		"end":               max(end-1, start),
		"next_page_uri":     nil,
		"previous_page_uri": nil,
	}
	if end < total {
		m["next_page_uri"] = uri(page+1, "PT"+strconv.Itoa(end))
	}
	if page > 0 {
		m["previous_page_uri"] = uri(page-1, "")
	}
	return m, start, end
}

// lookup finds the resource (call or number) a request's {sid} names, or
// nil. The caller holds s.mu.
func lookup[T any](m map[string]*T, r *http.Request) *T {
	sid, ok := resourceSID(r, "sid")
	if !ok {
		return nil
	}
	return m[sid]
}

// lockFind locks s.mu and finds the resource a request's {sid} names in m
// (s.calls or s.numbers, maps New makes once). Found, it returns it with
// s.mu held; not found, it unlocks, answers 404 and returns nil.
func lockFind[T any](s *Server, m map[string]*T, w http.ResponseWriter, r *http.Request) *T {
	s.mu.Lock()
	v := lookup(m, r)
	if v == nil {
		s.mu.Unlock()
		notFound(w, r)
	}
	return v
}
