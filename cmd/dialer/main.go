// Command dialer is a keyboard-driven terminal dialer for outbound sales
// teams. This file holds main, run and the root of the command tree; each
// command group's constructor lives beside its wiring.
//
// The tree is spf13/cobra, run through charm.land/fang (styled help, the
// `completion` command, --version). Adding a command group:
//
//  1. In its own file, write newThingsCmd(e *env) *cobra.Command: a group
//     made by newGroup("things", "One sentence.", leaves...), each leaf a
//     &cobra.Command{Use, Short, Args, RunE} whose RunE closes over e and
//     over its flags (bound with c.Flags().XxxVar to a local opts struct).
//  2. Add it to root.AddCommand in newRootCmd below.
//  3. Mistakes in how it was called are usageError (exit 2): Args:
//     noArgs("things list takes no arguments") for flags-only leaves;
//     anything else returned is a runtime error (exit 1, first line once).
//  4. A leaf that only reads the database returns readOnly(leaf): it opens
//     the database read-only (no write lock; works while another program
//     writes); add it to TestReadOnlyCommands. Do not give a command its
//     own PersistentPreRun: the root's sets that up.
//  5. Flags that take contact ids, phone numbers or statuses get a
//     completion function from complete.go (RegisterFlagCompletionFunc);
//     positional arguments get ValidArgsFunction.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"charm.land/fang/v2"
	mcobra "github.com/muesli/mango-cobra"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// env is what a command gets: its output streams, the environment and the
// global flags. It is the factory every command constructor takes.
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

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// run runs dialer with args and returns its exit status: 0, 1 for an error
// while working, 2 for a mistake in how it was called.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRootCmd(e)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := fang.Execute(ctx, root,
		fang.WithVersion(version()),
		fang.WithoutManpage(), // newManCmd writes to e.stdout; fang's writes to os.Stdout
		// run prints errors itself, below: one line, inert, as always.
		fang.WithErrorHandler(func(io.Writer, fang.Styles, error) {}),
	)
	var ue usageError
	switch {
	case err == nil || errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "dialer: %s\n", display.Line(ue.msg))
		return 2
	case cobraUsageError(err):
		fmt.Fprintf(stderr, "dialer: %s\n", display.Line(err.Error()))
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

// cobraUsageError reports whether err is cobra's own complaint about
// arguments, from the commands it adds (completion, help): ours are
// usageError already. cobra gives them no type, so their wording tells.
func cobraUsageError(err error) bool {
	for _, prefix := range []string{"unknown command ", "accepts ", "requires at least ", "requires at most ", "invalid argument "} {
		if strings.HasPrefix(err.Error(), prefix) {
			return true
		}
	}
	return false
}

// newRootCmd is the whole command tree. A bare `dialer` opens the terminal
// UI.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "dialer",
		Short: "A keyboard-driven terminal dialer for outbound sales teams, on Twilio.",
		Long: "A keyboard-driven terminal dialer for outbound sales teams, on Twilio.\n\n" +
			"Run dialer with no command to open the terminal UI (it needs a terminal). " +
			"The commands below are for scripts and supervisors; each takes --help.",
		Example: `# open the terminal UI
dialer
# the same, on another database
dialer --db team.db
# place one call from a script
dialer call --to +12125550143 --confirm auto --json
# shell completion and the man page
dialer completion bash > ~/.local/share/bash-completion/completions/dialer
dialer man | man -l -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownSubcommand(cmd, args[0])
			}
			return runTUI(cmd.Context(), e)
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			e.readOnly = cmd.Annotations[readOnlyAnnotation] == "true"
			return nil
		},
		SilenceErrors: true, // run prints them
		SilenceUsage:  true, // a mistake is one line, not the whole help
	}
	root.SetVersionTemplate("dialer {{.Version}}\n") // as `dialer version`
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Sprintf("%v; see '%s --help'", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&e.dbPath, "db", "", "database file, or a team's postgres:// URL (default: $DIALER_DATABASE_URL, else dialer.db in the data directory)")
	pf.BoolVar(&e.create, "create", false, "create the --db database file if it does not exist")
	pf.BoolVar(&e.sandbox, "sandbox", false, "use the built-in Twilio emulator even when Twilio credentials are set")
	pf.StringVar(&e.twilioBaseURL, "twilio-base-url", "", "send Twilio API requests to this base URL (an emulator or mock; default $DIALER_TWILIO_BASE_URL)")
	root.MarkPersistentFlagFilename("db", "db", "sqlite", "sqlite3")

	root.AddCommand(
		newVersionCmd(e),
		newDirsCmd(e),
		newEmulatorCmd(e),
		newServeCmd(e),
		newAgentCmd(e),
		newAgentsCmd(e),
		newCallCmd(e),
		newCallsCmd(e),
		newContactsCmd(e),
		newDNCCmd(e),
		newCallbacksCmd(e),
		newSessionCmd(e),
		newStatsCmd(e),
		newSettingsCmd(e),
		newDBCmd(e),
		newNumbersCmd(e),
		newChargesCmd(e),
		newManCmd(e),
	)
	return root
}

// readOnlyAnnotation marks a command that only reads the database.
const readOnlyAnnotation = "dialer/read-only"

// readOnly marks c as a command that only reads the database: it opens it
// read-only, so it works in a read-only directory and while another
// program writes.
func readOnly(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[readOnlyAnnotation] = "true"
	return c
}

// newGroup is a command group: `dialer NAME` and `dialer NAME help` print
// its help; an unknown subcommand is a usage error.
func newGroup(name, short string, subs ...*cobra.Command) *cobra.Command {
	g := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == "help" {
				return cmd.Help()
			}
			return unknownSubcommand(cmd, args[0])
		},
	}
	g.AddCommand(subs...)
	return g
}

func unknownSubcommand(c *cobra.Command, name string) error {
	path := c.CommandPath()
	return usageError{fmt.Sprintf("%s has no subcommand %q; see '%s --help'", path, name, path)}
}

// noArgs is the Args of a leaf that takes flags only: an argument is the
// usage error msg.
func noArgs(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{msg}
		}
		return nil
	}
}

// jsonFlag adds --json to c.
func jsonFlag(c *cobra.Command, p *bool) {
	c.Flags().BoolVar(p, "json", false, "print JSON for scripts")
}

// version is dialer's version, Go version and platform.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("%s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// newManCmd prints dialer's man page (roff) to stdout: `dialer man | man -l -`.
func newManCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "man",
		Short:  "Print dialer's man page (roff)",
		Hidden: true,
		Args:   noArgs("man takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			page, err := mcobra.NewManPage(1, cmd.Root())
			if err != nil {
				return err
			}
			page = page.
				WithSection("Environment", "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or an API key pair) select live mode; without them dialer runs in sandbox mode against its built-in Twilio emulator. "+
					"DIALER_DATA_DIR moves the data directory (default $XDG_DATA_HOME/dialer), DIALER_LOG_DIR the log, DIALER_TWILIO_BASE_URL sends Twilio requests elsewhere.").
				WithSection("Files", "dialer dirs prints where the database, configuration (the agent profile) and log live.").
				WithSection("Exit Status", "0 on success, 1 when the work failed (the first line on stderr names the cause), 2 when the command was called wrongly.")
			_, err = fmt.Fprint(e.stdout, page.Build(roff.NewDocument()))
			return err
		},
	}
}
