package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Chores is the team's background work: reconciling the inventory with the
// provider, filling in numbers' monthly prices, sweeping lapsed
// reservations, repairing open calls and backfilling prices. Every open
// dialer runs Chores, and one of them at a time does the work: the holder
// of the housekeeping lease, renewed while it lives. If it dies, the lease
// expires (TTL) and another takes it over.
type Chores struct {
	Store   LeaseStore
	Numbers *Reservations
	Calls   *Calls          // nil: no repairs or price backfill
	Pricing PricingProvider // nil: no monthly prices
	Clock   Clock           // nil: the system clock
	Logger  *slog.Logger    // nil: discard

	// Holder names this process uniquely; Label names it for people (the
	// agent's name).
	Holder, Label string

	// TTL is how long the lease lasts unrenewed: how soon another takes
	// over from a holder that died. Zero: 60 s. The lease is renewed (and,
	// by others, tried) every TTL/3.
	TTL time.Duration
	// SweepEvery and BackfillEvery space the holder's sweeps and backfills
	// (zero: an hour and a minute); BalanceEvery its balance checks (zero:
	// a minute): numbers in service go past due while the balance is not
	// positive, and back to active once it is.
	SweepEvery, BackfillEvery, BalanceEvery time.Duration
	// Report, if set, hears of each chore done and its error.
	Report func(chore string, err error)

	held atomic.Bool
}

// PresenceLease names the lease an open dialer of an agent holds: the Team
// screen shows the agent online while it is held.
func PresenceLease(agentID int64) string { return "presence:" + strconv.FormatInt(agentID, 10) }

// HoldPresence holds agent's presence lease (60 s, renewed every 20 s)
// until ctx ends, then gives it up (within a second; else it expires).
func HoldPresence(ctx context.Context, st LeaseStore, agent Agent, holder string) {
	if agent.ID == 0 {
		return
	}
	name := PresenceLease(agent.ID)
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		st.TakeLease(ctx, name, holder, agent.Name, time.Now().UTC(), time.Minute)
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			st.ReleaseLease(rctx, name, holder)
			cancel()
			return
		case <-t.C:
		}
	}
}

// HousekeepingLease is the lease's name.
const HousekeepingLease = "housekeeping"

// Holding reports whether this process does the team's chores now.
func (c *Chores) Holding() bool { return c.held.Load() }

// NewHolder names a process (and a purpose) uniquely for a lease, in a
// form holderOwner reads back: "pid:start:purpose:seq:machine".
func NewHolder(purpose string) string {
	s := Self()
	return fmt.Sprintf("%d:%s:%s:%d:%s", s.PID, s.Start, purpose, holderSeq.Add(1), s.Machine)
}

// holderOwner is the process a lease holder names.
func holderOwner(holder string) (Owner, bool) {
	f := strings.SplitN(holder, ":", 5)
	if len(f) != 5 {
		return Owner{}, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return Owner{}, false
	}
	return Owner{Machine: f[4], PID: pid, Start: f[1]}, true
}

// takeLease is TakeLease that also takes a lease at once from a holder
// provably gone (a process of this machine that ended without giving it
// up: killed, say) instead of waiting for it to expire.
func takeLease(ctx context.Context, st LeaseStore, name, holder, label string, now time.Time, ttl time.Duration) (Lease, bool, error) {
	l, ok, err := st.TakeLease(ctx, name, holder, label, now, ttl)
	if err != nil || ok {
		return l, ok, err
	}
	if o, known := holderOwner(l.Holder); known {
		if gone, _ := o.Gone(); gone {
			if err := st.ReleaseLease(ctx, name, l.Holder); err != nil {
				return l, false, err
			}
			return st.TakeLease(ctx, name, holder, label, now, ttl)
		}
	}
	return l, false, nil
}

var holderSeq atomic.Int64

// Run does the chores whenever this process holds the lease, until ctx
// ends; then it gives the lease up.
func (c *Chores) Run(ctx context.Context) {
	ttl := durOr(c.TTL, time.Minute)
	sweepEvery, backfillEvery := durOr(c.SweepEvery, time.Hour), durOr(c.BackfillEvery, time.Minute)
	balanceEvery := durOr(c.BalanceEvery, time.Minute)
	log := logOr(c.Logger)
	report := func(chore string, err error) {
		if err != nil && ctx.Err() == nil {
			log.Warn("chore failed", "chore", chore, "err", err)
		}
		if c.Report != nil {
			c.Report(chore, err)
		}
	}
	defer func() {
		if c.held.Load() {
			// Briefly: quitting never waits on a database that does not
			// answer; the lease then expires by itself.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			if err := c.Store.ReleaseLease(rctx, HousekeepingLease, c.Holder); err != nil {
				log.Warn("housekeeping lease not given up", "err", err)
			}
			c.held.Store(false)
		}
	}()
	var lastSweep, lastBackfill, lastBalance time.Time
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		now := nowUTC(c.Clock)
		l, ok, err := takeLease(ctx, c.Store, HousekeepingLease, c.Holder, c.Label, now, ttl)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("housekeeping lease", "err", err)
			}
		case ok && !c.held.Load():
			// Just taken (at start, or from a holder that died): the
			// holder's first round does everything.
			c.held.Store(true)
			log.Info("doing the team's housekeeping", "lease_until", l.Expires)
			lastSweep, lastBackfill, lastBalance = time.Time{}, time.Time{}, time.Time{}
			_, err := c.Numbers.Reconcile(ctx)
			report("reconcile", err)
			if c.Pricing != nil {
				_, err := c.Numbers.FillMonthlyPrices(ctx, c.Pricing)
				report("monthly prices", err)
			}
		case !ok && c.held.Load():
			c.held.Store(false)
			log.Info("another process does the team's housekeeping now", "holder", l.Label)
		}
		if c.held.Load() && ctx.Err() == nil {
			if now.Sub(lastSweep) >= sweepEvery {
				_, err := c.Numbers.Sweep(ctx)
				report("sweep", err)
				lastSweep = now
			}
			if c.Pricing != nil && now.Sub(lastBalance) >= balanceEvery {
				report("balance", c.checkBalance(ctx, log))
				lastBalance = now
			}
			if c.Calls != nil && now.Sub(lastBackfill) >= backfillEvery {
				_, err := c.Calls.Repair(ctx)
				report("repair", err)
				_, err = c.Calls.Backfill(ctx)
				report("backfill", err)
				lastBackfill = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// checkBalance moves the numbers in service to past due while the account's
// balance is not positive, and back to active once it is (a balance the
// provider does not tell changes nothing).
func (c *Chores) checkBalance(ctx context.Context, log *slog.Logger) error {
	b, err := c.Pricing.Balance(ctx)
	if ErrorKind(err) == EBALANCEUNKNOWN {
		return nil
	}
	if err != nil {
		return err
	}
	pastDue := b.Amount <= 0
	n, err := c.Numbers.Store.SetPastDue(ctx, pastDue)
	if err == nil && n > 0 {
		if pastDue {
			log.Warn("numbers past due: the balance is not positive", "numbers", n, "balance", b.String())
		} else {
			log.Info("numbers active again: the balance is positive", "numbers", n, "balance", b.String())
		}
	}
	return err
}
