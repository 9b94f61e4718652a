package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("connecting to %s: %v", u, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestURLGivesAFreshDatabaseOnALoopbackServer(t *testing.T) {
	u := URL(t)
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, u)
	if db := queryString(t, conn, "SELECT current_database()"); "/"+db != pu.Path || !strings.HasPrefix(db, "pgtest_") {
		t.Errorf("current_database() = %q, URL path %q", db, pu.Path)
	}
	var tables int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("a fresh database has %d tables", tables)
	}
	if os.Getenv(EnvURL) != "" {
		if global.srv != nil {
			t.Errorf("a throwaway server was started although %s was set", EnvURL)
		}
		return // the settings below are the throwaway server's
	}
	pid, err := global.srv.postmasterPID()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		t.Fatal(err)
	}
	owner := fi.Sys().(*syscall.Stat_t).Uid
	if want := uint32(os.Geteuid()); want == 0 && owner == 0 || want != 0 && owner != want {
		t.Errorf("postmaster %d runs as uid %d (test runs as %d)", pid, owner, want)
	}
	if pu.Hostname() != "127.0.0.1" {
		t.Errorf("server host %q, want 127.0.0.1", pu.Hostname())
	}
	for setting, want := range map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": "",
		"fsync":                   "off",
		"synchronous_commit":      "off",
	} {
		if got := queryString(t, conn, "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
}

func TestTwoURLsAreTwoIsolatedDatabases(t *testing.T) {
	a, b := URL(t), URL(t)
	if a == b {
		t.Fatalf("both calls returned %s", a)
	}
	ca, cb := connect(t, a), connect(t, b)
	ctx := context.Background()
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (x int); INSERT INTO only_in_a VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := ca.QueryRow(ctx, "SELECT count(*) FROM only_in_a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count in a: %d, %v", n, err)
	}
	var found bool
	if err := cb.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found {
		t.Error("a table created in the first database is visible in the second")
	}
}

