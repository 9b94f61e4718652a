package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

type contactJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

type legJSON struct {
	Role            string  `json:"role"`
	SID             string  `json:"sid"`
	To              string  `json:"to"`
	Status          string  `json:"status"`
	AnsweredBy      string  `json:"answered_by,omitempty"`
	DurationSeconds int64   `json:"duration_seconds"`
	RatePerMinute   *string `json:"rate_per_minute"`
	Price           *string `json:"price"`
	PriceUnit       *string `json:"price_unit"`
}

type callJSON struct {
	ID             int64       `json:"id"`
	Direction      string      `json:"direction"` // outbound, or inbound: the contact called us
	Contact        contactJSON `json:"contact"`
	AgentID        int64       `json:"agent_id,omitempty"` // the agent's record; absent on calls from before agents were records
	AgentName      string      `json:"agent_name"`
	AgentPhone     string      `json:"agent_phone"`
	CallerID       string      `json:"caller_id"`
	Confirm        string      `json:"confirm"`
	Outcome        string      `json:"outcome"`
	Disposition    string      `json:"disposition,omitempty"` // the agent's pick after the call
	EndReason      string      `json:"end_reason,omitempty"`
	OverrideReason string      `json:"override_reason,omitempty"`
	StartedAt      *time.Time  `json:"started_at"`
	EndedAt        *time.Time  `json:"ended_at"`
	TotalPrice     *string     `json:"total_price"` // null while any leg's price is pending
	PriceUnit      *string     `json:"price_unit"`
	NewNumberFee   *string     `json:"new_number_fee"` // null when the caller ID was reused
	Legs           []legJSON   `json:"legs"`
}

func amountPtr(m *dialer.Money) (*string, *string) {
	if m == nil {
		return nil, nil
	}
	a, c := m.Amount.String(), m.Currency
	return &a, &c
}

func toLegJSON(l dialer.Leg) legJSON {
	j := legJSON{Role: string(l.Role), SID: l.SID, To: l.To, Status: string(l.Status), AnsweredBy: l.AnsweredBy,
		DurationSeconds: int64(l.Duration / time.Second)}
	j.RatePerMinute, _ = amountPtr(l.Rate)
	j.Price, j.PriceUnit = amountPtr(l.Price)
	return j
}

// feeIndex is the charges' amounts by charge id: what a call's FeeChargeID
// names.
type feeIndex map[int64]dialer.Money

func feesByID(charges []dialer.Charge) feeIndex {
	fees := make(feeIndex, len(charges))
	for _, ch := range charges {
		fees[ch.ID] = ch.Amount
	}
	return fees
}

func toCallJSON(c dialer.Call, who dialer.Contact, fees feeIndex) callJSON {
	dir := c.Direction
	if dir == "" {
		dir = dialer.Outbound
	}
	j := callJSON{ID: c.ID, Direction: string(dir), Contact: contactJSON{who.ID, who.Name, who.Phone}, AgentID: c.AgentID, AgentName: c.AgentName,
		AgentPhone: c.AgentPhone, CallerID: c.CallerID, Confirm: string(c.Confirm), Outcome: string(c.Outcome),
		Disposition: c.Disposition, EndReason: c.EndReason, OverrideReason: c.OverrideReason,
		StartedAt: utcOrNil(c.StartedAt), EndedAt: utcOrNil(c.EndedAt), Legs: []legJSON{}}
	for _, l := range c.Legs {
		j.Legs = append(j.Legs, toLegJSON(l))
	}
	if total, known, err := c.Total(); err == nil && known && len(c.Legs) > 0 {
		j.TotalPrice, j.PriceUnit = amountPtr(&total)
	}
	if fee, ok := fees[c.FeeChargeID]; ok && c.FeeChargeID != 0 {
		j.NewNumberFee, _ = amountPtr(&fee)
	}
	return j
}

// callRecords loads calls with their contacts and the charges' fees.
func callRecords(ctx context.Context, a *app, f dialer.CallFilter) ([]dialer.Call, map[int64]dialer.Contact, feeIndex, error) {
	cs, err := a.db.Calls(ctx, f)
	if err != nil {
		return nil, nil, nil, err
	}
	contacts, err := callContacts(ctx, a.db, cs)
	if err != nil {
		return nil, nil, nil, err
	}
	charges, err := a.db.Charges(ctx, dialer.ChargeFilter{})
	return cs, contacts, feesByID(charges), err
}

