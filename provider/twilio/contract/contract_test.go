package contract

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopAll()
	os.Exit(code)
}

const (
	acct = "AC0123456789abcdef0123456789abcdef"
	tok  = "f00dfeedf00dfeedf00dfeedf00dfeed"
	call = "CA0123456789abcdef0123456789abcdef"
)

func mustDoc(t *testing.T, s string) *object {
	t.Helper()
	v, err := decodeOrdered(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(*object)
}

func TestFixFormArraysKeepsOrder(t *testing.T) {
	doc := mustDoc(t, `{"paths": {"/x": {"post": {"requestBody": {"content": {"application/x-www-form-urlencoded":
		{"schema": {"$ref": "#/components/schemas/req"}}}},
		"responses": {"200": {"content": {"application/json": {"examples": {"zFull": {"value": 1.50}, "aEmpty": {"value": 2}}}}}}}}},
		"components": {"schemas": {"req": {"properties": {"Events": {"type": "array", "items": {"type": "string"}}, "To": {"type": "string"}}}}}}`)
	fixFormArrays(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"encoding":{"Events":{"style":"form","explode":true}}`,
		`"examples":{"zFull":{"value":1.50},"aEmpty":{"value":2}}`, // order and number text kept
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s\nlacks %s", b, want)
		}
	}
	if strings.Contains(string(b), `"To":{"style"`) {
		t.Errorf("encoding added to a non-array field: %s", b)
	}
}

func TestMergeSpecsClash(t *testing.T) {
	a := mustDoc(t, `{"paths": {"/a": {}}, "components": {"schemas": {"s": {"type": "string"}}}}`)
	b := mustDoc(t, `{"paths": {"/b": {}}, "components": {"schemas": {"s": {"type": "number"}}}}`)
	if _, err := mergeSpecs(a, b); err == nil {
		t.Error("clashing schemas merged")
	}
	b = mustDoc(t, `{"paths": {"/b": {}}, "components": {"schemas": {"s": {"type": "string"}}}}`)
	m, err := mergeSpecs(a, b)
	if err != nil || len(obj(m.get("paths")).keys) != 2 {
		t.Errorf("merge: %v", err)
	}
}

func TestUndeclaredAgainstTwilioSpec(t *testing.T) {
	e := Require(t)
	specs, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	path := "/2010-04-01/Accounts/" + acct + "/Calls.json"
	_, unknown, err := specs.Undeclared("POST", path, nil, url.Values{"To": {"x"}, "Twiml": {"x"}, "StatusCallbackEvents": {"x"}})
	if err != nil || len(unknown) != 1 || unknown[0] != "StatusCallbackEvents" {
		t.Errorf("unknown %v, err %v; want the misspelled StatusCallbackEvents", unknown, err)
	}
	tmpl, unknown, err := specs.Undeclared("GET", "/v2/Voice/Numbers/+14155550100", url.Values{"OriginationNumber": {"x"}}, nil)
	if err != nil || len(unknown) != 0 || tmpl != "/v2/Voice/Numbers/{DestinationNumber}" {
		t.Errorf("pricing v2: %s %v %v", tmpl, unknown, err)
	}
	if _, _, err := specs.Undeclared("GET", "/v3/Nothing", nil, nil); err == nil {
		t.Error("unknown path accepted")
	}
}

// router serves both hosts' paths from one base URL, like the emulator,
// by sending them to the two Prism mocks.
func router(t *testing.T, m *Mocks) *httptest.Server {
	t.Helper()
	proxy := func(raw string) *httputil.ReverseProxy {
		u, _ := url.Parse(raw)
		p := httputil.NewSingleHostReverseProxy(u)
		// The mock's own request checks are not what a proxy test is about.
		p.ModifyResponse = func(r *http.Response) error { r.Header.Del("sl-violations"); return nil }
		return p
	}
	api, pricing := proxy(m.API.URL), proxy(m.Pricing.URL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/2010-04-01/") {
			api.ServeHTTP(w, r)
			return
		}
		pricing.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, rawURL string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", rawURL, nil)
	req.SetBasicAuth(acct, tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// The proxy check passes Twilio's own example responses (served by the
// mocks) apart from the spec's known deviations.
func TestProxyAcceptsSpecExamples(t *testing.T) {
	m := SharedMocks(t)
	p := StartProxies(t, router(t, m).URL)
	rec := NewRecorder(nil, p.Specs)
	c := &http.Client{Transport: rec}
	for _, u := range []string{
		p.API.URL + "/2010-04-01/Accounts/" + acct + "/Calls/" + call + ".json",
		p.API.URL + "/2010-04-01/Accounts/" + acct + "/Calls.json?ParentCallSid=" + call + "&PageSize=50",
		p.API.URL + "/2010-04-01/Accounts/" + acct + "/IncomingPhoneNumbers.json?PageSize=1000",
		p.API.URL + "/2010-04-01/Accounts/" + acct + "/AvailablePhoneNumbers/US/Local.json?AreaCode=415",
		p.API.URL + "/2010-04-01/Accounts/" + acct + "/Balance.json",
		p.Pricing.URL + "/v1/PhoneNumbers/Countries/US",
		p.Pricing.URL + "/v2/Voice/Numbers/+14155550100?OriginationNumber=%2B14155550199",
	} {
		if r := get(t, c, u); r.StatusCode >= 300 {
			t.Errorf("%s: HTTP %d", u, r.StatusCode)
		}
	}
	var n int
	for _, ex := range rec.Exchanges() {
		for _, v := range ex.Violations {
			n++
			t.Logf("allowed: %s %s", ex.Path, v)
		}
	}
	if n == 0 {
		t.Error("no violations seen at all: is the proxy validating responses?")
	}
	rec.Verify(t)
	if m.label != "prism" || p.label != "prism proxy" {
		t.Errorf("Logs labels %q and %q, want prism and prism proxy", m.label, p.label)
	}
}

// Logs names both servers of a pair, as it always has.
func TestPairLogs(t *testing.T) {
	srv := func(out string) *Server {
		s := &Server{logs: newTail(1 << 10)}
		s.logs.Write([]byte(out))
		return s
	}
	for _, tc := range []struct {
		p    *Pair
		want string
	}{
		{&Mocks{API: srv("a1\na2\n"), Pricing: srv("p1\n"), label: "prism"},
			"--- prism api ---\na1\na2\n\n--- prism pricing ---\np1\n"},
		{&Proxies{API: srv(""), Pricing: srv("p"), label: "prism proxy"},
			"--- prism proxy api ---\n\n--- prism proxy pricing ---\np"},
	} {
		if got := tc.p.Logs(); got != tc.want {
			t.Errorf("Logs %q, want %q", got, tc.want)
		}
	}
}

// A server that breaks the spec is caught.
func TestProxyReportsBadResponses(t *testing.T) {
	Require(t)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/Balance.json"):
			fmt.Fprint(w, `{"account_sid": "`+acct+`", "balance": 12.5, "currency": "USD"}`) // balance must be a string
		default:
			fmt.Fprint(w, `{"sid": 42, "status": "ringing-ish", "to": "+14155550100"}`) // wrong type, bad enum
		}
	}))
	t.Cleanup(bad.Close)
	p := StartProxies(t, bad.URL)
	rec := NewRecorder(nil, p.Specs)
	c := &http.Client{Transport: rec}
	get(t, c, p.API.URL+"/2010-04-01/Accounts/"+acct+"/Calls/"+call+".json")
	get(t, c, p.API.URL+"/2010-04-01/Accounts/"+acct+"/Balance.json")
	probs := strings.Join(rec.Problems(), "\n")
	for _, want := range []string{"response.body.sid", "response.body.status", "response.body.balance"} {
		if !strings.Contains(probs, want) {
			t.Errorf("no violation reported at %s; problems:\n%s", want, probs)
		}
	}
	t.Logf("reported (as expected):\n%s", probs)
}

// Twilio's spec declares no error responses: the Twilio errors the adapter
// relies on are allowed for their operation only, with Twilio's error body,
// and an undeclared success status is still caught.
func TestProxyUndeclaredStatus(t *testing.T) {
	Require(t)
	other := "CA" + strings.Repeat("1", 32)
	pn := "PN" + strings.Repeat("2", 32)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilioErr := func(status, code int) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"code": %d, "message": "m", "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`, code, code, status)
		}
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Calls/"+call+".json"):
			twilioErr(400, 21220) // allowed
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Calls/"+other+".json"):
			http.Error(w, "oops", 400) // not Twilio's error body
		case r.Method == "DELETE" && strings.HasSuffix(r.URL.Path, "/IncomingPhoneNumbers/"+pn+".json"):
			twilioErr(404, 20404) // allowed
		case r.Method == "DELETE" && strings.HasSuffix(r.URL.Path, "/Calls/"+call+".json"):
			twilioErr(404, 20404) // another operation
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201) // Balance declares 200 only
			fmt.Fprint(w, `{"account_sid": "`+acct+`", "balance": "1.00", "currency": "USD"}`)
		}
	}))
	t.Cleanup(up.Close)
	p := StartProxies(t, up.URL)
	rec := NewRecorder(nil, p.Specs)
	c := &http.Client{Transport: rec}
	do := func(method, path string, form url.Values) {
		req, _ := http.NewRequest(method, p.API.URL+"/2010-04-01/Accounts/"+acct+path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.SetBasicAuth(acct, tok)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	do("POST", "/Calls/"+call+".json", url.Values{"Status": {"completed"}})
	do("POST", "/Calls/"+other+".json", url.Values{"Status": {"completed"}})
	do("DELETE", "/IncomingPhoneNumbers/"+pn+".json", nil)
	do("DELETE", "/Calls/"+call+".json", nil)
	do("GET", "/Balance.json", nil)
	probs := rec.Problems()
	want := []string{
		"POST /2010-04-01/Accounts/" + acct + "/Calls/" + other + ".json (HTTP 400): spec violation: Warning response: Unable to match the returned status code with those defined in the document: 200",
		"DELETE /2010-04-01/Accounts/" + acct + "/Calls/" + call + ".json (HTTP 404): spec violation: Warning response: Unable to match the returned status code with those defined in the document: 204",
		"GET /2010-04-01/Accounts/" + acct + "/Balance.json (HTTP 201): spec violation: Error response: Unable to match the returned status code with those defined in the document: 200",
	}
	if strings.Join(probs, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(probs, "\n"), strings.Join(want, "\n"))
	}
	if n := len(rec.Exchanges()); n != 5 {
		t.Errorf("%d exchanges, want 5", n)
	}
	rec.Verify(&testing.T{}) // problems go, exchanges stay
	if len(rec.Problems()) != 0 || len(rec.Exchanges()) != 5 {
		t.Errorf("after Verify: %d problems, %d exchanges; want 0 and 5", len(rec.Problems()), len(rec.Exchanges()))
	}
}

