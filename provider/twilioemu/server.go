package twilioemu

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Config configures a Server. AccountSID and AuthToken are required.
type Config struct {
	AccountSID string            // "AC" + 32 lower-case hex digits
	AuthToken  string            // 32 hex digits
	APIKeys    map[string]string // optional API key SID ("SK" + 32 hex) -> secret, also accepted for basic auth

	// TimeScale multiplies every emulated delay: 1 (the default when 0) is
	// real time; 0.001 makes a 2-minute call last 120 ms of wall time.
	// Timestamps and durations the API reports are emulated time.
	TimeScale float64
	// StatePath, when set, is read by New (if the file exists) and written by
	// Save and Close (write to a temporary file, then rename).
	StatePath string
	// Balance is the starting balance in USD, "20.00" when empty. Ignored
	// when a state file is loaded.
	Balance string
	// Seed makes the pools of available numbers (and nothing else) differ
	// between emulators. Same seed, same numbers.
	Seed int64
	// Logger receives request and call logs. nil discards. Credentials are
	// never logged.
	Logger *slog.Logger

	// PoolSize is how many numbers each area code offers in total, 20 when 0.
	PoolSize int
	// EmptyAreaCodes are valid area codes that offer no numbers at all. nil
	// means DefaultEmptyAreaCodes; an empty non-nil slice means none.
	EmptyAreaCodes []string

	// Call timing, in emulated time. Zero means the documented default.
	QueueDelay  time.Duration // queued -> ringing (1 s)
	RingTime    time.Duration // ringing before an answering callee picks up (3 s)
	TalkTime    time.Duration // a human callee hangs up after this (90 s)
	MachineTime time.Duration // a voicemail hangs up after this (20 s)
	KeyDelay    time.Duration // a callee presses keys this long after a Gather's prompt (1 s)
	PriceDelay  time.Duration // an ended call is priced this long after it ended (30 s)
	// GatherDigits are the keys a callee presses in a <Gather>, "1" when empty.
	GatherDigits string
	// WebhookTimeout bounds each webhook request (status callbacks, Gather
	// and Dial actions, Url fetches) in wall time: 15 s when 0, as Twilio.
	WebhookTimeout time.Duration
}

// DefaultEmptyAreaCodes are the area codes that, unless Config says
// otherwise, are valid but have no numbers to sell: 907 (Alaska).
var DefaultEmptyAreaCodes = []string{"907"}

// Defaults of Config's durations and sizes.
const (
	DefaultPoolSize     = 20
	DefaultQueueDelay   = 1 * time.Second
	DefaultRingTime     = 3 * time.Second
	DefaultTalkTime     = 90 * time.Second
	DefaultMachineTime  = 20 * time.Second
	DefaultKeyDelay     = 1 * time.Second
	DefaultPriceDelay   = 30 * time.Second
	DefaultBalance      = "20.00"
	defaultWebhookLimit = 15 * time.Second
)