// contactBatch is how many contacts one query reads: well under SQLite's
// limit on bound parameters, whatever the number of calls.
const contactBatch = 500

// callContacts reads the contacts of these calls, a batch per query. A
// contact that is not there fails as Store.Contact fails for it.
func callContacts(ctx context.Context, db dialer.ContactStore, cs []dialer.Call) (map[int64]dialer.Contact, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, c := range cs {
		if !seen[c.ContactID] {
			seen[c.ContactID] = true
			ids = append(ids, c.ContactID)
		}
	}
	contacts := make(map[int64]dialer.Contact, len(ids))
	for batch := range slices.Chunk(ids, contactBatch) {
		got, err := db.Contacts(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, who := range got {
			contacts[who.ID] = who
		}
	}
	for _, id := range ids {
		if _, ok := contacts[id]; !ok {
			who, err := db.Contact(ctx, id) // the error it gives
			if err != nil {
				return nil, err
			}
			contacts[id] = who
		}
	}
	return contacts, nil
}

// newCallsCmd is the call history: list, show and export only read the
// database; backfill asks the provider.
func newCallsCmd(e *env) *cobra.Command {
	return newGroup("calls", "Call history: legs, durations, rates and prices.",
		newCallsListCmd(e),
		newCallsShowCmd(e),
		newCallsExportCmd(e),
		newCallsBackfillCmd(e),
	)
}

func newCallsListCmd(e *env) *cobra.Command {
	var opts struct {
		contact int64
		agent   string
		json    bool
	}
	c := &cobra.Command{
		Use:   "list",
		Short: "List calls, newest first (every agent's, or --agent's).",
		Args:  noArgs("calls list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, closeAll, err := openStoreApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			f := dialer.CallFilter{ContactID: opts.contact}
			if opts.agent != "" {
				who, err := callsAgent(ctx, e, a, opts.agent)
				if err != nil {
					return err
				}
				f.AgentID = who.ID
			}
			cs, contacts, fees, err := callRecords(ctx, a, f)
			if err != nil {
				return err
			}
			if opts.json {
				out := make([]callJSON, 0, len(cs))
				for _, c := range cs {
					out = append(out, toCallJSON(c, contacts[c.ContactID], fees))
				}
				return writeJSON(e.stdout, out)
			}
			if len(cs) == 0 {
				_, err := fmt.Fprintln(e.stdout, "No calls yet.")
				return err
			}
			var tw table
			tw.row("ID", "WHEN", "AGENT", "CONTACT", "OUTCOME", "DISPOSITION", "AGENT LEG", "CONTACT LEG", "TOTAL")
			for _, c := range cs {
				outcome := c.Outcome.Phrase()
				if c.Inbound() {
					outcome = "called in: " + outcome
				}
				tw.row(strconv.FormatInt(c.ID, 10), localTime(c.StartedAt), c.AgentName, contacts[c.ContactID].Label(), outcome,
					dispositionText(c), legSummary(c, dialer.AgentLeg), legSummary(c, dialer.ContactLeg), totalText(c))
			}
			return tw.flush(e.stdout)
		},
	}
	c.Flags().Int64Var(&opts.contact, "contact", 0, "only this contact's calls")
	c.Flags().StringVar(&opts.agent, "agent", "", "only this agent's calls: a name, an id, or me")
	jsonFlag(c, &opts.json)
	c.RegisterFlagCompletionFunc("contact", completeContactIDs(e))
	c.RegisterFlagCompletionFunc("agent", completeAgents(e))
	return readOnly(c)
}

// callsAgent reads --agent: "me" (this machine's agent), an id or a name
// (removed agents too: their calls stay).
func callsAgent(ctx context.Context, e *env, a *app, arg string) (dialer.Agent, error) {
	if arg == "me" {
		return whoAmI(ctx, e, a.db)
	}
	return findAgent(ctx, a.db, arg, true)
}

func newCallsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one call with both legs.",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) != 1 {
				return usageError{"calls show needs a call id"}
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Sprintf("call id %q is not a number", args[0])}
			}
			a, closeAll, err := openStoreApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			c, err := a.db.Call(ctx, id)
			if err != nil {
				return err
			}
			note := ""
			if c.EndedAt.IsZero() || c.Outcome == dialer.OutcomeUnknown {
				c, note = checkOpenCall(ctx, e, c)
			}
			who, err := a.db.Contact(ctx, c.ContactID)
			if err != nil {
				return err
			}
			charges, err := a.db.Charges(ctx, dialer.ChargeFilter{})
			if err != nil {
				return err
			}
			j := toCallJSON(c, who, feesByID(charges))
			if asJSON {
				if note != "" {
					fmt.Fprintln(e.stderr, "dialer: "+note)
				}
				return writeJSON(e.stdout, j)
			}
			// Names, reasons and provider text are shown inert.
			fmt.Fprintf(e.stdout, "Call %d to %s (%s), %s\n", c.ID, display.Line(who.Label()), display.Line(who.Phone), localTime(c.StartedAt))
			fmt.Fprintf(e.stdout, "Agent %s (%s), caller ID %s", display.Line(c.AgentName), display.Line(c.AgentPhone), display.Line(c.CallerID))
			if j.NewNumberFee != nil {
				fmt.Fprintf(e.stdout, ", bought for this call (fee %s)", *j.NewNumberFee)
			}
			fmt.Fprintf(e.stdout, "\nOutcome: %s", c.Outcome.Phrase())
			if c.EndReason != "" {
				fmt.Fprintf(e.stdout, " (%s)", display.Line(c.EndReason))
			}
			if c.OverrideReason != "" {
				fmt.Fprintf(e.stdout, "; called outside hours: %s", display.Line(c.OverrideReason))
			}
			if c.Disposition != "" {
				fmt.Fprintf(e.stdout, "\nDisposition: %s", display.Line(c.Disposition))
			}
			fmt.Fprintln(e.stdout)
			var tw table
			tw.row("LEG", "TO", "STATUS", "DURATION", "RATE/MIN", "PRICE", "SID")
			for _, l := range c.Legs {
				tw.row(string(l.Role), l.To, string(l.Status), l.Duration.Round(time.Second).String(),
					l.Rate.StringOr("unknown"), l.Price.StringOr("pending"), l.SID)
			}
			tw.row("", "", "", "", "Total", totalText(c), "")
			if err := tw.flush(e.stdout); err != nil || note == "" {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, note)
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return readOnly(c)
}

