package dialer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// BenchmarkInboundRoute is the work `dialer serve` does before it answers
// Twilio's voice webhook for a call to one of our numbers (Twilio waits for
// it, the caller hears ringing): the settings, the number, the agent who
// last called the caller from it (2,000 earlier calls to 1,000 contacts),
// the caller's contact, and the call's record, caller leg and the
// number's use written. Per engine; queries counted.
func BenchmarkInboundRoute(b *testing.B) {
	for _, eng := range []struct {
		name   string
		target func(*testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "dialer.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.URL(b) }},
	} {
		b.Run("engine="+eng.name, func(b *testing.B) {
			var q store.QueryCounter
			e := newEnvWith(b, eng.target(b), newFakeNumbers(), store.Options{Create: true, Queries: &q})
			ctx := context.Background()
			ann, err := e.db.CreateAgent(ctx, dialer.Agent{Name: "Ann Agent", Phone: "+13105550101", Role: dialer.RoleSupervisor,
				Active: true, CreatedAt: e.clock.Now()})
			if err != nil {
				b.Fatal(err)
			}
			r, err := e.res.Acquire(ctx, contact("+14155550100"), nil)
			if err != nil {
				b.Fatal(err)
			}
			callers := make([]string, 1000)
			for i := range callers {
				callers[i] = fmt.Sprintf("+1415555%04d", 1000+i)
				ct, err := e.db.CreateContact(ctx, dialer.Contact{Phone: callers[i], CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()})
				if err != nil {
					b.Fatal(err)
				}
				for range 2 {
					call, err := e.db.StartCall(ctx, dialer.Call{ContactID: ct.ID, AgentID: ann.ID, AgentName: ann.Name, AgentPhone: ann.Phone,
						CallerID: r.Number.PhoneNumber, NumberID: r.Number.ID, Confirm: dialer.ConfirmAuto, StartedAt: e.clock.Now()})
					if err != nil {
						b.Fatal(err)
					}
					if err := e.db.SaveLeg(ctx, call.ID, dialer.Leg{Role: dialer.ContactLeg, SID: fmt.Sprintf("CA%032d", call.ID), To: callers[i],
						Status: dialer.CallCompleted}); err != nil {
						b.Fatal(err)
					}
				}
			}
			sb := &dialer.Switchboard{Store: e.db, Clock: e.clock}
			q0, n := q.Load(), 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				n++
				route, err := sb.Route(ctx, dialer.InboundCall{SID: fmt.Sprintf("CA%032x", 1<<40+i), From: callers[i%len(callers)], To: r.Number.PhoneNumber})
				if err != nil || route.Agent.ID != ann.ID {
					b.Fatalf("route %+v, %v", route, err)
				}
			}
			b.ReportMetric(float64(q.Load()-q0)/float64(n), "queries/op")
		})
	}
}
