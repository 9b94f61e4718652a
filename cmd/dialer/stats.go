package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer/day"
)

type statsJSON struct {
	Since        time.Time `json:"since"`
	Calls        int       `json:"calls"`
	Connects     int       `json:"connects"`
	ConnectRate  float64   `json:"connect_rate"`
	TalkSeconds  int64     `json:"talk_seconds"`
	NumberFees   string    `json:"number_fees"`
	CallSpend    string    `json:"call_spend"`
	Currency     string    `json:"currency"`
	UnpricedLegs int       `json:"unpriced_legs"`
	CallbacksDue int       `json:"callbacks_due"`
}

// localMidnight is the start of t's day in the local time zone (the
// user's: $TZ).
func localMidnight(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
}

func newStatsCmd(e *env) *cobra.Command {
	var (
		today, asJSON bool
		since         string
	)
	c := &cobra.Command{
		Use:   "stats",
		Short: "The day in figures: calls, connects, connect rate, talk time, fees, call spend, callbacks due.",
		Example: `dialer stats            # today (since local midnight)
dialer stats --since 2026-12-01 --json`,
		Args: noArgs("stats takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			from, sinceSet := localMidnight(now), cmd.Flags().Changed("since")
			if sinceSet {
				if today {
					return usageError{"stats takes --today or --since, not both"}
				}
				t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(since), time.Local)
				if err != nil {
					return usageError{fmt.Sprintf("--since %q is not a date such as 2026-12-01", since)}
				}
				if t.After(now) {
					return usageError{fmt.Sprintf("--since %s is in the future", t.Format("2006-01-02"))}
				}
				from = t
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			set, err := db.Settings(ctx)
			if err != nil {
				return err
			}
			cur := set.ReservationFee.Currency
			d, err := db.Stats(ctx, from.UTC(), cur)
			if err != nil {
				return err
			}
			due, err := db.CountDueCallbacks(ctx, now.UTC())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, statsJSON{Since: from.UTC(), Calls: d.Calls, Connects: d.Connects, ConnectRate: d.ConnectRate(),
					TalkSeconds: int64(d.TalkTime / time.Second), NumberFees: d.NumberFees.Amount.String(),
					CallSpend: d.CallSpend.Amount.String(), Currency: cur, UnpricedLegs: d.Unpriced, CallbacksDue: due})
			}
			title := "Today"
			if sinceSet {
				title = "Since " + from.Format("Mon 2006-01-02")
			}
			_, err = fmt.Fprintf(e.stdout, "%s\n%s", title, day.Lines(day.StatsFigures(d, due)))
			return err
		},
	}
	c.Flags().BoolVar(&today, "today", false, "since local midnight (the default)")
	c.Flags().StringVar(&since, "since", "", "since this date (YYYY-MM-DD, local)")
	jsonFlag(c, &asJSON)
	return readOnly(c)
}
