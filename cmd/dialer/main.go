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

	"github.com/dialer-dev/dialer/dialer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what a subcommand gets: its output streams, the environment and
// the global flags.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	dbPath         string // --db
}

// command is one node of the subcommand tree: a group (subs) or a leaf (run).
type command struct {
	name    string
	summary string
	args    string                     // usage after the name, e.g. "[--json]"
	flags   func(fs *flag.FlagSet) any // registers the leaf's flags; its result reaches run
	run     func(ctx context.Context, e *env, opts any, args []string) error
	subs    []*command
}

func commands() *command {
	return &command{
		name:    "dialer",
		summary: "A keyboard-driven terminal dialer for outbound sales teams, on Twilio.",
		subs: []*command{
			versionCmd(),
			dirsCmd(),
			{name: "numbers", summary: "The organization's phone number inventory.", subs: []*command{
				numbersListCmd(),
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	err := dispatch(ctx, e, commands(), nil, args)
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dialer: %s\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "dialer: %s\n", dialer.ErrorMessage(err))
		if k := dialer.ErrorKind(err); k == dialer.EINTERNAL {
			fmt.Fprintf(stderr, "  (%v)\n", err)
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
		if err := parse(e, fs, path, c, args); err != nil {
			return err
		}
		return c.run(ctx, e, opts, fs.Args())
	}
	fs := newFlagSet(e, path)
	if err := parse(e, fs, path, c, args); err != nil {
		return err
	}
	rest := fs.Args()
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
	return fs
}

// parse parses args: --help prints the usage to stdout; a bad flag is a
// usage error that points at --help.
func parse(e *env, fs *flag.FlagSet, path []string, c *command, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		usage(e.stdout, fs, path, c)
		return err
	}
	name := strings.Join(path, " ")
	return usageError{fmt.Sprintf("%v; see '%s --help'", err, name)}
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
