package dialer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer/nanp"
)

// NumberDetail is what is told about one number: its record, who has it,
// what it cost, and how its calls went (numbers show, and the Numbers
// screen's details pane).
type NumberDetail struct {
	Number Number
	Agent  string // the assigned agent's name; "" for no one (or one not found)
	Fee    *Money // its purchase fee; nil when none was charged
	// Rental is the monthly price prorated to the days of this month the
	// number was held; nil while its monthly price is not known.
	Rental *Money
	Usage  NumberUsage
	AtRisk []string // why carriers may flag it (NumberUsage.AtRisk); empty: healthy, or too few calls to tell
}

// ReadNumberDetail reads number n's details as of now; its calls "today"
// are those since local midnight.
func ReadNumberDetail(ctx context.Context, s Store, n Number, now time.Time) (NumberDetail, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return NumberDetail{}, err
	}
	u, err := s.NumberUsage(ctx, n.ID, LocalDayStart(now), now)
	if err != nil {
		return NumberDetail{}, err
	}
	d := NumberDetail{Number: n, Usage: u, AtRisk: u.AtRisk(set)}
	if n.AgentID != 0 {
		if a, err := s.Agent(ctx, n.AgentID); err == nil {
			d.Agent = a.Name
		}
	}
	if fees, err := s.Charges(ctx, ChargeFilter{NumberID: n.ID}); err == nil && len(fees) > 0 {
		d.Fee = &fees[0].Amount
	}
	if n.MonthlyPrice != nil && !n.ActivatedAt.IsZero() {
		r := ProratedRental(*n.MonthlyPrice, n.ActivatedAt, n.ReleasedAt, now)
		d.Rental = &r
	}
	return d, nil
}

// LocalDayStart is the local midnight that began now's day.
func LocalDayStart(now time.Time) time.Time {
	l := now.Local()
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)
}

// Label is a number kind as people read it: "on-demand" or "dedicated".
func (k NumberKind) Label() string {
	if k == OnDemand {
		return "on-demand"
	}
	return string(k)
}

// Location is where a number is: "area code 415 San Francisco, CA", or
// "area code 415 San Francisco area, CA" when the provider gave no
// locality (not made inert: the locality is the provider's text).
func (n Number) Location() string {
	locality := n.Locality
	if info, ok := nanp.Lookup(n.AreaCode); ok && locality == "" && len(info.Localities) > 0 {
		locality = info.Localities[0] + " area"
	}
	where := strings.Trim(locality+", "+n.Region, ", ")
	return strings.TrimSpace("area code " + n.AreaCode + " " + where)
}

// CallsText counts the calls: "3 today, 10 in 7 days, 41 in 30 days".
func (u NumberUsage) CallsText() string {
	return fmt.Sprintf("%d today, %d in 7 days, %d in 30 days", u.Today, u.Week, u.Month)
}

// AnsweredText is the answer rate beside the area code's numbers'.
func (u NumberUsage) AnsweredText() string {
	return fmt.Sprintf("%.0f%% (the area code's numbers: %.0f%%)", 100*u.AnswerRate(), 100*ratio(u.AreaAnswered, u.AreaCalls))
}

// ShortText is the share of short calls among those answered.
func (u NumberUsage) ShortText() string {
	return fmt.Sprintf("%.0f%% of those answered (under 30 s)", 100*u.ShortShare())
}

// Health says in a few words how the number stands: "at risk" (AtRisk
// says why), "healthy", or too few calls to tell.
func (d NumberDetail) Health() string {
	switch {
	case len(d.AtRisk) > 0:
		return "at risk"
	case d.Usage.Month < healthMinCalls:
		return fmt.Sprintf("too few calls to tell (%d in 30 days)", healthMinCalls)
	}
	return "healthy"
}