func newCallsExportCmd(e *env) *cobra.Command {
	var opts struct{ format, since string }
	c := &cobra.Command{
		Use:     "export",
		Short:   "Export calls as CSV, one row per call.",
		Example: "dialer calls export --format csv --since 2026-11-01 > calls.csv",
		Args:    noArgs("calls export takes flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if opts.format != "csv" {
				return usageError{fmt.Sprintf("--format %q: only csv is supported", opts.format)}
			}
			var since time.Time
			if opts.since != "" {
				t, err := time.ParseInLocation("2006-01-02", opts.since, time.Local)
				if err != nil {
					return usageError{fmt.Sprintf("--since %q: want a date such as 2026-11-01", opts.since)}
				}
				since = t
			}
			a, closeAll, err := openStoreApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			cs, contacts, fees, err := callRecords(ctx, a, dialer.CallFilter{Since: since})
			if err != nil {
				return err
			}
			return writeCSV(e.stdout, cs, contacts, fees)
		},
	}
	c.Flags().StringVar(&opts.format, "format", "csv", "csv")
	c.Flags().StringVar(&opts.since, "since", "", "only calls on or after this date (YYYY-MM-DD, local time)")
	c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv"}, cobra.ShellCompDirectiveNoFileComp))
	return readOnly(c)
}

func newCallsBackfillCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "backfill",
		Short: "Record the real end of calls left open, and fetch prices set since calls ended.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			calls := a.calls()
			fixed, err := calls.Repair(ctx)
			if err != nil {
				return err
			}
			open, err := a.db.OpenCalls(ctx, calls.Account, 0)
			if err != nil {
				return err
			}
			if fixed > 0 || len(open) > 0 {
				if _, err := fmt.Fprintf(e.stdout, "Recorded the end of %s; %d still open (live at the provider, or it cannot be reached).\n", display.Plural(fixed, "open call", "open calls"), len(open)); err != nil {
					return err
				}
			}
			n, err := calls.Backfill(ctx)
			if err != nil {
				return err
			}
			left, err := a.db.UnpricedLegs(ctx, 0)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Priced %s; %d still pending at the provider.\n", display.Plural(n, "leg", "legs"), len(left))
			return err
		},
	}
}