// adminURL is the shared server's admin URL, starting it if need be.
func adminURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	c := configFromEnv()
	b, err := c.find()
	if err != nil {
		URL(t) // skips or fails as the environment says
	}
	u, err := global.start(b)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func databaseExists(t *testing.T, admin *pgx.Conn, name string) bool {
	t.Helper()
	var n int
	if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestExistingServerURLIsUsedAndItsDatabaseDropped(t *testing.T) {
	existing := adminURL(t)
	admin := connect(t, existing)
	c := config{
		url: existing,
		find: func() (bins, error) {
			t.Error("with a server URL given, pgtest looked for initdb")
			return bins{}, errors.New("not wanted")
		},
	}
	var name string
	t.Run("inner", func(t *testing.T) {
		var h harness
		u := h.url(t, c)
		if h.srv != nil {
			t.Error("a server was started although a URL was given")
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(pu.Path, "/")
		if !databaseExists(t, admin, name) {
			t.Fatalf("database %q is not on the given server", name)
		}
		conn := connect(t, u)
		if db := queryString(t, conn, "SELECT current_database()"); db != name {
			t.Errorf("connected to %q, want %q", db, name)
		}
	})
	if databaseExists(t, admin, name) {
		t.Errorf("database %q is still there after its test ended", name)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvURL, "postgres://someone@db.example:5433/x")
	t.Setenv(EnvRequired, "1")
	c := configFromEnv()
	if c.url != "postgres://someone@db.example:5433/x" || !c.required {
		t.Errorf("configFromEnv() = %+v", c)
	}
	t.Setenv(EnvURL, "")
	t.Setenv(EnvRequired, "")
	if c := configFromEnv(); c.url != "" || c.required {
		t.Errorf("configFromEnv() with nothing set = %+v", c)
	}
}

// recorder is a testing.TB that records Skipf and Fatalf and ends the
// goroutine as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func record(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestNoServerSkipsUnlessRequired(t *testing.T) {
	missing := func() (bins, error) { return bins{}, errors.New("initdb and pg_ctl are nowhere") }
	for _, required := range []bool{false, true} {
		var h harness
		r := record(t, func(tb testing.TB) { h.url(tb, config{required: required, find: missing}) })
		if r.skipped == required || r.failed != required {
			t.Errorf("required=%v: skipped=%v failed=%v, want the test to %s", required, r.skipped, r.failed,
				map[bool]string{false: "skip", true: "fail"}[required])
		}
		for _, want := range []string{"initdb and pg_ctl are nowhere", EnvURL, EnvRequired} {
			if !strings.Contains(r.msg, want) {
				t.Errorf("required=%v: message %q does not mention %q", required, r.msg, want)
			}
		}
	}
}

func TestURLFailsAfterStop(t *testing.T) {
	b, err := findBins()
	if err != nil {
		t.Skip(err)
	}
	var h harness
	if _, err := h.start(b); err != nil {
		t.Fatal(err)
	}
	pid, err := h.srv.postmasterPID()
	if err != nil {
		t.Fatal(err)
	}
	dir := h.srv.dir
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("postmaster %d still runs after Stop", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server directory %s after Stop: %v", dir, err)
	}
	r := record(t, func(tb testing.TB) { h.url(tb, config{find: findBins}) })
	if !r.failed || !strings.Contains(r.msg, "Stop") {
		t.Errorf("URL after Stop: failed=%v %q", r.failed, r.msg)
	}
}

// alive says whether pid names a process that has not exited (a zombie
// waiting for its parent to reap it counts as exited).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestServerStopsWhenTheTestProcessIsKilled starts a server in a child test
// process, kills that process with SIGKILL (no Stop, no deferred code), and
// expects the postmaster to exit and its directory to go.
func TestServerStopsWhenTheTestProcessIsKilled(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		childStartsAServerAndWaits()
		return
	}
	if _, err := findBins(); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerStopsWhenTheTestProcessIsKilled$")
	cmd.Env = append(os.Environ(), "PGTEST_CHILD=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, _ := fmt.Sscanf(sc.Text(), "postmaster %d %s", &pid, &dir); n == 2 {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		t.Fatalf("the child process did not report a server: %v", cmd.Wait())
	}
	if !alive(pid) {
		t.Fatalf("postmaster %d is not running before the kill", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) || exists(dir) {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the test process was killed: postmaster %d alive=%v, directory %s there=%v",
				pid, alive(pid), dir, exists(dir))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func childStartsAServerAndWaits() {
	b, err := findBins()
	if err != nil {
		fmt.Println("no server:", err)
		os.Exit(2)
	}
	var h harness
	if _, err := h.start(b); err != nil {
		fmt.Println("no server:", err)
		os.Exit(2)
	}
	pid, err := h.srv.postmasterPID()
	if err != nil {
		fmt.Println("no pid:", err)
		os.Exit(2)
	}
	fmt.Printf("postmaster %d %s\n", pid, h.srv.dir)
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(3)
}

// BenchmarkStart measures a throwaway server's start: initdb, then pg_ctl
// start until it accepts connections. The stop is not timed.
func BenchmarkStart(b *testing.B) {
	bs, err := findBins()
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		srv, err := startServer(bs)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := srv.stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// cleanups is a testing.TB whose Cleanup functions run when asked.
type cleanups struct {
	testing.TB
	fs []func()
}

func (c *cleanups) Cleanup(f func()) { c.fs = append(c.fs, f) }
func (c *cleanups) run() {
	for i := len(c.fs) - 1; i >= 0; i-- {
		c.fs[i]()
	}
}

// BenchmarkDatabase measures one test's database on a running server:
// CREATE DATABASE, and DROP DATABASE at the test's end.
func BenchmarkDatabase(b *testing.B) {
	URL(b) // starts the server, or skips
	admin, err := global.start(bins{})
	if err != nil {
		admin = os.Getenv(EnvURL)
	}
	for b.Loop() {
		c := &cleanups{TB: b}
		createDatabase(c, admin)
		c.run()
	}
}
