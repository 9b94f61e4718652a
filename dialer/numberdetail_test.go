package dialer

import (
	"testing"
	"time"
)

// A number's details say where it is (the area code's main city when the
// provider gave no locality) and how it stands: healthy, at risk, or too
// few calls to tell.
func TestNumberDetailWords(t *testing.T) {
	for _, c := range []struct {
		n    Number
		want string
	}{
		{Number{AreaCode: "415", Region: "CA", Locality: "Sausalito"}, "area code 415 Sausalito, CA"},
		{Number{AreaCode: "415", Region: "CA"}, "area code 415 San Francisco area, CA"},
		{Number{}, "area code"},
	} {
		if got := c.n.Location(); got != c.want {
			t.Errorf("Location of %+v: %q, want %q", c.n, got, c.want)
		}
	}
	few := NumberDetail{Usage: NumberUsage{Month: healthMinCalls - 1}}
	ok := NumberDetail{Usage: NumberUsage{Month: healthMinCalls}}
	bad := NumberDetail{Usage: NumberUsage{Month: healthMinCalls}, AtRisk: []string{"why"}}
	if few.Health() != "too few calls to tell (20 in 30 days)" || ok.Health() != "healthy" || bad.Health() != "at risk" {
		t.Errorf("health: %q, %q, %q", few.Health(), ok.Health(), bad.Health())
	}
	u := NumberUsage{Today: 1, Week: 2, Month: 4, Answered: 2, Short: 1, Talk: 90 * time.Second, AreaCalls: 10, AreaAnswered: 5}
	if u.CallsText() != "1 today, 2 in 7 days, 4 in 30 days" || u.AnsweredText() != "50% (the area code's numbers: 50%)" ||
		u.ShortText() != "50% of those answered (under 30 s)" {
		t.Errorf("%q, %q, %q", u.CallsText(), u.AnsweredText(), u.ShortText())
	}
	if OnDemand.Label() != "on-demand" || Dedicated.Label() != "dedicated" {
		t.Errorf("labels %q %q", OnDemand.Label(), Dedicated.Label())
	}
}
