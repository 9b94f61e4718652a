// Package pgtest gives tests a fresh PostgreSQL database each: URL creates
// one (CREATE DATABASE, a unique name) and drops it when the test ends.
//
// The server is, in order of preference:
//   - the one DIALER_TEST_POSTGRES_URL names (a postgres:// URL of a role
//     allowed to create databases), or
//   - a throwaway server this package starts once per test binary from the
//     system's initdb and pg_ctl (on PATH, or the newest
//     /usr/lib/postgresql/*/bin), in a temporary directory, listening on a
//     free 127.0.0.1 port only, with no unix socket, fsync=off and
//     synchronous_commit=off. As root it runs as the user nobody, since
//     PostgreSQL refuses to run as root.
//
// Without either, URL skips the test with a message; with DIALER_POSTGRES=1
// (as in CI) it fails it instead.
//
// The throwaway server stops when Stop is called (from TestMain, or use
// Main) and also when the test process ends in any way, SIGKILL included: it
// runs under a small shell that holds the read end of a pipe whose write end
// only the test process has. When the test process ends the kernel closes
// that write end, the shell's read returns end-of-file, and the shell runs
// `pg_ctl stop -m immediate` and removes the directory.
//
// The package is meant for tests only; nothing outside _test.go files should
// import it.
package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by URL.
const (
	// EnvURL names an existing server to use instead of starting one.
	EnvURL = "DIALER_TEST_POSTGRES_URL"
	// EnvRequired, set to 1, turns "no PostgreSQL here" from a skip into a
	// failure.
	EnvRequired = "DIALER_POSTGRES"
)

// URL returns a connection URL to a new, empty database that belongs to this
// test alone; the database is dropped (WITH (FORCE)) when the test ends. The
// first call in a test binary may start the throwaway server (about a
// second); later calls reuse it.
func URL(tb testing.TB) string {
	tb.Helper()
	return global.url(tb, configFromEnv())
}

// Stop stops the throwaway server URL started, if it did, and removes its
// directory. Call it from TestMain after m.Run; URL fails after it. The
// server also stops by itself when the test process ends, so a missing Stop
// leaks nothing but a little time.
func Stop() error {
	return global.stop()
}

// Main is a TestMain body for packages whose tests call URL:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// config is what URL learns from the environment, separate so that tests can
// exercise each path.
type config struct {
	url      string               // EnvURL
	required bool                 // EnvRequired=1
	find     func() (bins, error) // locates initdb and pg_ctl
}

func configFromEnv() config {
	return config{
		url:      os.Getenv(EnvURL),
		required: os.Getenv(EnvRequired) == "1",
		find:     findBins,
	}
}

// harness is a throwaway server started at most once.
type harness struct {
	once    sync.Once
	mu      sync.Mutex
	srv     *server
	err     error
	stopped bool
}

var global harness