// dispositionText is the agent's pick after the call, or "-".
func dispositionText(c dialer.Call) string {
	if c.Disposition == "" {
		return "-"
	}
	return c.Disposition
}

func legSummary(c dialer.Call, role dialer.LegRole) string {
	l, ok := c.Leg(role)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%s %s %s", l.Status, l.Duration.Round(time.Second), l.Price.StringOr("pending"))
}

func totalText(c dialer.Call) string {
	total, known, err := c.Total()
	switch {
	case err != nil:
		return "mixed currencies"
	case len(c.Legs) == 0:
		return "-"
	case !known:
		return "pending"
	}
	return total.String()
}

func writeCSV(w io.Writer, cs []dialer.Call, contacts map[int64]dialer.Contact, fees feeIndex) error {
	cw := csv.NewWriter(w)
	head := []string{"id", "started_at", "ended_at", "contact_id", "contact_name", "contact_phone", "agent_name", "agent_phone",
		"caller_id", "new_number_fee", "outcome", "end_reason", "override_reason"}
	for _, role := range []string{"agent", "contact"} {
		for _, f := range []string{"sid", "status", "duration_seconds", "rate_per_minute", "price"} {
			head = append(head, role+"_"+f)
		}
	}
	head = append(head, "total_price", "price_unit", "disposition")
	if err := cw.Write(head); err != nil {
		return err
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, c := range cs {
		j := toCallJSON(c, contacts[c.ContactID], fees)
		row := []string{strconv.FormatInt(j.ID, 10), ts(j.StartedAt), ts(j.EndedAt), strconv.FormatInt(j.Contact.ID, 10),
			csvSafe(j.Contact.Name), csvText(j.Contact.Phone), csvSafe(j.AgentName), csvText(j.AgentPhone), csvText(j.CallerID), str(j.NewNumberFee),
			j.Outcome, csvSafe(j.EndReason), csvSafe(j.OverrideReason)}
		for _, role := range []dialer.LegRole{dialer.AgentLeg, dialer.ContactLeg} {
			l, ok := c.Leg(role)
			if !ok {
				row = append(row, "", "", "", "", "")
				continue
			}
			lj := toLegJSON(l)
			row = append(row, csvText(lj.SID), csvText(lj.Status), strconv.FormatInt(lj.DurationSeconds, 10), str(lj.RatePerMinute), str(lj.Price))
		}
		row = append(row, str(j.TotalPrice), str(j.PriceUnit), csvSafe(j.Disposition))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText is stored or provider text for a CSV cell: control characters
// and escape sequences (ESC, BEL, C1, bidi controls) dropped, so that a
// file shown in a terminal or opened in a spreadsheet does only what it
// says. Line breaks are kept; the CSV writer quotes them.
func csvText(s string) string { return display.Text(s) }

// csvSafe is csvText for text a person typed, with spreadsheet formulas
// defused (display.CSVCell): a cell that starts = + - @ (once its controls
// are gone: a leading tab or CR is a space or a line break by then) is
// quoted with a leading '.
func csvSafe(s string) string { return display.CSVCell(s) }

// checkOpenCall asks the provider how a call whose end is not known for
// sure ended, and records it (as backfill does). It returns the call as
// recorded then, and a sentence when its end is still not known.
func checkOpenCall(ctx context.Context, e *env, c dialer.Call) (dialer.Call, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	we := *e
	we.readOnly = false // what the provider says is recorded
	a, closeAll, err := openApp(ctx, &we)
	if err != nil {
		return c, "Its end is not confirmed, and the provider could not be asked: " + dialer.ErrorMessage(err)
	}
	defer closeAll()
	if _, err := a.calls().RepairCall(ctx, c.ID); err != nil {
		return c, "Its end is not confirmed, and the provider could not be asked: " + dialer.ErrorMessage(err)
	}
	now, err := a.db.Call(ctx, c.ID)
	if err != nil {
		return c, ""
	}
	if now.EndedAt.IsZero() || now.Outcome == dialer.OutcomeUnknown {
		return now, "Its end is not confirmed: the provider reports the call live, or could not be reached. `dialer calls backfill` asks again."
	}
	return now, ""
}
