package twilioemu

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// controlRequest is the JSON body of the /_emulator/ endpoints; each uses
// the fields it needs.
type controlRequest struct {
	Code      int      `json:"code"`
	N         int      `json:"n"`
	LatencyMS int64    `json:"latency_ms"`
	Latency   string   `json:"latency"` // Go duration, e.g. "250ms"; wins over latency_ms
	On        bool     `json:"on"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Hold      string   `json:"hold"` // Go duration of emulated time, e.g. "45s"
	CallerID  string   `json:"caller_id"`
	Rate      *float64 `json:"rate"`
}

// controlRoutes serves the fault controls for standalone use. See the
// package documentation.
func (s *Server) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	body := func(w http.ResponseWriter, r *http.Request) (controlRequest, bool) {
		var req controlRequest
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err == nil && len(b) > 0 {
			err = json.Unmarshal(b, &req)
		}
		if err != nil {
			writeErrorStatus(w, http.StatusBadRequest, 20001, "invalid JSON body: "+err.Error())
			return req, false
		}
		return req, true
	}
	ok := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) }
	mux.HandleFunc("POST /_emulator/fail-next-purchase", func(w http.ResponseWriter, r *http.Request) {
		if req, good := body(w, r); good {
			s.FailNextPurchase(req.Code)
			ok(w)
		}
	})
	mux.HandleFunc("POST /_emulator/rate-limit-next", func(w http.ResponseWriter, r *http.Request) {
		if req, good := body(w, r); good {
			s.RateLimitNext(req.N)
			ok(w)
		}
	})
	mux.HandleFunc("POST /_emulator/fail-next-5xx", func(w http.ResponseWriter, r *http.Request) {
		if req, good := body(w, r); good {
			s.FailNext5xx(req.N)
			ok(w)
		}
	})
	mux.HandleFunc("POST /_emulator/latency", func(w http.ResponseWriter, r *http.Request) {
		req, good := body(w, r)
		if !good {
			return
		}
		d := time.Duration(req.LatencyMS) * time.Millisecond
		if req.Latency != "" {
			var err error
			if d, err = time.ParseDuration(req.Latency); err != nil {
				writeErrorStatus(w, http.StatusBadRequest, 20001, "latency: "+err.Error())
				return
			}
		}
		s.SetLatency(d)
		ok(w)
	})
	mux.HandleFunc("POST /_emulator/drop-next-connection", func(w http.ResponseWriter, r *http.Request) {
		s.DropNextConnection()
		ok(w)
	})
	mux.HandleFunc("POST /_emulator/purchase-after-drop", func(w http.ResponseWriter, r *http.Request) {
		s.PurchaseAfterDrop()
		ok(w)
	})
	mux.HandleFunc("POST /_emulator/null-balance", func(w http.ResponseWriter, r *http.Request) {
		if req, good := body(w, r); good {
			s.SetNullBalance(req.On)
			ok(w)
		}
	})
	mux.HandleFunc("POST /_emulator/inbound", func(w http.ResponseWriter, r *http.Request) {
		req, good := body(w, r)
		if !good {
			return
		}
		in := Inbound{From: req.From, To: req.To}
		if req.Hold != "" {
			var err error
			if in.Hold, err = time.ParseDuration(req.Hold); err != nil {
				writeErrorStatus(w, http.StatusBadRequest, 20001, "hold: "+err.Error())
				return
			}
		}
		sid, err := s.PlaceInbound(in)
		if err != nil {
			writeErrorStatus(w, http.StatusBadRequest, 21210, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"sid": sid})
	})
	mux.HandleFunc("POST /_emulator/answer-rate", func(w http.ResponseWriter, r *http.Request) {
		req, good := body(w, r)
		if !good {
			return
		}
		if req.Rate == nil {
			writeErrorStatus(w, http.StatusBadRequest, 20001, "answer rate: give \"rate\", a share from 0 to 1")
			return
		}
		if err := s.SetAnswerRate(req.CallerID, *req.Rate); err != nil {
			writeErrorStatus(w, http.StatusBadRequest, 20001, err.Error())
			return
		}
		ok(w)
	})
	mux.HandleFunc("GET /_emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"requests": s.Requests()})
	})
	mux.HandleFunc("POST /_emulator/reset-requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		ok(w)
	})
	mux.HandleFunc("POST /_emulator/save", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Save(); err != nil {
			writeErrorStatus(w, http.StatusInternalServerError, 20500, err.Error())
			return
		}
		ok(w)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w, r) })
	return mux
}
