package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/ui"
)

type sessionOpts struct {
	list, confirm, outcome string
	limit                  int
	hangupAfter            time.Duration
	json                   bool
}

func newSessionCmd(e *env) *cobra.Command {
	var opts sessionOpts
	c := &cobra.Command{
		Use:   "session",
		Short: "Power-dial a list from a script: callbacks due first, then contacts never called, then those tried longest ago.",
		Long: "Power-dial the contacts of a list (every contact without --list), one call after another, " +
			"with no one at the keyboard: callbacks that are due first, then contacts never called, then those tried longest ago. " +
			"Contacts on the do-not-call list, outside calling hours where they are, or at the attempt limit (a setting) " +
			"are skipped with the reason.\n\n" +
			"Each call is bridged as `dialer call --confirm auto` bridges it: your phone rings first and the contact is dialed " +
			"as soon as you answer. --confirm auto is required: from a script nobody is at the keyboard to confirm each contact. " +
			"Each call ends when either side hangs up, or after --hangup-after. A contact's call gets a disposition from how it ended " +
			"(busy, no answer, left voicemail); a call the contact answered gets --outcome, or none, since the program cannot tell how a conversation went.\n\n" +
			"One line per contact, then the session's summary: dialed, connected, connect rate, talk time and spend " +
			"(number fees and the call prices the provider has set by then; later prices are fetched by `dialer calls backfill`). " +
			"Ctrl-C hangs up the call in progress, records it and prints the summary. " +
			"Exit status 0 when the session ran, skips or not; 1 when it stopped because calls could not go on " +
			"(your phone was not answered, the balance, the daily cap, 3 calls in a row that could not be placed).",
		Example: `# call everyone on the list "Leads", hanging up each call after 5 minutes at most
dialer session --list Leads --confirm auto --hangup-after 5m
# at most 20 calls; the summary and each contact's result as JSON
dialer session --list Leads --confirm auto --limit 20 --json`,
		Args: noArgs("session takes flags only, e.g. --list NAME --confirm auto"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSession(cmd.Context(), e, opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.list, "list", "", "the list to call (default: every contact)")
	f.StringVar(&opts.confirm, "confirm", "", "auto: dial each contact as soon as you answer your phone (required)")
	f.IntVar(&opts.limit, "limit", 0, "stop after this many calls (0: no limit)")
	f.DurationVar(&opts.hangupAfter, "hangup-after", 0, "hang up each call from here after this long, e.g. 5m")
	f.StringVar(&opts.outcome, "outcome", "", "the disposition of calls the contact answered, e.g. Interested (default: none)")
	jsonFlag(c, &opts.json)
	c.RegisterFlagCompletionFunc("confirm", cobra.FixedCompletions([]string{"auto"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("outcome", cobra.FixedCompletions(sessionOutcomes(), cobra.ShellCompDirectiveNoFileComp))
	return c
}

// sessionOutcomes are the dispositions --outcome takes: the screen's, but
// "Do not call again", which is one contact's wish and puts the number on
// the do-not-call list, never a whole session's.
func sessionOutcomes() []string {
	return slices.DeleteFunc(slices.Clone(ui.Dispositions), func(d string) bool { return d == dncDisposition })
}

const dncDisposition = "Do not call again"

// sessionDisposition is the disposition a headless session records for a
// call that ended with o: what the end itself says (the ones the call
// screen suggests), and for a call the contact answered, answered (the
// --outcome given, or none). Nobody reached: none.
func sessionDisposition(o dialer.Outcome, answered string) string {
	switch o {
	case dialer.OutcomeAnswered:
		return answered
	case dialer.OutcomeVoicemail:
		return "Left voicemail"
	case dialer.OutcomeBusy:
		return "Busy"
	case dialer.OutcomeNoAnswer:
		return "No answer"
	}
	return ""
}

// sessionContactJSON is one contact of `dialer session --json`.
type sessionContactJSON struct {
	Contact      contactJSON `json:"contact"`
	Queue        string      `json:"queue,omitempty"`  // callback, never_called or retry
	Result       string      `json:"result"`           // called or skipped
	Skip         string      `json:"skip,omitempty"`   // why skipped: do_not_call, outside_hours, attempt_limit, ...
	Reason       string      `json:"reason,omitempty"` // the skip in words
	CallID       int64       `json:"call_id,omitempty"`
	CallerID     string      `json:"caller_id,omitempty"`
	NewNumberFee *string     `json:"new_number_fee,omitempty"` // the caller ID was bought for this call
	Outcome      string      `json:"outcome,omitempty"`
	Disposition  string      `json:"disposition,omitempty"`
	TalkSeconds  int64       `json:"talk_seconds,omitempty"`
	Spend        *string     `json:"spend,omitempty"` // the fee and the legs priced so far
	SpendUnit    *string     `json:"spend_unit,omitempty"`
	UnpricedLegs int         `json:"unpriced_legs,omitempty"`
	Error        string      `json:"error,omitempty"` // following the call failed: its end may not be known
	At           time.Time   `json:"at"`
}

type sessionSummaryJSON struct {
	Dialed       int     `json:"dialed"`
	Connected    int     `json:"connected"`
	ConnectRate  float64 `json:"connect_rate"` // connected per call dialed, 0 with none
	TalkSeconds  int64   `json:"talk_seconds"`
	Spend        string  `json:"spend"`
	SpendUnit    string  `json:"spend_unit,omitempty"`
	UnpricedLegs int     `json:"unpriced_legs"` // legs not priced by the provider yet: not in spend
	Skipped      int     `json:"skipped"`
	Remaining    int     `json:"remaining"`
	Stopped      string  `json:"stopped,omitempty"` // why the session ended before the queue did
}

type sessionRemainingJSON struct {
	Contact     contactJSON `json:"contact"`
	Queue       string      `json:"queue"`
	CallbackDue *time.Time  `json:"callback_due,omitempty"`
}

type sessionJSON struct {
	Summary   sessionSummaryJSON     `json:"summary"`
	Contacts  []sessionContactJSON   `json:"contacts"`
	Remaining []sessionRemainingJSON `json:"remaining"`
}

// sessionRun is a headless session as it runs.
type sessionRun struct {
	e        *env
	a        *app
	calls    *dialer.Calls
	agent    dialer.Agent
	opts     sessionOpts
	sess     *day.Session
	shown    int // skips shown so far
	dialed   int // calls recorded
	currency string
	contacts []sessionContactJSON
}

func runSession(ctx context.Context, e *env, opts sessionOpts) error {
	switch opts.confirm {
	case "auto":
	case "":
		return usageError{"session needs --confirm auto: each contact is dialed as soon as you answer your phone, with nobody at the keyboard to confirm"}
	default:
		return usageError{fmt.Sprintf("--confirm %q: a session from the command line takes only auto (nobody is at the keyboard to confirm each contact)", opts.confirm)}
	}
	if opts.limit < 0 {
		return usageError{fmt.Sprintf("--limit %d is negative; 0 means no limit", opts.limit)}
	}
	if opts.hangupAfter < 0 {
		return usageError{fmt.Sprintf("--hangup-after %s is negative", opts.hangupAfter)}
	}
	if opts.outcome != "" {
		i := slices.IndexFunc(ui.Dispositions, func(d string) bool { return strings.EqualFold(d, strings.TrimSpace(opts.outcome)) })
		switch {
		case i < 0:
			return usageError{fmt.Sprintf("--outcome %q: want one of %s", opts.outcome, strings.Join(sessionOutcomes(), ", "))}
		case ui.Dispositions[i] == dncDisposition:
			return usageError{"--outcome: \"Do not call again\" is one contact's wish, not a whole session's; put numbers on the do-not-call list instead"}
		}
		opts.outcome = ui.Dispositions[i]
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

	set, err := a.db.Settings(ctx)
	if err != nil {
		return err
	}
	q, _, err := day.Load(ctx, a.db, nil, opts.list, time.Now().UTC(), set)
	if err != nil {
		return err
	}
	r := &sessionRun{e: e, a: a, calls: a.calls(), agent: agent, opts: opts, sess: day.NewSession(q, set, nil),
		currency: set.ReservationFee.Currency}
	viaServe(r.calls, set)
	if !opts.json {
		what := "every contact"
		if opts.list != "" {
			what = "list " + opts.list
		}
		fmt.Fprintf(e.stdout, "Session over %s: %s to call, %d skipped", display.Line(what), display.Plural(len(q.Entries), "contact", "contacts"), len(q.Skipped))
		if len(q.Later) > 0 {
			fmt.Fprintf(e.stdout, ", %s not due yet", display.Plural(len(q.Later), "callback", "callbacks"))
		}
		fmt.Fprintln(e.stdout, ". Ctrl-C stops it.")
	}
	stopped, runErr := r.run(ctx)
	return r.finish(stopped, runErr)
}

// run calls the queue through. stopped says why it ended early ("" when
// the queue did); err is a refusal that stopped it, for the exit status.
func (r *sessionRun) run(ctx context.Context) (stopped string, err error) {
	failures := 0 // calls in a row that could not be placed
	for {
		r.showSkips()
		switch {
		case ctx.Err() != nil:
			r.sess.Stop()
			return "interrupted", nil
		case r.opts.limit > 0 && r.dialed >= r.opts.limit:
			r.sess.Stop()
			return fmt.Sprintf("--limit %d reached", r.opts.limit), nil
		}
		e, ok, err := r.sess.Next()
		if err != nil {
			return "", err
		}
		r.showSkips()
		if !ok {
			return "", nil
		}
		// The contact as it is now: edited, deleted or put on the
		// do-not-call list since the session was planned.
		c, err := r.a.db.Contact(ctx, e.Contact.ID)
		switch {
		case err != nil && ctx.Err() != nil:
			r.sess.Stop() // back to the queue: it counts as remaining
			return "interrupted", nil
		case err != nil:
			return "", err
		case !c.DeletedAt.IsZero():
			r.sess.Skip("deleted since the session started")
			continue
		}
		r.sess.Update(c)
		if e, err = r.sess.Dial(); err != nil {
			continue // skipped, with the reason
		}
		stop, err := r.call(ctx, e)
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		switch {
		case stop:
			r.sess.Stop()
			r.showSkips()
			return dialer.ErrorMessage(err), err
		case failures >= 3:
			// The same trouble three calls in a row (the provider
			// unreachable, say) is no contact's fault: stop.
			r.sess.Stop()
			r.showSkips()
			return "3 calls in a row could not be placed", err
		}
	}
}

// call places the call to e, follows it to its end (Ctrl-C hangs it up)
// and records it. err is set when the call could not be placed or
// followed; stop says the session cannot go on (a refusal that holds for
// every contact, or your phone not answered).
func (r *sessionRun) call(ctx context.Context, e day.Entry) (stop bool, err error) {
	wctx := context.WithoutCancel(ctx) // what happened is recorded even after Ctrl-C
	s, err := r.calls.Start(ctx, dialer.CallOptions{Contact: e.Contact, Agent: r.agent, Confirm: dialer.ConfirmAuto, HangupAfter: r.opts.hangupAfter})
	if err != nil {
		r.sess.NotPlaced(err)
		if dialer.ErrorKind(err) == dialer.EBUSY {
			return false, nil // another agent is on a call with them: skipped, with whom
		}
		if dialer.ErrorKind(err) != dialer.EREFUSED {
			return false, err
		}
		// A refusal: the number went on the do-not-call list since it was
		// read a moment ago (this contact's own), or the balance or the
		// daily cap, which no other contact passes either.
		if p, perr := dialer.ParsePhone(e.Contact.Phone); perr == nil {
			if _, derr := r.a.db.DNC(wctx, p.E164); derr == nil {
				return false, nil
			}
		}
		return true, err
	}
	call, err := followCall(ctx, s, dialer.ConfirmAuto, nil, func(dialer.Event) {})
	if call.ID == 0 {
		if err == nil {
			err = dialer.Errorf(dialer.EINTERNAL, "the call to %s ended with no record", e.Contact.Label())
		}
		r.sess.NotPlaced(err) // nothing was dialed (a purchase failed, say)
		return false, err
	}
	switch call.Outcome {
	case dialer.OutcomeAgentNoAnswer, dialer.OutcomeAgentFailed:
		// Nobody answers the agent's phone: the contact was not dialed,
		// and no other will be.
		why := callExit(call, nil)
		r.sess.NotPlaced(why)
		return true, why
	}
	if _, ok := call.Leg(dialer.ContactLeg); !ok || call.Outcome == dialer.OutcomeNotDialed {
		// Hung up (--hangup-after, Ctrl-C) before the contact was dialed.
		why := dialer.Errorf(dialer.EINVALID, "the call ended (%s) before %s was dialed", call.Outcome.Phrase(), e.Contact.Label())
		r.sess.NotPlaced(why)
		return false, why
	}
	j := sessionContactJSON{Contact: contactJSON{e.Contact.ID, e.Contact.Name, e.Contact.Phone}, Queue: string(e.Why),
		Result: "called", CallID: call.ID, CallerID: call.CallerID, Outcome: string(call.Outcome)}
	followErr := err // following failed: the end may not be known
	if err != nil {
		j.Error = dialer.ErrorMessage(err)
	}
	// From here the call is recorded in the session whatever fails: a
	// problem is noted on its line and counts as a failure.
	var problems []string
	var fee dialer.Money
	spend := dialer.Money{Currency: r.currency}
	if call.FeeChargeID != 0 {
		charges, cerr := r.a.db.Charges(wctx, dialer.ChargeFilter{NumberID: call.NumberID})
		if cerr != nil {
			problems = append(problems, "fee not read: "+dialer.ErrorMessage(cerr))
		}
		if f, ok := feesByID(charges)[call.FeeChargeID]; ok {
			fee, spend = f, f
			j.NewNumberFee, _ = amountPtr(&fee)
		}
	}
	for _, l := range call.Legs {
		if l.Price == nil {
			j.UnpricedLegs++
			continue
		}
		total, aerr := spend.Add(*l.Price)
		if aerr != nil {
			problems = append(problems, "price left out: "+dialer.ErrorMessage(aerr))
			continue
		}
		spend = total
	}
	var talk time.Duration
	if l, ok := call.Leg(dialer.ContactLeg); ok && call.Outcome == dialer.OutcomeAnswered {
		talk = l.Duration
	}
	if rerr := r.sess.Record(call.Outcome, talk, spend, j.UnpricedLegs); rerr != nil {
		// Another currency than the session's: the call counts, its
		// spend does not.
		problems = append(problems, "spend left out: "+dialer.ErrorMessage(rerr))
		spend = dialer.Money{}
		if rerr := r.sess.Record(call.Outcome, talk, spend, j.UnpricedLegs); rerr != nil {
			return false, rerr // not in a call: a mistake in this loop
		}
	}
	r.dialed++
	j.TalkSeconds = int64(talk / time.Second)
	j.Spend, j.SpendUnit = amountPtr(&spend)
	if d := sessionDisposition(call.Outcome, r.opts.outcome); d != "" {
		if derr := r.a.db.SetDisposition(wctx, call.ID, d); derr != nil {
			problems = append(problems, "disposition not recorded: "+dialer.ErrorMessage(derr))
		} else {
			j.Disposition = d
		}
	}
	if len(problems) > 0 {
		if j.Error != "" {
			problems = append([]string{j.Error}, problems...)
		}
		j.Error = strings.Join(problems, "; ")
		followErr = dialer.Errorf(dialer.EINTERNAL, "%s", j.Error)
	}
	j.At = time.Now().UTC()
	r.contacts = append(r.contacts, j)
	if !r.opts.json {
		parts := []string{"caller ID " + call.CallerID}
		if j.NewNumberFee != nil {
			parts[0] += " (bought for this call, fee " + fee.String() + ")"
		}
		o := call.Outcome.Phrase()
		if talk > 0 {
			o += ", talk " + day.TalkTime(talk)
		}
		parts = append(parts, o)
		if j.Disposition != "" {
			parts = append(parts, j.Disposition)
		}
		if j.Error != "" {
			parts = append(parts, j.Error)
		}
		r.line("called", e.Contact, string(e.Why), parts...)
	}
	return false, followErr
}

// showSkips reports the skips not shown yet.
func (r *sessionRun) showSkips() {
	for _, sk := range r.sess.Skips(r.shown) {
		r.shown++
		j := sessionContactJSON{Contact: contactJSON{sk.Contact.ID, sk.Contact.Name, sk.Contact.Phone},
			Result: "skipped", Skip: string(sk.Kind), Reason: sk.Reason, At: sk.At}
		r.contacts = append(r.contacts, j)
		if r.opts.json {
			continue
		}
		reason := sk.Reason
		switch sk.Kind {
		case day.SkipAttempts:
			reason = "attempt limit reached: " + reason
		case day.SkipNotPlaced:
			reason = "not placed: " + reason
		}
		r.line("skipped", sk.Contact, "", reason)
	}
}

// line writes one contact's result, inert: names and reasons can hold
// anything a CSV file held.
func (r *sessionRun) line(verb string, c dialer.Contact, why string, parts ...string) {
	who := c.Label()
	if c.Phone != "" && c.Phone != who {
		who += " (" + c.Phone + ")"
	}
	if why != "" {
		who += " [" + strings.ReplaceAll(why, "_", " ") + "]"
	}
	fmt.Fprintf(r.e.stdout, "%s  %-7s  %s · %s\n", time.Now().Local().Format("15:04:05"), verb,
		display.Line(who), display.Line(strings.Join(parts, " · ")))
}

// finish prints the summary (or the JSON) and returns the exit's error.
func (r *sessionRun) finish(stopped string, runErr error) error {
	sum := r.sess.Summary()
	if r.opts.json {
		out := sessionJSON{Contacts: r.contacts, Remaining: []sessionRemainingJSON{}}
		if out.Contacts == nil {
			out.Contacts = []sessionContactJSON{}
		}
		spend, unit := amountPtr(&sum.Spend)
		out.Summary = sessionSummaryJSON{Dialed: sum.Dialed, Connected: sum.Connected, ConnectRate: sum.ConnectRate(),
			TalkSeconds: int64(sum.TalkTime / time.Second), Spend: *spend, SpendUnit: *unit, UnpricedLegs: sum.Unpriced,
			Skipped: len(sum.Skipped), Remaining: sum.Remaining, Stopped: stopped}
		for _, e := range r.sess.Upcoming() {
			rj := sessionRemainingJSON{Contact: contactJSON{e.Contact.ID, e.Contact.Name, e.Contact.Phone}, Queue: string(e.Why)}
			if e.Callback.ID != 0 {
				rj.CallbackDue = utcOrNil(e.Callback.Due)
			}
			out.Remaining = append(out.Remaining, rj)
		}
		if err := writeJSON(r.e.stdout, out); err != nil {
			return err
		}
		return runErr
	}
	if err := writeSessionSummary(r.e.stdout, sum, stopped); err != nil {
		return err
	}
	return runErr
}

// writeSessionSummary writes the figures of the session, one a line.
func writeSessionSummary(w io.Writer, sum day.Summary, stopped string) error {
	figs := day.SessionFigures(sum)
	head := "Session summary"
	if stopped != "" {
		head += " (stopped: " + stopped + ")"
	}
	_, err := fmt.Fprintf(w, "\n%s\n%s", display.Line(head), day.Lines(figs))
	return err
}
