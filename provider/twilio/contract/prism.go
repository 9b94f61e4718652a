package contract

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is one Prism process listening on 127.0.0.1.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Name string
	cmd  *exec.Cmd
	logs *tail
	done chan struct{} // closed when the process has exited
	once sync.Once
}

// startTimeout bounds how long Prism may take to listen.
const startTimeout = 60 * time.Second

var registry struct {
	mu      sync.Mutex
	servers map[*Server]bool
}

// Start runs `prism <args...> -h 127.0.0.1 -p PORT` on a free port and
// waits until it accepts connections. The process runs in its own process
// group, is killed with it by Close or StopAll, and on Linux also dies
// with the test binary (parent-death signal), so a test killed by its
// -timeout watchdog leaves no Prism behind.
func Start(e *Env, name string, args ...string) (*Server, error) {
	var lastErr error
	for range 3 { // another process may grab the free port first
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startOn(e, name, port, args)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startOn(e *Env, name string, port int, args []string) (*Server, error) {
	argv := append([]string{e.Prism}, args...)
	argv = append(argv, "-h", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd := exec.Command(e.Node, argv...)
	cmd.Dir = e.Dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	logs := newTail(256 << 10)
	cmd.Stdout, cmd.Stderr = logs, logs
	setProcAttr(cmd)
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Name: name, cmd: cmd, logs: logs, done: make(chan struct{})}

	// The parent-death signal is tied to the OS thread that forks: start
	// and wait from one locked thread that lives as long as the child.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting prism (%s): %w", name, err)
	}
	registry.mu.Lock()
	if registry.servers == nil {
		registry.servers = map[*Server]bool{}
	}
	registry.servers[s] = true
	registry.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.done:
			s.Close()
			return nil, fmt.Errorf("prism (%s) exited before listening:\n%s", name, logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond); err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("prism (%s) did not listen within %v:\n%s", name, startTimeout, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns Prism's recent output (it logs each request and each
// validation problem).
func (s *Server) Logs() string { return s.logs.String() }

// PID is the Prism process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Close kills the process group and waits for the process to exit.
func (s *Server) Close() {
	s.once.Do(func() {
		killGroup(s.cmd)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
		registry.mu.Lock()
		delete(registry.servers, s)
		registry.mu.Unlock()
	})
}

// StopAll kills every Prism this package started. Call it from TestMain
// after m.Run.
func StopAll() {
	registry.mu.Lock()
	all := make([]*Server, 0, len(registry.servers))
	for s := range registry.servers {
		all = append(all, s)
	}
	registry.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(s.Close)
	}
	wg.Wait()
	shared.mu.Lock()
	shared.mocks, shared.err, shared.done = nil, nil, false
	shared.specsMu.Lock()
	shared.specs = nil
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
		shared.dir = ""
	}
	shared.specsMu.Unlock()
	shared.mu.Unlock()
}

// Pair is two Prism servers of one kind (mocks or proxies), one for
// api.twilio.com and one for pricing.twilio.com.
type Pair struct {
	Specs        *Specs
	API, Pricing *Server
	label        string // names the servers in Logs: "prism", "prism proxy"
}

// Mocks are Prism mock servers for api.twilio.com and pricing.twilio.com.
type Mocks = Pair

// Proxies are Prism proxies in front of one upstream server that serves
// both api.twilio.com and pricing.twilio.com paths (the emulator). Each
// validates requests and the upstream's responses against Twilio's spec
// and reports problems in the sl-violations response header, which a
// Recorder turns into test failures.
type Proxies = Pair

// BaseURLs maps Twilio hosts to the servers, for the adapter's
// Config.BaseURLs.
func (p *Pair) BaseURLs() map[string]string {
	return map[string]string{"api.twilio.com": p.API.URL, "pricing.twilio.com": p.Pricing.URL}
}

// Logs is both servers' recent output.
func (p *Pair) Logs() string {
	return "--- " + p.label + " api ---\n" + p.API.Logs() + "\n--- " + p.label + " pricing ---\n" + p.Pricing.Logs()
}

// startPair runs `prism <mode> <spec> <args...>` for the API and the
// pricing spec at once, as "api <mode>" and "pricing <mode>". When either
// fails, both are closed and the API's error wins.
func startPair(e *Env, specs *Specs, label, mode string, args ...string) (*Pair, error) {
	p := &Pair{Specs: specs, label: label}
	var errAPI, errPricing error
	var wg sync.WaitGroup
	start := func(host, spec string) (*Server, error) {
		return Start(e, host+" "+mode, append([]string{mode, spec}, args...)...)
	}
	wg.Go(func() { p.API, errAPI = start("api", specs.APIPath) })
	wg.Go(func() { p.Pricing, errPricing = start("pricing", specs.PricingPath) })
	wg.Wait()
	if errAPI != nil || errPricing != nil {
		for _, s := range []*Server{p.API, p.Pricing} {
			if s != nil {
				s.Close()
			}
		}
		if errAPI != nil {
			return nil, errAPI
		}
		return nil, errPricing
	}
	return p, nil
}

// shared is what a test binary starts once and StopAll ends: the
// prepared specs (in dir) and the mocks.
var shared struct {
	mu    sync.Mutex // guards done, mocks and err; taken before specsMu
	done  bool
	mocks *Mocks
	err   error

	// specsMu guards dir and specs only, so that StartProxies does not
	// wait for SharedMocks to start Prism.
	specsMu sync.Mutex
	dir     string
	specs   *Specs
}

// sharedSpecs prepares Twilio's specs once per test binary (parsing them
// takes a while) into a temporary folder that StopAll removes. A failure
// is not kept: the next call tries again.
func sharedSpecs(e *Env) (*Specs, error) {
	shared.specsMu.Lock()
	defer shared.specsMu.Unlock()
	if shared.specs != nil {
		return shared.specs, nil
	}
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "dialer-contract-")
		if err != nil {
			return nil, err
		}
		shared.dir = dir
	}
	specs, err := PrepareSpecs(e.SpecDir, shared.dir)
	if err != nil {
		return nil, err
	}
	shared.specs = specs
	return specs, nil
}

