package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
)

// numberJSON is the --json shape of a number: a stable contract for scripts.
type numberJSON struct {
	ID             int64      `json:"id"`
	PhoneNumber    string     `json:"phone_number"`
	Status         string     `json:"status"`
	Kind           string     `json:"kind"`
	Country        string     `json:"country"`
	AreaCode       string     `json:"area_code"`
	ServesAreaCode string     `json:"serves_area_code"`
	Local          bool       `json:"local"`
	Region         string     `json:"region"`
	Locality       string     `json:"locality"`
	FriendlyName   string     `json:"friendly_name"` // as the provider has it: the name, then dialer's tag
	Name           string     `json:"name"`          // the name people gave it
	ProviderSID    string     `json:"provider_sid"`
	MonthlyPrice   *string    `json:"monthly_price"`
	PriceUnit      *string    `json:"price_unit"`
	FailureReason  string     `json:"failure_reason,omitempty"`
	AgentID        int64      `json:"agent_id,omitempty"`           // whose primary number it is
	BillingEnd     *time.Time `json:"billing_period_end,omitempty"` // a canceling number's release
	CreatedAt      *time.Time `json:"created_at"`
	ActivatedAt    *time.Time `json:"activated_at"`
	ReservedUntil  *time.Time `json:"reserved_until"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	ReleasedAt     *time.Time `json:"released_at"`
}

// utcOrNil is a JSON time: RFC 3339 in UTC, or null when unset.
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toNumberJSON(n dialer.Number) numberJSON {
	j := numberJSON{
		ID: n.ID, PhoneNumber: n.PhoneNumber, Status: string(n.Status), Kind: string(n.Kind),
		Country: n.Country, AreaCode: n.AreaCode, ServesAreaCode: n.ServesAreaCode, Local: n.Local(),
		AgentID: n.AgentID, BillingEnd: utcOrNil(n.BillingPeriodEnd), Name: dialer.NumberName(n.FriendlyName),
		Region: n.Region, Locality: n.Locality, FriendlyName: n.FriendlyName, ProviderSID: n.ProviderSID,
		FailureReason: n.FailureReason,
		CreatedAt:     utcOrNil(n.CreatedAt), ActivatedAt: utcOrNil(n.ActivatedAt),
		ReservedUntil: utcOrNil(n.ReservedUntil), LastUsedAt: utcOrNil(n.LastUsedAt), ReleasedAt: utcOrNil(n.ReleasedAt),
	}
	j.MonthlyPrice, j.PriceUnit = amountPtr(n.MonthlyPrice)
	return j
}

// newNumbersCmd is the number inventory: list (read-only) here, the
// commands that talk to the provider in numbers_manage.go.
func newNumbersCmd(e *env) *cobra.Command {
	return newGroup("numbers", "The organization's phone number inventory.",
		newNumbersListCmd(e),
		newNumbersSearchCmd(e),
		newNumbersBuyCmd(e),
		newNumbersReleaseCmd(e),
		newNumbersCancelCmd(e),
		newNumbersAssignCmd(e),
		newNumbersRenameCmd(e),
		newNumbersSyncCmd(e),
		readOnly(newNumbersShowCmd(e)),
		newNumbersSweepCmd(e),
		newNumbersReconcileCmd(e),
	)
}

func newNumbersListCmd(e *env) *cobra.Command {
	var opts struct {
		json   bool
		status string
	}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the number inventory, newest first.",
		Args:  noArgs("numbers list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var f dialer.NumberFilter
			if s := dialer.NumberStatus(opts.status); s != "" {
				if !s.Valid() {
					return usageError{fmt.Sprintf("--status %q is not a status; want pending, active, past_due, canceling, released or failed", s)}
				}
				f.Statuses = []dialer.NumberStatus{s}
			}
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			ns, err := db.Numbers(ctx, f)
			if err != nil {
				return err
			}
			if opts.json {
				out := make([]numberJSON, 0, len(ns))
				for _, n := range ns {
					out = append(out, toNumberJSON(n))
				}
				return writeJSON(e.stdout, out)
			}
			return printNumbers(e.stdout, ns)
		},
	}
	jsonFlag(c, &opts.json)
	c.Flags().StringVar(&opts.status, "status", "", "only numbers with this status: pending, active, past_due, canceling, released or failed")
	c.RegisterFlagCompletionFunc("status", completeNumberStatuses)
	return readOnly(c)
}

func printNumbers(w io.Writer, ns []dialer.Number) error {
	if len(ns) == 0 {
		_, err := fmt.Fprintln(w, "No numbers yet. A number is bought the first time a call needs one in an area code.")
		return err
	}
	var tw table // provider text, shown inert, aligned by display width
	tw.row("NUMBER", "STATUS", "KIND", "AREA", "REGION", "RESERVED UNTIL", "LAST USED")
	for _, n := range ns {
		phone := n.PhoneNumber
		switch {
		case phone != "":
		case n.Status == dialer.StatusPending:
			phone = "(buying)"
		default:
			phone = "(not bought)"
		}
		area := n.AreaCode
		if !n.Local() {
			area += " for " + n.ServesAreaCode
		} else if area == "" {
			area = n.ServesAreaCode
		}
		tw.row(phone, string(n.Status), n.Kind.Label(), area, n.Region,
			localTime(n.ReservedUntil), localTime(n.LastUsedAt))
	}
	return tw.flush(w)
}

// localTime shows a stored UTC time in the user's time zone.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04 MST")
}
