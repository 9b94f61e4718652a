// Command dialer is a keyboard-driven terminal dialer for outbound sales
// teams. This file holds main and the subcommand table; each subcommand's
// wiring lives beside it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

func main() {
	// SIGHUP: the terminal was closed. Stop as on Ctrl+C (a live call is
	// hung up, the sandbox emulator saves its state) instead of dying.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what a subcommand gets: its output streams, the environment and
// the global flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	dbPath         string // --db
	create         bool   // --create
	sandbox        bool   // --sandbox
	twilioBaseURL  string // --twilio-base-url
	ui             bool   // the terminal UI runs: it shows SANDBOX itself
	readOnly       bool   // the command only reads the database
	logOff         bool   // the log file could not be opened (said once)
}

// terminal is a stdin that says whether it is a terminal: tests give one
// to stand for a person at the keyboard.
type terminal interface{ IsTerminal() bool }

// stdinIsTerminal says whether a person can type answers on stdin.
func (e *env) stdinIsTerminal() bool {
	switch in := e.stdin.(type) {
	case terminal:
		return in.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(in.Fd()))
	}
	return false
}

// readOnlyCommands only read the database: they open it read-only, so they
// work in a read-only directory and while another program writes.
var readOnlyCommands = map[string]bool{
	"dialer calls list": true, "dialer calls show": true, "dialer calls export": true,
	"dialer numbers list": true, "dialer charges list": true,
}

// command is one node of the subcommand tree: a group (subs) or a leaf (run).
type command struct {
	name    string
	summary string
	args    string                     // usage after the name, e.g. "[--json]"
	flags   func(fs *flag.FlagSet) any // registers the leaf's flags; its result reaches run
	run     func(ctx context.Context, e *env, opts any, args []string) error
	noArgs  string // set: the leaf takes flags only, and this is the usage error for arguments
	subs    []*command
}

func commands() *command {
	return &command{
		name:    "dialer",
		summary: "A keyboard-driven terminal dialer for outbound sales teams, on Twilio.",
		subs: []*command{
			versionCmd(),
			dirsCmd(),
			emulatorCmd(),
			agentCmd(),
			callCmd(),
			callsCmd(),
			{name: "numbers", summary: "The organization's phone number inventory.", subs: []*command{
				numbersListCmd(),
				numbersSearchCmd(),
				numbersBuyCmd(),
				numbersReleaseCmd(),
				numbersSweepCmd(),
				numbersReconcileCmd(),
			}},
			{name: "charges", summary: "Fees the organization was charged.", subs: []*command{
				chargesListCmd(),
			}},
		},
	}
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := dispatch(ctx, e, commands(), nil, args)
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dialer: %s\n", display.Line(ue.msg))
		return 2
	default:
		// An error can quote a contact's name: shown inert. An internal
		// error's first line names the cause; its whole chain follows when
		// it says more.
		first, internal := dialer.ErrorMessage(err), dialer.ErrorKind(err) == dialer.EINTERNAL
		if internal && first == dialer.KindSentence(dialer.EINTERNAL) {
			first = err.Error()
		}
		fmt.Fprintf(stderr, "dialer: %s\n", display.Line(first))
		if detail := strings.TrimPrefix(err.Error(), first+": "); internal && detail != first {
			fmt.Fprintf(stderr, "  (%s)\n", display.Line(detail))
		}
		return 1
	}
}

// dispatch walks the tree: global flags and group names first, then the
// leaf's own flags.
func dispatch(ctx context.Context, e *env, c *command, path []string, args []string) error {
	path = append(path, c.name)
	if c.run != nil {
		fs := newFlagSet(e, path)
		var opts any
		if c.flags != nil {
			opts = c.flags(fs)
		}
		pos, err := parse(e, fs, path, c, args, true)
		if err != nil {
			return err
		}
		if c.noArgs != "" && len(pos) > 0 {
			return usageError{c.noArgs}
		}
		e.readOnly = readOnlyCommands[strings.Join(path, " ")]
		return c.run(ctx, e, opts, pos)
	}
	fs := newFlagSet(e, path)
	rest, err := parse(e, fs, path, c, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 && len(path) == 1 {
		return runTUI(ctx, e)
	}
	if len(rest) == 0 || rest[0] == "help" {
		usage(e.stdout, fs, path, c)
		return nil
	}
	for _, s := range c.subs {
		if s.name == rest[0] {
			return dispatch(ctx, e, s, path, rest[1:])
		}
	}
	return usageError{fmt.Sprintf("%s has no subcommand %q; see '%s --help'", strings.Join(path, " "), rest[0], strings.Join(path, " "))}
}

func newFlagSet(e *env, path []string) *flag.FlagSet {
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors and prints help itself
	fs.Usage = func() {}
	fs.StringVar(&e.dbPath, "db", e.dbPath, "database file (default: dialer.db in the data directory)")
	fs.BoolVar(&e.create, "create", e.create, "create the --db database file if it does not exist")
	fs.BoolVar(&e.sandbox, "sandbox", e.sandbox, "use the built-in Twilio emulator even when Twilio credentials are set")
	fs.StringVar(&e.twilioBaseURL, "twilio-base-url", e.twilioBaseURL, "send Twilio API requests to this base URL (an emulator or mock; default $DIALER_TWILIO_BASE_URL)")
	return fs
}

// parse parses args and returns the positional ones. A leaf's flags may
// follow its arguments ("release +14155550100 --yes"); a group stops at its
// subcommand's name. --help prints the usage to stdout; a bad flag is a
// usage error that points at --help.
func parse(e *env, fs *flag.FlagSet, path []string, c *command, args []string, interleave bool) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			usage(e.stdout, fs, path, c)
			return nil, err
		case err != nil:
			name := strings.Join(path, " ")
			return nil, usageError{fmt.Sprintf("%v; see '%s --help'", err, name)}
		}
		args = fs.Args()
		if !interleave || len(args) == 0 {
			return append(pos, args...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func usage(w io.Writer, fs *flag.FlagSet, path []string, c *command) {
	name := strings.Join(path, " ")
	if c.run != nil {
		fmt.Fprintf(w, "%s\n\nUsage:\n  %s %s\n\nFlags:\n", c.summary, name, c.args)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s [--db PATH] <command> [flags]\n\nCommands:\n", c.summary, name)
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", name)
}
