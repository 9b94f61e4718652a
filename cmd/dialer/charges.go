package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
)

type chargeJSON struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Amount      string    `json:"amount"`
	Currency    string    `json:"currency"`
	PhoneNumber string    `json:"phone_number"`
	NumberID    int64     `json:"number_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// newChargesCmd is the fees the organization was charged.
func newChargesCmd(e *env) *cobra.Command {
	return newGroup("charges", "Fees the organization was charged.",
		newChargesListCmd(e),
	)
}

func newChargesListCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List charges, newest first, with their total.",
		Args:  noArgs("charges list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			cs, err := db.Charges(ctx, dialer.ChargeFilter{})
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]chargeJSON, 0, len(cs))
				for _, c := range cs {
					out = append(out, chargeJSON{ID: c.ID, Kind: string(c.Kind), Amount: c.Amount.Amount.String(),
						Currency: c.Amount.Currency, PhoneNumber: c.PhoneNumber, NumberID: c.NumberID, CreatedAt: c.CreatedAt.UTC()})
				}
				return writeJSON(e.stdout, out)
			}
			if len(cs) == 0 {
				_, err := fmt.Fprintln(e.stdout, "No charges yet.")
				return err
			}
			tw := table{right: true}
			tw.row("WHEN", "WHAT", "NUMBER", "AMOUNT", "")
			totals := map[string]dialer.Money{}
			var order []string
			for _, c := range cs {
				tw.row(localTime(c.CreatedAt), chargeLabel(c.Kind), c.PhoneNumber, c.Amount.String(), "")
				t, seen := totals[c.Amount.Currency]
				if !seen {
					order = append(order, c.Amount.Currency)
				}
				if totals[c.Amount.Currency], err = t.Add(c.Amount); err != nil {
					return err
				}
			}
			for _, cur := range order {
				tw.row("", "Total", "", totals[cur].String(), "")
			}
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	return readOnly(c)
}

func chargeLabel(k dialer.ChargeKind) string {
	if k == dialer.ReservationFee {
		return "reservation fee"
	}
	return string(k)
}
