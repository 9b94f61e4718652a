// Package contract runs contract tests against Twilio's own OpenAPI specs
// with Prism (@stoplight/prism-cli): request validation of the adapter
// against Prism mocks, and response validation of any Twilio-compatible
// server (the emulator) through a Prism proxy.
//
// It is a test helper: import it from _test.go files only. The Node
// packages it needs live in provider/twilio/testdata/contract; install
// them with
//
//	npm ci --prefix provider/twilio/testdata/contract
//
// Without them, Require skips the test, unless DIALER_CONTRACT=1 is set,
// in which case it fails (so CI cannot skip silently).
package contract

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InstallCommand installs the Node packages, from the module root.
const InstallCommand = "npm ci --prefix provider/twilio/testdata/contract"

// Env variables.
const (
	// EnvRequire set to 1 makes missing Node packages a test failure.
	EnvRequire = "DIALER_CONTRACT"
	// EnvDir overrides where the Node project (package.json and
	// node_modules) is.
	EnvDir = "DIALER_CONTRACT_DIR"
)

// Env is a usable Node installation with Prism and Twilio's specs.
type Env struct {
	Dir     string // the Node project: package.json, node_modules
	Node    string // the node binary
	Prism   string // prism-cli's entry script
	SpecDir string // Twilio's OpenAPI specs (@twilio/cli-core)
}

// ErrNotInstalled says the Node packages or node itself are missing.
var ErrNotInstalled = errors.New("contract test packages not installed")

// projectDir finds provider/twilio/testdata/contract: $DIALER_CONTRACT_DIR,
// else next to this source file, else from the working directory up.
func projectDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		d := filepath.Join(filepath.Dir(file), "..", "testdata", "contract")
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			return d
		}
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "provider", "twilio", "testdata", "contract")
		if _, err := os.Stat(filepath.Join(c, "package.json")); err == nil {
			return c
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, "provider", "twilio", "testdata", "contract")
		}
	}
}

// Find locates node, Prism and the specs.
func Find() (*Env, error) {
	dir, err := filepath.Abs(projectDir())
	if err != nil {
		return nil, err
	}
	e := &Env{
		Dir:     dir,
		Prism:   filepath.Join(dir, "node_modules", "@stoplight", "prism-cli", "dist", "index.js"),
		SpecDir: filepath.Join(dir, "node_modules", "@twilio", "cli-core", "src", "services", "twilio-api"),
	}
	for _, f := range []string{e.Prism, filepath.Join(e.SpecDir, SpecAPI), filepath.Join(e.SpecDir, SpecPricingV1), filepath.Join(e.SpecDir, SpecPricingV2)} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w: %s is missing; run `%s` (Node 20+ and npm)", ErrNotInstalled, f, InstallCommand)
		}
	}
	if e.Node, err = exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("%w: no node on PATH (Node 20+ is needed for Prism)", ErrNotInstalled)
	}
	return e, nil
}

// Require returns the Env or ends the test: a skip naming the npm command,
// or a failure when DIALER_CONTRACT=1.
func Require(t testing.TB) *Env {
	t.Helper()
	e, err := Find()
	if err == nil {
		return e
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%v (%s=1 makes this a failure)", err, EnvRequire)
	}
	t.Skipf("skipping Twilio contract test: %v; set %s=1 to fail instead", err, EnvRequire)
	return nil
}