var (
	accountSIDRe = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	apiKeyRe     = regexp.MustCompile(`^SK[0-9a-f]{32}$`)
	hex32Re      = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// RequestRecord describes one API request the server answered (requests to
// /_emulator/ are not recorded).
type RequestRecord struct {
	Method string   `json:"method"`
	Path   string   `json:"path"`   // without the query
	Params []string `json:"params"` // names of query and form parameters, sorted, unique
	Status int      `json:"status"` // 0 when the connection was dropped
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	clk     *clock
	handler http.Handler
	hc      *http.Client

	ctx     context.Context // cancelled by Close
	closing chan struct{}   // closed when Close begins
	cancel  context.CancelFunc
	wg      sync.WaitGroup // call runners and callback senders

	mu       sync.Mutex
	st       state
	numbers  map[string]*numberRec // by SID
	byPhone  map[string]*numberRec // by E.164
	calls    map[string]*call      // by SID
	order    []*call               // creation order
	unpriced []*call
	pools    map[string][]poolNumber // cache by area code
	consumed map[string]bool         // pool numbers ever sold
	empty    map[string]bool
	faults   faults
	answer   map[string]*answerRate // by caller ID: SetAnswerRate
	reqMu    sync.Mutex             // guards reqs only; a leaf lock
	reqs     []RequestRecord
	closed   bool
	srv      *http.Server
	saveMu   sync.Mutex
}

type faults struct {
	purchaseCode   int
	rateLimit      int
	fail5xx        int
	latency        time.Duration
	drop           bool
	purchaseDrop   bool
	fail5xxCounter int
	nullBalance    bool // Balance answers "balance": null until cleared
}

// New validates cfg, loads the state file if there is one, and returns a
// server that is not yet listening: use Handler or Start.
func New(cfg Config) (*Server, error) {
	if !accountSIDRe.MatchString(cfg.AccountSID) {
		return nil, errors.New("twilioemu: AccountSID must be AC followed by 32 lower-case hex digits")
	}
	if !hex32Re.MatchString(cfg.AuthToken) {
		return nil, errors.New("twilioemu: AuthToken must be 32 hex digits")
	}
	for sid, secret := range cfg.APIKeys {
		if !apiKeyRe.MatchString(sid) || secret == "" {
			return nil, errors.New("twilioemu: API keys must be SK followed by 32 lower-case hex digits, with a non-empty secret")
		}
	}
	switch {
	case cfg.TimeScale == 0:
		cfg.TimeScale = 1
	case cfg.TimeScale < 0:
		return nil, errors.New("twilioemu: TimeScale must be positive")
	}
	if cfg.Balance == "" {
		cfg.Balance = DefaultBalance
	}
	bal, err := dialer.ParseAmount(cfg.Balance)
	if err != nil {
		return nil, fmt.Errorf("twilioemu: Balance: %w", err)
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = DefaultPoolSize
	}
	if cfg.EmptyAreaCodes == nil {
		cfg.EmptyAreaCodes = DefaultEmptyAreaCodes
	}
	defDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defDur(&cfg.QueueDelay, DefaultQueueDelay)
	defDur(&cfg.RingTime, DefaultRingTime)
	defDur(&cfg.TalkTime, DefaultTalkTime)
	defDur(&cfg.MachineTime, DefaultMachineTime)
	defDur(&cfg.KeyDelay, DefaultKeyDelay)
	defDur(&cfg.PriceDelay, DefaultPriceDelay)
	defDur(&cfg.WebhookTimeout, defaultWebhookLimit)
	if cfg.GatherDigits == "" {
		cfg.GatherDigits = "1"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg:      cfg,
		log:      log,
		numbers:  map[string]*numberRec{},
		byPhone:  map[string]*numberRec{},
		calls:    map[string]*call{},
		pools:    map[string][]poolNumber{},
		consumed: map[string]bool{},
		empty:    map[string]bool{},
	}
	for _, ac := range cfg.EmptyAreaCodes {
		s.empty[ac] = true
	}
	s.st = state{Version: stateVersion, AccountSID: cfg.AccountSID, Balance: bal, Counters: map[string]uint64{}}
	if cfg.StatePath != "" {
		if err := s.load(cfg.StatePath); err != nil {
			return nil, err
		}
	}
	start := time.Now().UTC()
	if s.st.Clock.After(start) {
		start = s.st.Clock
	}
	s.clk = newClock(start, cfg.TimeScale)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.closing = make(chan struct{})
	s.hc = &http.Client{
		Timeout: cfg.WebhookTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the emulator's HTTP handler: the Twilio API (api.twilio.com
// and pricing.twilio.com paths) plus the /_emulator/ control endpoints.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr, which must be 127.0.0.1:PORT (PORT may be 0), and
// serves in the background. It returns the base URL, e.g.
// "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("twilioemu: listen address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return "", fmt.Errorf("twilioemu: listen address %q: only 127.0.0.1 is allowed", addr)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", errors.New("twilioemu: server closed")
	}
	if s.srv != nil {
		s.mu.Unlock()
		return "", errors.New("twilioemu: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.mu.Unlock()
		return "", fmt.Errorf("twilioemu: %w", err)
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.srv = srv
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator server stopped", "err", err)
		}
	}()
	base := "http://" + ln.Addr().String()
	s.log.Info("emulator listening", "url", base)
	return base, nil
}

// Close stops the listener, ends every live call, stops every timer and
// goroutine, and saves the state when StatePath is set. Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	srv := s.srv
	for _, c := range s.order {
		if !c.ended() {
			s.endLocked(c, hangupStatus(c))
		}
	}
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if e := srv.Shutdown(ctx); e != nil {
			_ = srv.Close()
		}
		cancel()
	}
	s.cancel()
	s.wg.Wait()
	s.hc.CloseIdleConnections()
	if s.cfg.StatePath != "" {
		err = s.Save()
	}
	return err
}

