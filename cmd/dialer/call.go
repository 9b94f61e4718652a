package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/provider/twilio"
)

type callOpts struct {
	to, confirm, override, webhookURL, listen, name string
	contact                                         int64
	hangupAfter                                     time.Duration
	json                                            bool
}

func newCallCmd(e *env) *cobra.Command {
	var opts callOpts
	c := &cobra.Command{
		Use:   "call",
		Short: "Place one bridged call: your phone first, then the contact.",
		Long: "Place one bridged call: your phone first, then the contact. " +
			"Exactly one of --to E164 (finds or creates the contact) or --contact ID.",
		Example: `# Enter dials the contact once your phone is answered
dialer call --to +12125550143 --name "Walter Skinner"
# from a script: dial as soon as you answer, hang up after 2 minutes
dialer call --contact 12 --confirm auto --hangup-after 2m --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCall(cmd.Context(), e, opts, args)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.to, "to", "", "the number to call (finds or creates the contact)")
	f.StringVar(&opts.name, "name", "", "the contact's name, when --to creates one")
	f.Int64Var(&opts.contact, "contact", 0, "the contact's id")
	f.StringVar(&opts.confirm, "confirm", "", "terminal (confirm here; the default setting), auto, or keypad (any key on your phone)")
	f.DurationVar(&opts.hangupAfter, "hangup-after", 0, "hang up from here after this long, e.g. 2m (for scripts)")
	f.StringVar(&opts.override, "override-hours", "", "call outside calling hours; the reason is recorded")
	f.StringVar(&opts.webhookURL, "webhook-url", "", "keypad mode: the public base URL Twilio reaches this program at")
	f.StringVar(&opts.listen, "listen", "", "keypad mode: the local address to serve webhooks on, e.g. 127.0.0.1:8088")
	f.BoolVar(&opts.json, "json", false, "print one JSON object per event")
	c.RegisterFlagCompletionFunc("to", completeContactPhones(e))
	c.RegisterFlagCompletionFunc("contact", completeContactIDs(e))
	c.RegisterFlagCompletionFunc("confirm", completeConfirmModes)
	return c
}

// eventJSON is one line of `dialer call --json`.
type eventJSON struct {
	Phase   string    `json:"phase"`
	Message string    `json:"message,omitempty"`
	Error   string    `json:"error,omitempty"`
	Kind    string    `json:"error_kind,omitempty"`
	Number  string    `json:"caller_id,omitempty"`
	Legs    []legJSON `json:"legs,omitempty"`
	Call    *callJSON `json:"call,omitempty"`
	At      time.Time `json:"at"`
}

func runCall(ctx context.Context, e *env, opts callOpts, args []string) error {
	if len(args) > 0 || (opts.to == "") == (opts.contact == 0) {
		return usageError{"call needs exactly one of --to NUMBER or --contact ID"}
	}
	mode := dialer.ConfirmMode(opts.confirm)
	if mode != "" {
		if _, err := dialer.ParseConfirmMode(opts.confirm); err != nil {
			return usageError{err.Error()}
		}
	}
	if (opts.webhookURL == "") != (opts.listen == "") {
		return usageError{"--webhook-url and --listen go together (keypad mode)"}
	}
	if opts.to != "" {
		if _, err := dialer.ParsePhone(opts.to); err != nil {
			return usageError{"--to: " + dialer.ErrorMessage(err)}
		}
	}
	if _, err := loadProfile(e); err != nil {
		return err // a damaged profile is said before anything else
	}
	a, closeAll, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()
	agent, err := a.agent(ctx, e)
	if err != nil {
		return err
	}

	calls := a.calls()
	if mode == "" {
		set, err := a.db.Settings(ctx)
		if err != nil {
			return err
		}
		mode = set.Confirm
	}
	if mode == dialer.ConfirmTerminal && !e.stdinIsTerminal() {
		// Nobody could press Enter: refuse before the agent's phone rings.
		return usageError{"terminal confirmation needs a terminal on stdin; from a script use --confirm auto"}
	}
	if mode == dialer.ConfirmKeypad && opts.listen == "" {
		set, err := a.db.Settings(ctx)
		if err != nil {
			return err
		}
		if viaServe(calls, set); !calls.RemoteKeypad {
			return usageError{"keypad confirmation needs the team's `dialer serve` (the webhook_url setting), or --webhook-url URL and --listen ADDRESS"}
		}
	}
	who, err := findContact(ctx, a, calls, dialer.CallOptions{Agent: agent, Confirm: mode, OverrideReason: opts.override},
		opts.to, opts.name, opts.contact)
	if err != nil {
		return err
	}
	if opts.listen != "" {
		stop, err := serveWebhooks(a, calls, opts.listen, opts.webhookURL)
		if err != nil {
			return err
		}
		defer stop()
	}

	s, err := calls.Start(ctx, dialer.CallOptions{Contact: who, Agent: agent, Confirm: mode,
		OverrideReason: opts.override, HangupAfter: opts.hangupAfter})
	if err != nil {
		return err
	}
	prompted := false
	answers := make(chan string)
	go readLines(e, answers)
	call, err := followCall(ctx, s, mode, answers, func(ev dialer.Event) {
		if opts.json {
			j := eventJSON{Phase: string(ev.Phase), Message: ev.Message, At: time.Now().UTC()}
			if ev.Err != nil {
				j.Error, j.Kind = dialer.ErrorMessage(ev.Err), string(dialer.ErrorKind(ev.Err))
			}
			if ev.Number != nil {
				j.Number = ev.Number.PhoneNumber
			}
			for _, l := range ev.Legs {
				j.Legs = append(j.Legs, toLegJSON(l))
			}
			if ev.Call != nil {
				// read now: this call's fee, if it bought a number, is
				// charged while it runs
				charges, _ := a.db.Charges(context.WithoutCancel(ctx), dialer.ChargeFilter{})
				cj := toCallJSON(*ev.Call, who, feesByID(charges))
				j.Call = &cj
			}
			b, _ := json.Marshal(j)
			fmt.Fprintln(e.stdout, string(inertJSON(b)))
		} else {
			printEvent(e, ev)
		}
		if ev.Phase == dialer.PhaseAwaitConfirm && !prompted && mode == dialer.ConfirmTerminal {
			prompted = true
			fmt.Fprintf(e.stderr, "Press Enter to dial %s, or type h and Enter to hang up: ", display.Line(who.Label()))
		}
	})
	return callExit(call, err)
}

// followCall follows a placed call to its end, handing each event to
// onEvent, and returns the call's record. Lines from answers (nil: none)
// confirm the dial in terminal mode (typed ahead, the confirmation is kept
// for when the agent's phone is answered) or, starting with h, hang up.
// When ctx ends (Ctrl-C) the live call is hung up and followed to its end:
// `dialer call` and `dialer session` stop a call the same way.
func followCall(ctx context.Context, s *dialer.Session, mode dialer.ConfirmMode, answers <-chan string, onEvent func(dialer.Event)) (dialer.Call, error) {
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				return s.Wait()
			}
			onEvent(ev)
		case line, ok := <-answers:
			if !ok {
				answers = nil // stdin closed: only Ctrl-C or the call's end stop it now
				continue
			}
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "h") {
				s.Hangup()
			} else if mode == dialer.ConfirmTerminal {
				s.Confirm()
			}
		case <-ctx.Done():
			// Ctrl-C: the session hangs up the live call itself, then ends.
			s.Hangup()
			ctx = context.Background()
		}
	}
}

func readLines(e *env, out chan<- string) {
	sc := bufio.NewScanner(e.stdin)
	for sc.Scan() {
		out <- sc.Text()
	}
	close(out)
}

// printEvent writes an event as a line for people. Messages name the
// contact and carry provider text: they are shown inert.
func printEvent(e *env, ev dialer.Event) {
	ts := time.Now().Local().Format("15:04:05")
	switch {
	case ev.Message != "":
		fmt.Fprintf(e.stdout, "%s  %s\n", ts, display.Line(ev.Message))
	case len(ev.Legs) > 0:
		var parts []string
		for _, l := range ev.Legs {
			parts = append(parts, fmt.Sprintf("%s %s %s", l.Role, l.Status, l.Duration.Round(time.Second)))
		}
		fmt.Fprintf(e.stdout, "%s  %s\n", ts, display.Line(strings.Join(parts, " · ")))
	}
	if ev.Phase == dialer.PhaseEnded && ev.Call != nil {
		for _, l := range ev.Call.Legs {
			fmt.Fprintf(e.stdout, "          %s %s %6s  rate %s/min  price %s\n", display.Pad(string(l.Role), 7), display.Pad(string(l.Status), 11),
				l.Duration.Round(time.Second), l.Rate.StringOr("unknown"), l.Price.StringOr("pending"))
		}
	}
}

// callExit turns a call's end into the command's result: an error when the
// call did not connect for a reason the user must act on.
func callExit(call dialer.Call, err error) error {
	if err != nil {
		return err
	}
	switch call.Outcome {
	case dialer.OutcomeAgentNoAnswer:
		return dialer.Errorf(dialer.EREFUSED, "your phone %s was not answered, so the contact was not dialed", call.AgentPhone)
	case dialer.OutcomeAgentFailed:
		return dialer.Errorf(dialer.EUNAVAILABLE, "your phone %s could not be rung", call.AgentPhone)
	case dialer.OutcomeFailed:
		return dialer.Errorf(dialer.EUNAVAILABLE, "the contact's phone could not be rung")
	}
	return nil
}

// findContact resolves --contact or --to (creating a contact for a new
// number). A new number is created only once the call's guards (o, for
// the unsaved contact) let it through: a refused call writes nothing.
func findContact(ctx context.Context, a *app, calls *dialer.Calls, o dialer.CallOptions, to, name string, id int64) (dialer.Contact, error) {
	if id != 0 {
		return a.db.Contact(ctx, id)
	}
	p, err := dialer.ParsePhone(to)
	if err != nil {
		return dialer.Contact{}, err
	}
	c, err := a.db.ContactByPhone(ctx, p.E164)
	if err == nil || dialer.ErrorKind(err) != dialer.ENOTFOUND {
		return c, err
	}
	now := time.Now().UTC()
	c = dialer.Contact{Name: strings.TrimSpace(name), Phone: p.E164, CreatedAt: now, UpdatedAt: now}
	set, err := a.db.Settings(ctx)
	if err != nil {
		return c, err
	}
	o.Contact = c
	if err := calls.Check(ctx, o, set); err != nil {
		return c, err
	}
	return a.db.CreateContact(ctx, c)
}

// serveWebhooks serves keypad confirmations and status callbacks on listen
// for the public base URL publicURL.
func serveWebhooks(a *app, calls *dialer.Calls, listen, publicURL string) (func(), error) {
	h, err := twilio.NewWebhookHandler(a.back.authToken, publicURL, twilio.WebhookHooks{
		Digits: calls.KeypadDigits,
		Status: func(info dialer.CallInfo) { calls.StatusPushed(info.SID, info.ParentSID) },
	}, a.log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, dialer.Wrap(dialer.EINVALID, err, "cannot listen on "+listen)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("webhook server", "err", err)
		}
	}()
	calls.KeypadActionURL = twilio.GatherURL(publicURL)
	calls.StatusCallbackURL = twilio.StatusURL(publicURL)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
