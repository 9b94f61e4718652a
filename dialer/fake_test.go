package dialer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/nanp"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fakeNumbers is a small dialer.NumberProvider for the policy tests. Each
// area code has a finite pool of numbers. Its owned numbers can live in a
// file (state) so that a second process, or a restarted one, sees what an
// earlier one bought; every purchase can be appended to a log file (buyLog)
// so purchases by several processes can be counted.
type fakeNumbers struct {
	mu       sync.Mutex
	owned    map[string]dialer.OwnedNumber // by SID
	taken    map[string]bool               // phone numbers sold
	empty    map[string]bool               // area codes with no numbers
	seq      int
	buys     int
	failNext []error // errors for the next purchases, in order
	// boughtButFail: the next purchase happens, then the answer is lost.
	boughtButFail error
	delay         time.Duration // each purchase takes this long
	state         string        // file holding owned numbers, if set
	buyLog        string        // file each purchase appends a line to, if set
	afterBuy      func()        // called after a purchase is recorded (crash tests)
}

func newFakeNumbers() *fakeNumbers {
	return &fakeNumbers{owned: map[string]dialer.OwnedNumber{}, taken: map[string]bool{}, empty: map[string]bool{}}
}

type fakeState struct {
	Seq   int
	Owned map[string]dialer.OwnedNumber
	Taken map[string]bool
}

func (f *fakeNumbers) load() {
	if f.state == "" {
		return
	}
	b, err := os.ReadFile(f.state)
	if err != nil {
		return
	}
	var st fakeState
	if json.Unmarshal(b, &st) == nil {
		f.seq, f.owned, f.taken = st.Seq, st.Owned, st.Taken
	}
}

func (f *fakeNumbers) save() {
	if f.state == "" {
		return
	}
	b, _ := json.Marshal(fakeState{Seq: f.seq, Owned: f.owned, Taken: f.taken})
	tmp := f.state + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, f.state)
	}
}

// pool is the three numbers an area code has, on the first exchange that
// libphonenumber accepts for it.
func (f *fakeNumbers) pool(area string) []string {
	if f.empty[area] {
		return nil
	}
	if _, ok := nanp.Lookup(area); !ok {
		return nil
	}
	first := validPhone(area)
	if first == "" {
		return nil
	}
	var out []string
	for i := 0; i < 3; i++ {
		out = append(out, fmt.Sprintf("%s%02d", first[:len(first)-2], i))
	}
	return out
}

func (f *fakeNumbers) SearchNumbers(ctx context.Context, q dialer.NumberQuery) ([]dialer.AvailableNumber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	var areas []string
	if q.AreaCode != "" {
		areas = []string{q.AreaCode}
	} else {
		for _, ac := range nanp.InRegion(q.Country, q.Region) {
			areas = append(areas, ac.Code)
		}
	}
	var out []dialer.AvailableNumber
	for _, a := range areas {
		info, _ := nanp.Lookup(a)
		for _, p := range f.pool(a) {
			if !f.taken[p] && strings.Contains(p, q.Contains) {
				out = append(out, dialer.AvailableNumber{PhoneNumber: p, Region: info.Region, Country: info.Country, Voice: true})
			}
		}
		if q.Limit > 0 && len(out) >= q.Limit {
			return out[:q.Limit], nil
		}
	}
	return out, nil
}

func (f *fakeNumbers) BuyNumber(ctx context.Context, req dialer.BuyRequest) (dialer.OwnedNumber, error) {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return dialer.OwnedNumber{}, dialer.Wrap(dialer.EUNAVAILABLE, ctx.Err(), "timed out")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	if len(f.failNext) > 0 {
		err := f.failNext[0]
		f.failNext = f.failNext[1:]
		return dialer.OwnedNumber{}, err
	}
	var phone string
	if req.PhoneNumber != "" {
		p, _ := dialer.ParsePhone(req.PhoneNumber)
		for _, c := range f.pool(p.AreaCode) {
			if c == req.PhoneNumber && !f.taken[c] {
				phone = c
			}
		}
	} else {
		if _, ok := nanp.Lookup(req.AreaCode); !ok {
			return dialer.OwnedNumber{}, dialer.Errorf(dialer.EAREACODE, "area code %s is not valid", req.AreaCode)
		}
		for _, c := range f.pool(req.AreaCode) {
			if !f.taken[c] {
				phone = c
				break
			}
		}
	}
	if phone == "" {
		return dialer.OwnedNumber{}, dialer.Errorf(dialer.ENOTAVAILABLE, "no numbers available")
	}
	f.seq++
	f.buys++
	o := dialer.OwnedNumber{SID: fmt.Sprintf("PN%032x", f.seq+os.Getpid()<<20), PhoneNumber: phone, FriendlyName: req.FriendlyName}
	f.owned[o.SID] = o
	f.taken[phone] = true
	f.save()
	if f.buyLog != "" {
		lf, err := os.OpenFile(f.buyLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintf(lf, "%d %s %s\n", os.Getpid(), phone, req.FriendlyName)
			lf.Close()
		}
	}
	if f.afterBuy != nil {
		f.afterBuy()
	}
	if err := f.boughtButFail; err != nil {
		f.boughtButFail = nil
		return dialer.OwnedNumber{}, err
	}
	return o, nil
}

func (f *fakeNumbers) UpdateNumber(ctx context.Context, sid string, u dialer.NumberUpdate) (dialer.OwnedNumber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	o, ok := f.owned[sid]
	if !ok {
		return o, dialer.Errorf(dialer.ENOTFOUND, "no number %s", sid)
	}
	if u.FriendlyName != nil {
		o.FriendlyName = *u.FriendlyName
	}
	f.owned[sid] = o
	f.save()
	return o, nil
}

func (f *fakeNumbers) ReleaseNumber(ctx context.Context, sid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	o, ok := f.owned[sid]
	if !ok {
		return dialer.Errorf(dialer.ENOTFOUND, "no number %s", sid)
	}
	delete(f.owned, sid)
	delete(f.taken, o.PhoneNumber) // back in the pool
	f.save()
	return nil
}

func (f *fakeNumbers) ListNumbers(ctx context.Context) ([]dialer.OwnedNumber, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	out := make([]dialer.OwnedNumber, 0, len(f.owned))
	for _, o := range f.owned {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SID < out[j].SID })
	return out, nil
}

func (f *fakeNumbers) purchases() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buys
}

func (f *fakeNumbers) ownedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	return len(f.owned)
}