func (h *harness) url(tb testing.TB, c config) string {
	tb.Helper()
	admin := c.url
	if admin == "" {
		b, err := c.find()
		if err != nil {
			msg := fmt.Sprintf("no PostgreSQL for this test: %v; set %s to use a running server", err, EnvURL)
			if c.required {
				tb.Fatalf("%s (%s=1 makes this a failure)", msg, EnvRequired)
			}
			tb.Skipf("%s, or %s=1 to fail instead of skipping", msg, EnvRequired)
		}
		admin, err = h.start(b)
		if err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	return createDatabase(tb, admin)
}

// start starts the server once and returns its admin URL.
func (h *harness) start(b bins) (string, error) {
	h.once.Do(func() {
		srv, err := startServer(b)
		h.mu.Lock()
		h.srv, h.err = srv, err
		h.mu.Unlock()
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return "", errors.New("the throwaway PostgreSQL server was stopped (Stop was called); URL cannot be used after it")
	}
	if h.err != nil {
		return "", h.err
	}
	return h.srv.url, nil
}

func (h *harness) stop() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped || h.srv == nil {
		h.stopped = true
		return nil
	}
	h.stopped = true
	return h.srv.stop()
}

// createDatabase creates a database with a unique name on the server admin
// names, registers its drop, and returns its URL.
func createDatabase(tb testing.TB, admin string) string {
	tb.Helper()
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	name := dbName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("pgtest: connecting to PostgreSQL at %s: %v", u.Redacted(), err)
	}
	defer conn.Close(context.Background())
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		tb.Fatalf("pgtest: creating database %s at %s: %v", name, u.Redacted(), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("pgtest: connecting to drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	d := *u
	d.Path = "/" + name
	d.RawPath = ""
	return d.String()
}

// dbName is "pgtest_", the test's name folded to [a-z0-9_] and cut short,
// and 8 random hex digits: unique among test binaries sharing one server,
// readable in pg_database, within PostgreSQL's 63 bytes.
func dbName(test string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(test) {
		if sb.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	return "pgtest_" + sb.String() + "_" + hex.EncodeToString(rnd[:])
}

// bins are the PostgreSQL programs the throwaway server needs.
type bins struct {
	initdb, pgctl string
}

// findBins looks for initdb and pg_ctl on PATH, then in the newest
// /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH).
func findBins() (bins, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if pgctl, err := exec.LookPath("pg_ctl"); err == nil {
			return bins{initdb, pgctl}, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		b := bins{filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")}
		if executable(b.initdb) && executable(b.pgctl) {
			return b, nil
		}
	}
	return bins{}, errors.New("initdb and pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin")
}

// version is the major version in /usr/lib/postgresql/<version>/bin.
func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// server is a running throwaway PostgreSQL.
type server struct {
	url   string
	dir   string    // temporary directory: data/, postgres.log
	watch *os.File  // write end of the watchdog's stdin: closing it stops the server
	cmd   *exec.Cmd // the watchdog shell
	errs  *bytes.Buffer
}

// watchdog runs as the server's user. It starts the server with pg_ctl,
// says "ready", then reads its stdin until end-of-file, which comes when
// the test process closes the pipe (Stop) or ends (the kernel closes it),
// and then stops the server and removes the directory.
const watchdog = `trap '' HUP INT
pgctl=$1 dir=$2 port=$3
"$pgctl" start -w -s -D "$dir/data" -l "$dir/postgres.log" -o "-p $port" || exit 1
echo ready
while read -r _; do :; done
"$pgctl" stop -m immediate -s -D "$dir/data"
rm -rf "$dir"
`

// serverConf is appended to postgresql.conf: loopback TCP only, no unix
// socket, durability traded for speed (the data dies with the test).
// max_connections is 300: provider/integration's BenchmarkTeamAgents has
// 200 agents holding a connection each at once, beside its own and other
// tests' (a real team that size needs it raised, or a pooler, too).
const serverConf = `
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
`

// startServer runs initdb in a new temporary directory and starts the
// server on a free port.
func startServer(b bins) (*server, error) {
	dir, err := os.MkdirTemp("", "dialer-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("making the server's directory: %w", err)
	}
	cred, err := serverUser()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("handing %s to the user nobody: %w", dir, err)
		}
	}
	initdb := exec.Command(b.initdb, "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.Env = serverEnv()
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		hint := ""
		if cred != nil {
			hint = fmt.Sprintf(" (it runs as nobody, so every directory above %s must be searchable by nobody; TMPDIR moves it)", dir)
		}
		return nil, fmt.Errorf("%s failed (%v)%s; its output:\n%s", b.initdb, err, hint, out)
	}
	conf, err := os.OpenFile(filepath.Join(dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = conf.WriteString(serverConf)
		if cerr := conf.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("configuring the server: %w", err)
	}
	// The free port can be taken between our probe and the server's bind:
	// try a few.
	for attempt := 0; ; attempt++ {
		srv, err := launch(b, dir, cred)
		if err == nil {
			return srv, nil
		}
		if attempt == 4 || !strings.Contains(err.Error(), "already in use") {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// launch starts the watchdog shell and waits for the server to accept
// connections.
func launch(b bins, dir string, cred *syscall.Credential) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", watchdog, "pgtest-watchdog", b.pgctl, dir, strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Env = serverEnv()
	cmd.Stdin = r
	errs := new(bytes.Buffer)
	cmd.Stderr = errs
	// Its own process group: a Ctrl-C meant for `go test` reaches the test
	// process, whose end then stops the server in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("starting the PostgreSQL watchdog: %w", err)
	}
	r.Close()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		w.Close()
		werr := cmd.Wait()
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		os.Remove(filepath.Join(dir, "postgres.log"))
		return nil, fmt.Errorf("PostgreSQL did not start on 127.0.0.1:%d (%v): %s\n%s", port, werr, strings.TrimSpace(errs.String()), log)
	}
	return &server{
		url:   fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		dir:   dir,
		watch: w,
		cmd:   cmd,
		errs:  errs,
	}, nil
}

// stop makes the watchdog stop the server (pg_ctl stop -m immediate) and
// remove the directory, and waits for it.
func (s *server) stop() error {
	s.watch.Close()
	err := s.cmd.Wait()
	os.RemoveAll(s.dir) // the watchdog removed it unless it failed
	if err != nil {
		return fmt.Errorf("pgtest: stopping PostgreSQL in %s: %v: %s", s.dir, err, strings.TrimSpace(s.errs.String()))
	}
	return nil
}

// postmasterPID is the server's process id, from postmaster.pid.
func (s *server) postmasterPID() (int, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// serverUser is nil when the test does not run as root; as root, it is the
// user nobody, because PostgreSQL refuses to run as root.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user and nobody is not there: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("the user nobody's ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// serverEnv is the test's environment without the PG* variables, which
// would point initdb and pg_ctl elsewhere, and with the C locale.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// freePort is a 127.0.0.1 TCP port nothing listens on at the moment.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