// SharedMocks starts the static-example Prism mocks once per test binary
// (call StopAll from TestMain) and returns them; see Require for what
// happens when the Node packages are missing.
func SharedMocks(t testing.TB) *Mocks {
	t.Helper()
	e := Require(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.done {
		shared.done = true
		shared.mocks, shared.err = startMocks(e)
	}
	if shared.err != nil {
		t.Fatalf("starting Prism mocks: %v", shared.err)
	}
	return shared.mocks
}

func startMocks(e *Env) (*Mocks, error) {
	specs, err := sharedSpecs(e)
	if err != nil {
		return nil, err
	}
	return startPair(e, specs, "prism", "mock")
}

// StartProxies starts `prism proxy` for the API and pricing specs in
// front of upstream (e.g. the emulator's base URL). They stop at the end
// of the test (and in StopAll); the specs they serve are prepared once per
// test binary (call StopAll from TestMain).
func StartProxies(t testing.TB, upstream string) *Proxies {
	t.Helper()
	e := Require(t)
	specs, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	p, err := startPair(e, specs, "prism proxy", "proxy", upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.API.Close)
	t.Cleanup(p.Pricing.Close)
	return p
}

// Dynamic wraps base so that every request asks Prism mocks to generate
// its answer from the spec's schemas with seed (the header `Prefer:
// dynamic=true, seed=N`, as `prism mock -d --seed N` would for all)
// instead of serving the spec's examples: any nullable field may be null,
// and strings hold arbitrary text whatever their format. Prism seeds each
// answer afresh, so one seed gives one answer per operation, the same on
// every run and whatever else the mocks serve meanwhile.
func Dynamic(base http.RoundTripper, seed int) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return dynamic{base: base, prefer: "dynamic=true, seed=" + strconv.Itoa(seed)}
}

type dynamic struct {
	base   http.RoundTripper
	prefer string
}

func (d dynamic) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Prefer", d.prefer)
	return d.base.RoundTrip(req)
}

// tail keeps the last n bytes written.
type tail struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func newTail(n int) *tail { return &tail{n: n} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.n; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