// Prism's request checks: a misspelled parameter, a missing required one.
func TestRecorderCatchesBadRequests(t *testing.T) {
	m := SharedMocks(t)
	rec := NewRecorder(nil, m.Specs)
	c := &http.Client{Transport: rec}
	form := url.Values{"To": {"+14155550100"}, "From": {"+14155550199"}, "Twiml": {"<Response/>"}, "StatusCallbackEvnt": {"ringing"}}
	req, _ := http.NewRequest("POST", m.API.URL+"/2010-04-01/Accounts/"+acct+"/Calls.json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(acct, tok)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("POST", m.API.URL+"/2010-04-01/Accounts/"+acct+"/Calls.json", strings.NewReader("Twiml=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(acct, tok)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	probs := rec.Problems()
	if len(probs) != 2 || !strings.Contains(probs[0], "StatusCallbackEvnt") || !strings.Contains(probs[1], "HTTP 422") {
		t.Errorf("problems %q; want the undeclared name and Prism's 422", probs)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return syscall.Kill(pid, 0) == nil && runtime.GOOS != "linux"
	}
	// pid (comm) STATE ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Close kills Prism by its process group.
func TestPrismStops(t *testing.T) {
	e := Require(t)
	specs, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(e, "stop test", "mock", specs.PricingPath)
	if err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	s.Close()
	if alive(pid) {
		t.Errorf("prism %d still alive after Close", pid)
	}
}

const helperEnv = "DIALER_CONTRACT_HELPER_CHILD"

// TestHelperHoldPrism is the child of TestPrismDiesWithTestBinary: it
// starts Prism, prints its PID and waits to be killed.
func TestHelperHoldPrism(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process only")
	}
	e := Require(t)
	specs, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(e, "orphan test", "mock", specs.PricingPath)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PRISM_PID=%d\n", s.PID())
	time.Sleep(time.Minute)
}

// A test binary killed outright (SIGKILL, as a -timeout watchdog or a CI
// runner might) takes its Prism with it: no orphans.
func TestPrismDiesWithTestBinary(t *testing.T) {
	Require(t)
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux-only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldPrism$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "PRISM_PID=%d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the helper did not report a Prism PID")
	}
	if !alive(pid) {
		t.Fatalf("prism %d not running while its test binary lives", pid)
	}
	cmd.Process.Kill() // SIGKILL: no cleanup code runs in the child
	go io.Copy(io.Discard, out)
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(-pid, syscall.SIGKILL) // do not leave it behind
			t.Fatalf("prism %d outlived its killed test binary", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The specs are prepared once per test binary and shared.
func TestSharedSpecsPreparedOnce(t *testing.T) {
	e := Require(t)
	a, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("specs prepared twice")
	}
	for _, f := range []string{a.APIPath, a.PricingPath} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("prepared spec %s: %v", f, err)
		}
	}
}

// When one server of a pair fails to start, the other is closed too and
// the first failure (the API's) is returned.
func TestStartPairClosesBothOnFailure(t *testing.T) {
	e := Require(t)
	specs, err := sharedSpecs(e)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		registry.mu.Lock()
		defer registry.mu.Unlock()
		return len(registry.servers)
	}
	before := count()
	bad := &Specs{APIPath: filepath.Join(t.TempDir(), "missing.json"), PricingPath: specs.PricingPath}
	p, err := startPair(e, bad, "prism", "mock")
	if err == nil || p != nil {
		t.Fatalf("started with a missing spec: %v", err)
	}
	if !strings.Contains(err.Error(), "prism (api mock) exited before listening") {
		t.Errorf("error %v; want the API mock's", err)
	}
	if n := count(); n != before {
		t.Errorf("%d Prism servers left running, want %d", n, before)
	}
}
