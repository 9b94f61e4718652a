package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/store"
)

type availableJSON struct {
	PhoneNumber         string `json:"phone_number"`
	FriendlyName        string `json:"friendly_name"`
	Locality            string `json:"locality"`
	Region              string `json:"region"`
	PostalCode          string `json:"postal_code"`
	Country             string `json:"country"`
	Voice               bool   `json:"voice"`
	SMS                 bool   `json:"sms"`
	AddressRequirements string `json:"address_requirements"`
}

func newNumbersSearchCmd(e *env) *cobra.Command {
	var opts struct {
		country, areaCode, contains, region, locality, postal, near string
		limit                                                       int
		json                                                        bool
	}
	c := &cobra.Command{
		Use:     "search",
		Short:   "Search numbers available to buy.",
		Example: "dialer numbers search --area-code 415 --contains 55",
		Args:    noArgs("numbers search takes flags only, e.g. --area-code 415"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if opts.limit < 1 || opts.limit > 1000 {
				return usageError{fmt.Sprintf("--limit %d: want 1 to 1000", opts.limit)}
			}
			if ac := opts.areaCode; ac != "" {
				if err := dialer.CheckAreaCode(ac); err != nil {
					return usageError{"--area-code: " + dialer.ErrorMessage(err)}
				}
			}
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			found, err := a.back.provider.SearchNumbers(ctx, dialer.NumberQuery{
				Country: strings.ToUpper(opts.country), AreaCode: opts.areaCode, Contains: opts.contains,
				Region: strings.ToUpper(opts.region), Locality: opts.locality, PostalCode: opts.postal,
				NearNumber: opts.near, Limit: opts.limit,
			})
			if err != nil {
				return err
			}
			if opts.json {
				out := make([]availableJSON, 0, len(found))
				for _, n := range found {
					out = append(out, availableJSON{n.PhoneNumber, n.FriendlyName, n.Locality, n.Region, n.PostalCode, n.Country, n.Voice, n.SMS, n.AddressRequired})
				}
				return writeJSON(e.stdout, out)
			}
			if len(found) == 0 {
				_, err := fmt.Fprintln(e.stdout, "No numbers available that match.")
				return err
			}
			var tw table // provider text, shown inert, aligned by display width
			tw.row("NUMBER", "LOCALITY", "REGION", "POSTAL CODE")
			for _, n := range found {
				tw.row(n.PhoneNumber, n.Locality, n.Region, n.PostalCode)
			}
			return tw.flush(e.stdout)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.country, "country", "US", "country (ISO code): US or CA")
	f.StringVar(&opts.areaCode, "area-code", "", "three-digit area code")
	f.StringVar(&opts.contains, "contains", "", "digits the number contains")
	f.StringVar(&opts.region, "region", "", "state or province, e.g. CA")
	f.StringVar(&opts.locality, "locality", "", "city")
	f.StringVar(&opts.postal, "postal-code", "", "postal code")
	f.StringVar(&opts.near, "near", "", "near this number (E.164)")
	f.IntVar(&opts.limit, "limit", 20, "at most this many (1 to 1000)")
	jsonFlag(c, &opts.json)
	c.RegisterFlagCompletionFunc("country", completeCountries)
	return c
}

func newNumbersBuyCmd(e *env) *cobra.Command {
	var opts struct {
		areaCode, number, country string
		json, yes                 bool
	}
	c := &cobra.Command{
		Use:   "buy",
		Short: "Buy a dedicated number (kept until released), after a review of what it costs (supervisors only).",
		Long: "Buy a dedicated number (kept until released): exactly one of --area-code N or --number E164. " +
			"It first shows where, the monthly price, the organization's count against its maximum and the balance, " +
			"and asks; --yes buys without asking (and is needed when stdin is not a terminal).",
		Example: `dialer numbers buy --area-code 415
dialer numbers buy --number +14155550123 --yes --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) > 0 || (opts.areaCode == "") == (opts.number == "") {
				return usageError{"numbers buy needs exactly one of --area-code N or --number E164"}
			}
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if err := requireSupervisor(ctx, e, a.db, "buy a dedicated number"); err != nil {
				return err
			}
			if me, err := whoAmI(ctx, e, a.db); err == nil {
				a.numbers.Agent = me.ID
			}
			req := dialer.DedicatedRequest{Country: strings.ToUpper(opts.country), AreaCode: opts.areaCode, PhoneNumber: opts.number}
			if !opts.yes && !e.stdinIsTerminal() {
				return usageError{"numbers buy shows what the number costs and asks before it buys: pass --yes to buy without asking"}
			}
			// The review: what, where, what it costs, against the maximum and
			// the balance; refused here, before anything is bought.
			rv, err := a.numbers.Review(ctx, req, a.back.provider)
			if err != nil {
				return err
			}
			if !opts.yes {
				fmt.Fprint(e.stderr, reviewText(rv))
				fmt.Fprint(e.stderr, "Buy it? Type yes to buy: ")
				line, _ := bufio.NewReader(e.stdin).ReadString('\n')
				if strings.TrimSpace(strings.ToLower(line)) != "yes" {
					return dialer.Errorf(dialer.ECANCELED, "nothing was bought (answer yes, or pass --yes)")
				}
			}
			n, err := a.numbers.BuyDedicated(ctx, rv.Request)
			if err != nil {
				return err
			}
			if w := dialer.Misplaced(n, opts.areaCode); w != "" {
				fmt.Fprintln(e.stderr, w)
			}
			if opts.json {
				return writeJSON(e.stdout, toNumberJSON(n))
			}
			_, err = fmt.Fprintf(e.stdout, "Bought %s (dedicated, area code %s %s). It is kept until released.\n", n.PhoneNumber, n.AreaCode, n.Region)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&opts.areaCode, "area-code", "", "buy any number of this area code")
	f.StringVar(&opts.number, "number", "", "buy this exact number (from numbers search)")
	f.StringVar(&opts.country, "country", "US", "country of the area code: US or CA")
	f.BoolVar(&opts.yes, "yes", false, "buy without asking")
	jsonFlag(c, &opts.json)
	c.RegisterFlagCompletionFunc("country", completeCountries)
	return c
}

func newNumbersReleaseCmd(e *env) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:               "release NUMBER",
		Short:             "Give a number back to the provider now.",
		Example:           "dialer numbers release +14155550100 --yes",
		ValidArgsFunction: completeLiveNumbers(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) != 1 {
				return usageError{"numbers release needs one number, e.g. dialer numbers release +14155550100"}
			}
			ph, err := dialer.ParsePhone(args[0])
			if err != nil {
				return err
			}
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if err := requireSupervisor(ctx, e, a.db, "release a number"); err != nil {
				return err
			}
			n, err := inventoryNumber(ctx, a.db, ph.E164, dialer.StatusActive, dialer.StatusPastDue, dialer.StatusCanceling)
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(e.stderr, "Release %s (%s, area code %s)? Calls can no longer use it and it may not be had back. Type yes to release: ",
					n.PhoneNumber, n.Kind.Label(), n.AreaCode)
				line, _ := bufio.NewReader(e.stdin).ReadString('\n')
				if strings.TrimSpace(strings.ToLower(line)) != "yes" {
					return dialer.Errorf(dialer.ECANCELED, "%s was not released (answer yes, or pass --yes)", n.PhoneNumber)
				}
			}
			if _, err := a.numbers.Release(ctx, n.ID); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Released %s.\n", n.PhoneNumber)
			return err
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return c
}

func newNumbersSweepCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "sweep",
		Short: "Release numbers whose reservation lapsed or whose cancellation is due.",
		Args:  noArgs("numbers sweep takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			res, err := a.numbers.Sweep(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				out := struct {
					Released []numberJSON `json:"released"`
					Errors   []string     `json:"errors"`
				}{Released: []numberJSON{}, Errors: []string{}}
				for _, n := range res.Released {
					out.Released = append(out.Released, toNumberJSON(n))
				}
				for _, err := range res.Errors {
					out.Errors = append(out.Errors, dialer.ErrorMessage(err))
				}
				return writeJSON(e.stdout, out)
			}
			for _, n := range res.Released {
				fmt.Fprintf(e.stdout, "Released %s (%s, area code %s).\n", n.PhoneNumber, n.Kind.Label(), n.AreaCode)
			}
			for _, err := range res.Errors {
				fmt.Fprintf(e.stderr, "Not released now, tried again next sweep: %s\n", dialer.ErrorMessage(err))
			}
			if len(res.Released) == 0 && len(res.Errors) == 0 {
				fmt.Fprintln(e.stdout, "Nothing to release.")
			}
			if len(res.Errors) > 0 {
				return dialer.Errorf(dialer.EUNAVAILABLE, "%d numbers could not be released now", len(res.Errors))
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newNumbersReconcileCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "reconcile",
		Short: "Compare the inventory with the provider's numbers and repair differences.",
		Args:  noArgs("numbers reconcile takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			res, err := a.numbers.Reconcile(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				j := func(ns []dialer.Number) []numberJSON {
					out := []numberJSON{}
					for _, n := range ns {
						out = append(out, toNumberJSON(n))
					}
					return out
				}
				phones := func(os []dialer.OwnedNumber) []string {
					out := []string{}
					for _, o := range os {
						out = append(out, o.PhoneNumber)
					}
					return out
				}
				type pendingJSON struct {
					numberJSON
					Why string `json:"why"`
				}
				pending := []pendingJSON{}
				for _, p := range res.Pending {
					pending = append(pending, pendingJSON{toNumberJSON(p.Number), p.Why})
				}
				return writeJSON(e.stdout, map[string]any{
					"adopted": j(res.Adopted), "vanished": j(res.Vanished), "abandoned": j(res.Abandoned),
					"released": phones(res.Released), "unmanaged": phones(res.Unmanaged), "pending": pending,
				})
			}
			for _, n := range res.Adopted {
				fmt.Fprintf(e.stdout, "Adopted %s: bought before a crash, now recorded (fee charged once).\n", n.PhoneNumber)
			}
			for _, n := range res.Vanished {
				fmt.Fprintf(e.stdout, "Marked %s released: the provider no longer has it.\n", n.PhoneNumber)
			}
			for _, n := range res.Abandoned {
				why := n.FailureReason
				if why == "" {
					why = "it never completed; nothing was charged"
				}
				fmt.Fprintf(e.stdout, "Marked purchase %d (%s) failed: %s.\n", n.ID, purchaseArea(n), why)
			}
			for _, o := range res.Released {
				fmt.Fprintf(e.stdout, "Released %s: bought by dialer but not wanted.\n", o.PhoneNumber)
			}
			if k := len(res.Unmanaged); k > 0 {
				fmt.Fprintf(e.stdout, "Left alone %d numbers the account owns that dialer did not buy.\n", k)
			}
			switch k := len(res.Pending); {
			case k == 1:
				p := res.Pending[0]
				fmt.Fprintf(e.stdout, "1 purchase still pending: %s, %s.\n", purchaseArea(p.Number), p.Why)
			case k > 1:
				fmt.Fprintf(e.stdout, "%d purchases still pending:\n", k)
				for _, p := range res.Pending {
					fmt.Fprintf(e.stdout, "  %s, %s.\n", purchaseArea(p.Number), p.Why)
				}
			}
			if len(res.Adopted)+len(res.Vanished)+len(res.Abandoned)+len(res.Released)+len(res.Pending) == 0 {
				fmt.Fprintln(e.stdout, "The inventory matches the provider.")
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// purchaseArea names what a purchase was for: "area code 415", or the
// exact number asked for.
func purchaseArea(n dialer.Number) string {
	switch {
	case n.ServesAreaCode != "":
		return "area code " + n.ServesAreaCode
	case n.AreaCode != "":
		return "area code " + n.AreaCode
	case n.PhoneNumber != "":
		return n.PhoneNumber
	}
	return fmt.Sprintf("purchase %d", n.ID)
}

func newNumbersCancelCmd(e *env) *cobra.Command {
	var undo, asJSON bool
	c := &cobra.Command{
		Use:   "cancel NUMBER",
		Short: "Cancel a number's subscription: it keeps working until its billing period ends, then it is released (supervisors only).",
		Long: "Cancel a number's subscription: it goes canceling, keeps working until its billing period ends " +
			"(the day of the month it was bought), then the sweeper releases it at the provider. --undo takes it back until then. " +
			"numbers release gives a number back at once.",
		Example:           "dialer numbers cancel +14155550100\ndialer numbers cancel +14155550100 --undo",
		ValidArgsFunction: completeLiveNumbers(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) != 1 {
				return usageError{"numbers cancel needs one number, e.g. dialer numbers cancel +14155550100"}
			}
			ph, err := dialer.ParsePhone(args[0])
			if err != nil {
				return err
			}
			a, closeAll, err := openStoreApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			what := "cancel a number"
			if undo {
				what = "take back a number's cancellation"
			}
			if err := requireSupervisor(ctx, e, a.db, what); err != nil {
				return err
			}
			live, err := inventoryNumber(ctx, a.db, ph.E164, dialer.LiveStatuses...)
			if err != nil {
				return err
			}
			res := &dialer.Reservations{Store: a.db, Logger: a.log}
			var n dialer.Number
			if undo {
				n, err = res.Uncancel(ctx, live.ID)
			} else {
				n, err = res.Cancel(ctx, live.ID)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toNumberJSON(n))
			}
			if undo {
				_, err = fmt.Fprintf(e.stdout, "%s is active again; its cancellation is taken back.\n", n.PhoneNumber)
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s is canceling: it keeps working until %s, the end of its billing period, then it is released. Undo: dialer numbers cancel %s --undo\n",
				n.PhoneNumber, n.BillingPeriodEnd.Local().Format("Mon Jan 2 15:04"), n.PhoneNumber)
			return err
		},
	}
	c.Flags().BoolVar(&undo, "undo", false, "take the cancellation back")
	jsonFlag(c, &asJSON)
	return c
}

func newNumbersAssignCmd(e *env) *cobra.Command {
	var none, asJSON bool
	c := &cobra.Command{
		Use:   "assign NUMBER (AGENT | --none)",
		Short: "Make a number an agent's primary number, or no one's (supervisors only).",
		Long: "Make a number an agent's primary number: their calls to its area code use it, and no other agent's do. " +
			"An agent has one primary number: assigning another unassigns the first. --none makes it no one's.",
		Example:           "dialer numbers assign +14155550100 \"Ann Agent\"\ndialer numbers assign +14155550100 --none",
		ValidArgsFunction: completeAssign(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 && !(len(args) == 1 && none) {
				return usageError{"numbers assign needs a number and an agent, or a number and --none"}
			}
			ph, err := dialer.ParsePhone(args[0])
			if err != nil {
				return err
			}
			return withSupervisor(cmd, e, "assign numbers", func(ctx context.Context, db *store.DB) error {
				live, err := inventoryNumber(ctx, db, ph.E164, dialer.LiveStatuses...)
				if err != nil {
					return err
				}
				var who dialer.Agent
				if !none {
					if who, err = findAgent(ctx, db, args[1], false); err != nil {
						return err
					}
				}
				n, err := assignNumber(ctx, e, db, live.ID, who.ID)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(e.stdout, toNumberJSON(n))
				}
				if none {
					_, err = fmt.Fprintf(e.stdout, "%s is no one's: %s.\n", n.PhoneNumber, n.Unassigned())
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "%s is %s's primary number: their calls to area code %s use it.\n",
					n.PhoneNumber, display.Line(who.Name), n.AreaCode)
				return err
			})
		},
	}
	c.Flags().BoolVar(&none, "none", false, "make the number no one's")
	jsonFlag(c, &asJSON)
	return c
}

// completeAssign offers the inventory's numbers, then the agents.
func completeAssign(e *env) cobra.CompletionFunc {
	numbers, agents := completeLiveNumbers(e), completeAgents(e)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return numbers(cmd, args, toComplete)
		}
		return agents(cmd, nil, toComplete)
	}
}

func newNumbersRenameCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "rename NUMBER NAME",
		Short:             `Name a number ("" takes its name away); the provider gets the name too.`,
		Example:           `dialer numbers rename +14155550100 "Sales West"`,
		ValidArgsFunction: completeLiveNumbers(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) != 2 {
				return usageError{`numbers rename needs a number and a name, e.g. dialer numbers rename +14155550100 "Sales West"`}
			}
			ph, err := dialer.ParsePhone(args[0])
			if err != nil {
				return err
			}
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			live, err := inventoryNumber(ctx, a.db, ph.E164, dialer.LiveStatuses...)
			if err != nil {
				return err
			}
			n, err := a.numbers.Rename(ctx, live.ID, args[1])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toNumberJSON(n))
			}
			if name := dialer.NumberName(n.FriendlyName); name != "" {
				_, err = fmt.Fprintf(e.stdout, "%s is named %s.\n", n.PhoneNumber, display.Line(name))
			} else {
				_, err = fmt.Fprintf(e.stdout, "%s has no name now.\n", n.PhoneNumber)
			}
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// reviewText is a purchase's review, as numbers buy shows it.
func reviewText(rv dialer.PurchaseReview) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Buy a dedicated number: %s\n", rv.Where)
	if c := rv.Candidate; c != nil && rv.Request.PhoneNumber == "" {
		fmt.Fprintf(&b, "  for example   %s %s\n", c.PhoneNumber, display.Line(strings.Trim(c.Locality+", "+c.Region, ", ")))
	}
	price := "not known (the provider did not say)"
	if rv.MonthlyPrice != nil {
		price = rv.MonthlyPrice.String() + " a month, until it is released"
	}
	fmt.Fprintf(&b, "  price         %s\n", price)
	fmt.Fprintf(&b, "  numbers       %d in use of the organization's %d\n", rv.Live, rv.Max)
	balance := "not known (the provider does not tell it)"
	if rv.Balance != nil {
		balance = rv.Balance.String()
	}
	fmt.Fprintf(&b, "  balance       %s\n", balance)
	return b.String()
}

// numberDetailJSON is numbers show --json: the number, who has it, what it
// cost, and how its calls went.
type numberDetailJSON struct {
	numberJSON
	Agent           string   `json:"agent,omitempty"`
	Fee             *string  `json:"fee"`    // its purchase fee, null if none
	RentalThisMonth *string  `json:"rental"` // the monthly price prorated to this month's days held, null when unknown
	CallsToday      int      `json:"calls_today"`
	Calls7Days      int      `json:"calls_7_days"`
	Calls30Days     int      `json:"calls_30_days"`
	AnswerRate      float64  `json:"answer_rate"`
	ShortCallShare  float64  `json:"short_call_share"`
	AverageTalkSecs int64    `json:"average_talk_seconds"`
	AtRisk          []string `json:"at_risk"` // why, when its calls suggest carriers flag it
}

func newNumbersShowCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "show NUMBER",
		Short:             "A number's details: location, status, agent, costs, and how its calls went (health).",
		Example:           "dialer numbers show +14155550100 --json",
		ValidArgsFunction: completeLiveNumbers(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) != 1 {
				return usageError{"numbers show needs one number, e.g. dialer numbers show +14155550100"}
			}
			ph, err := dialer.ParsePhone(args[0])
			if err != nil {
				return err
			}
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			n, err := inventoryNumber(ctx, db, ph.E164) // the newest: the one in service, if any
			if err != nil {
				return err
			}
			det, err := dialer.ReadNumberDetail(ctx, db, n, time.Now())
			if err != nil {
				return err
			}
			u := det.Usage
			d := numberDetailJSON{numberJSON: toNumberJSON(n), Agent: det.Agent, CallsToday: u.Today, Calls7Days: u.Week, Calls30Days: u.Month,
				AnswerRate: u.AnswerRate(), ShortCallShare: u.ShortShare(), AverageTalkSecs: int64(u.AverageTalk() / time.Second),
				AtRisk: det.AtRisk}
			if d.AtRisk == nil {
				d.AtRisk = []string{}
			}
			if det.Fee != nil {
				f := det.Fee.String()
				d.Fee = &f
			}
			if det.Rental != nil {
				r := det.Rental.String()
				d.RentalThisMonth = &r
			}
			if asJSON {
				return writeJSON(e.stdout, d)
			}
			var tw table
			or := func(p *string, none string) string {
				if p == nil {
					return none
				}
				return *p
			}
			name := d.Name
			if name == "" {
				name = "-"
			}
			agent := d.Agent
			if agent == "" {
				agent = "no one's (on demand)"
			}
			tw.row("number", n.PhoneNumber)
			tw.row("name", name)
			tw.row("location", n.Location())
			tw.row("kind, status", n.Kind.Label()+", "+string(n.Status))
			tw.row("bought", localTime(n.ActivatedAt))
			if !n.ReservedUntil.IsZero() && n.Kind == dialer.OnDemand {
				tw.row("reserved until", localTime(n.ReservedUntil))
			}
			if !n.BillingPeriodEnd.IsZero() {
				tw.row("released on", localTime(n.BillingPeriodEnd))
			}
			tw.row("agent", agent)
			tw.row("purchase fee", or(d.Fee, "none"))
			tw.row("monthly price", n.MonthlyPrice.StringOr("not known yet"))
			tw.row("rental this month", or(d.RentalThisMonth, "not known yet"))
			tw.row("calls", u.CallsText())
			tw.row("answered", u.AnsweredText())
			tw.row("short calls", u.ShortText())
			tw.row("average talk", u.AverageTalk().String())
			tw.row("last used", localTime(u.LastUsed))
			health := det.Health()
			if len(d.AtRisk) > 0 {
				health = "AT RISK: " + strings.Join(d.AtRisk, "; ")
			}
			tw.row("health", health)
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// inventoryNumber is the newest number of the inventory with phone e164 in
// one of statuses (any status when none); ENOTFOUND, naming it, if there is
// none.
func inventoryNumber(ctx context.Context, db dialer.NumberStore, e164 string, statuses ...dialer.NumberStatus) (dialer.Number, error) {
	ns, err := db.Numbers(ctx, dialer.NumberFilter{PhoneNumber: e164, Statuses: statuses})
	if err != nil {
		return dialer.Number{}, err
	}
	if len(ns) == 0 {
		return dialer.Number{}, dialer.Errorf(dialer.ENOTFOUND, "%s is not in the inventory (see dialer numbers list)", e164)
	}
	return ns[0], nil
}

// assignNumber assigns a number and, when the team runs `dialer serve`,
// points it there (which needs the provider).
func assignNumber(ctx context.Context, e *env, db *store.DB, id, agent int64) (dialer.Number, error) {
	set, err := db.Settings(ctx)
	if err != nil {
		return dialer.Number{}, err
	}
	if set.WebhookURL == "" {
		return db.AssignNumber(ctx, id, agent)
	}
	p, _ := resolvePaths(e)
	back, err := openBackend(ctx, e, p, slog.New(slog.DiscardHandler))
	if err != nil {
		return dialer.Number{}, err
	}
	defer back.close()
	return (&dialer.Reservations{Store: db, Provider: back.provider}).Assign(ctx, id, agent)
}
