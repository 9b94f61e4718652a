package integration

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/nanp"
)

// firstRequest notes when the adapter sends its first request after arm.
type firstRequest struct {
	mu    sync.Mutex
	armed bool
	at    time.Time
	path  string
	ch    chan struct{}
}

func (f *firstRequest) arm() {
	f.mu.Lock()
	f.armed, f.ch = true, make(chan struct{})
	f.mu.Unlock()
}

func (f *firstRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	now := time.Now()
	f.mu.Lock()
	if f.armed {
		f.armed, f.at, f.path = false, now, r.URL.Path
		close(f.ch)
	}
	f.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// BenchmarkCallToFirstProviderRequest measures the program's own work from
// the Call key (Calls.Start: guards, caller-ID decision, call record, TwiML)
// to the moment the first request leaves for the provider, against the
// emulator. With a reserved number that request is the agent's call; for a
// new area code it is the purchase.
func BenchmarkCallToFirstProviderRequest(b *testing.B) {
	var codes []string // area codes with a number libphonenumber accepts
	for _, ac := range nanp.All() {
		for exch := 200; exch < 1000 && len(codes) < 400; exch++ {
			p := fmt.Sprintf("+1%s%03d0143", ac.Code, exch)
			if ph, err := dialer.ParsePhone(p); err == nil && ph.AreaCode == ac.Code && ac.Code != "907" && ac.Code != "212" {
				codes = append(codes, p)
				break
			}
		}
	}
	for _, bc := range []struct {
		name  string
		phone func(i int) string
		want  string
	}{
		{"reserved area code", func(int) string { return "+12125550143" }, "Calls.json"},
		{"new area code", func(i int) string { return codes[i%len(codes)] }, "IncomingPhoneNumbers.json"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fr := &firstRequest{}
			w := newCallWorld(b, opts{transport: fr})
			ctx := context.Background()
			s, _ := w.db.Settings(ctx)
			s.MaxNumbers, s.DailyCallCap = 100_000, 0
			w.db.SaveSettings(ctx, s)
			contacts := map[string]dialer.Contact{}
			contactFor := func(p string) dialer.Contact {
				if c, ok := contacts[p]; ok {
					return c
				}
				c := w.contact(b, "Bench", p)
				contacts[p] = c
				return c
			}
			// Warm up as the program does at start: the balance is known and
			// the first area code's number is reserved.
			if _, err := w.calls.Balance(ctx, 0); err != nil {
				b.Fatal(err)
			}
			warm, _ := w.calls.Start(ctx, dialer.CallOptions{Contact: contactFor("+12125550143"), Agent: w.agent, Confirm: dialer.ConfirmAuto})
			warm.Hangup()
			warm.Wait()
			var total time.Duration
			n := 0
			for b.Loop() {
				c := contactFor(bc.phone(n + 1))
				fr.arm()
				start := time.Now()
				sess, err := w.calls.Start(ctx, dialer.CallOptions{Contact: c, Agent: w.agent, Confirm: dialer.ConfirmAuto})
				if err != nil {
					b.Fatal(err)
				}
				<-fr.ch
				total += fr.at.Sub(start)
				if filepath.Base(fr.path) != bc.want {
					b.Fatalf("first request %s, want %s", fr.path, bc.want)
				}
				sess.Hangup()
				call, err := sess.Wait()
				if err != nil {
					b.Fatal(err)
				}
				if bc.want == "IncomingPhoneNumbers.json" {
					// Give the number back so that its area code is new again.
					if _, err := w.res.Release(ctx, call.NumberID); err != nil {
						b.Fatal(err)
					}
				}
				n++
			}
			b.ReportMetric(float64(total.Microseconds())/float64(n), "µs-to-first-request")
		})
	}
}