// answerRate is how often callees answer <Dial> legs from one caller ID:
// mille answered of each thousand, legs counted since it was set.
type answerRate struct {
	mille int64
	legs  int64
}

// SetAnswerRate makes callees answer only the share rate (0 to 1) of the
// <Dial> legs dialed from callerID (the callerId attribute, or the parent
// call's From): the others ring out unanswered (no-answer), as a number
// carriers flag as spam goes unanswered. It is deterministic: of the first
// n legs from callerID after the call, exactly ⌊n×rate⌋ are answered (rate
// read to the thousandth), so with rate 0.05 the 20th and the 40th are.
// Numbers that are busy or fail by their last four digits stay so. Rate 1
// clears the setting; calls created with the API (the agent's leg of a
// bridge) are not affected.
func (s *Server) SetAnswerRate(callerID string, rate float64) error {
	if callerID == "" {
		return errors.New("twilioemu: answer rate: no caller ID given")
	}
	if math.IsNaN(rate) || rate < 0 || rate > 1 {
		return fmt.Errorf("twilioemu: answer rate %v for %s: want a share from 0 to 1", rate, callerID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rate == 1 {
		delete(s.answer, callerID)
		return nil
	}
	if s.answer == nil {
		s.answer = map[string]*answerRate{}
	}
	s.answer[callerID] = &answerRate{mille: int64(math.Round(rate * 1000))}
	return nil
}

// FailNextPurchase makes the next IncomingPhoneNumbers create fail with the
// Twilio error code given (and its HTTP status, see errorStatus). 0 clears.
func (s *Server) FailNextPurchase(code int) {
	s.mu.Lock()
	s.faults.purchaseCode = code
	s.mu.Unlock()
}

// RateLimitNext makes the next n API requests answer 429, code 20429, with
// Retry-After: 1.
func (s *Server) RateLimitNext(n int) {
	s.mu.Lock()
	s.faults.rateLimit = max(n, 0)
	s.mu.Unlock()
}

// FailNext5xx makes the next n API requests answer 500 (code 20500) and 503
// (code 20503) in turn, starting with 500.
func (s *Server) FailNext5xx(n int) {
	s.mu.Lock()
	s.faults.fail5xx = max(n, 0)
	s.faults.fail5xxCounter = 0
	s.mu.Unlock()
}

// SetLatency adds d of wall time before each API request is handled.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.faults.latency = max(d, 0)
	s.mu.Unlock()
}

// DropNextConnection makes the next API request close its TCP connection
// without a response and without doing anything.
func (s *Server) DropNextConnection() {
	s.mu.Lock()
	s.faults.drop = true
	s.mu.Unlock()
}

// PurchaseAfterDrop makes the next IncomingPhoneNumbers create succeed (the
// number is bought and charged) and then close the connection without a
// response: the "did it buy?" case.
func (s *Server) PurchaseAfterDrop() {
	s.mu.Lock()
	s.faults.purchaseDrop = true
	s.mu.Unlock()
}

// SetNullBalance makes the Balance resource answer "balance": null, as
// Twilio does for a subaccount, until called again with false. The
// balance itself still changes as calls and numbers are charged.
func (s *Server) SetNullBalance(on bool) {
	s.mu.Lock()
	s.faults.nullBalance = on
	s.mu.Unlock()
}

// Requests returns the API requests answered so far, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]RequestRecord, len(s.reqs))
	copy(out, s.reqs)
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.reqs = nil
	s.reqMu.Unlock()
}

// authOK checks HTTP basic auth against the account's token and API keys.
func (s *Server) authOK(r *http.Request) (present, ok bool) {
	user, pass, has := r.BasicAuth()
	if !has {
		return false, false
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if eq(user, s.cfg.AccountSID) && eq(pass, s.cfg.AuthToken) {
		return true, true
	}
	if secret, found := s.cfg.APIKeys[user]; found && eq(pass, secret) {
		return true, true
	}
	return true, false
}

// paramNames lists the parameter names of a parsed request.
func paramNames(r *http.Request) []string {
	seen := map[string]bool{}
	for k := range r.URL.Query() {
		seen[k] = true
	}
	for k := range r.PostForm {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
