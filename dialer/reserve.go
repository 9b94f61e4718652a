package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer/nanp"
)

// Reservations runs the on-demand number policy: reuse the number reserved
// for a contact's area code, or buy one (exactly one, however many callers
// race), charge its fee once, and release numbers whose reservation lapsed.
type Reservations struct {
	Store    Store
	Provider NumberProvider
	Clock    Clock        // nil: the system clock
	Logger   *slog.Logger // nil: discard

	// StalePending is how old a pending purchase must be before a waiter or
	// a reconcile pass may decide it never completed, whatever its process
	// is doing. Zero: twice PurchaseTimeout (asking, then recording) and 15
	// s. A purchase whose process is provably gone is settled at once.
	StalePending time.Duration
	// PurchaseTimeout bounds one purchase at the provider. Zero: 60 s.
	PurchaseTimeout time.Duration
	// Agent is the agent (record id) whose calls and purchases these are:
	// fees name them. Zero: unknown.
	Agent int64
}

// Reservation is the caller ID a call gets.
type Reservation struct {
	Number Number
	Bought bool    // bought for this call
	Fee    *Charge // the reservation fee, when Bought and the fee is not zero
	// Local is false when the number is not in the contact's area code (no
	// number was available there; one elsewhere in the region was bought).
	Local bool
	// Warning, when not empty, says the number bought is not where it was
	// asked for: not in the area code (or, bought elsewhere in the region,
	// not in the state or province).
	Warning string
	// Rotated is the at-risk number this purchase replaced (the
	// rotate_at_risk setting), now canceling; nil when none was.
	Rotated *Number
}

// Pending is what Acquire reports while a caller ID is being bought: this
// caller's purchase, another's it waits for, or a warning about the number
// bought. Message is the sentence for the screen.
type Pending struct {
	Number  Number // the pending number (the bought one for a warning)
	Waiting bool   // another caller's purchase: this one waits for it
	Warning bool   // the number bought is not where it was asked for
	Message string
}

const (
	tagPrefix           = "dialer:"
	staleMargin         = 15 * time.Second
	defaultPurchaseTime = 60 * time.Second
	waitMin, waitMax    = 10 * time.Millisecond, 250 * time.Millisecond
	fallbackCandidates  = 5
)

func (r *Reservations) now() time.Time    { return nowUTC(r.Clock) }
func (r *Reservations) log() *slog.Logger { return logOr(r.Logger) }

func (r *Reservations) stale() time.Duration {
	return durOr(r.StalePending, 2*r.purchaseTimeout()+staleMargin)
}

// Tag is the friendly name a number bought for local id carries, so that a
// purchase whose local record was lost (a crash) can be recognised.
func Tag(instance string, id int64) string {
	return tagPrefix + instance + ":" + strconv.FormatInt(id, 10)
}

// ParseTag reads the tag in a number's friendly name: all of it (a number
// no one named), or its last word (after the name people gave it).
func ParseTag(name string) (instance string, id int64, ok bool) {
	if i := strings.LastIndex(name, " "+tagPrefix); i >= 0 {
		name = name[i+1:]
	}
	rest, found := strings.CutPrefix(name, tagPrefix)
	if !found {
		return "", 0, false
	}
	instance, idText, found := strings.Cut(rest, ":")
	if !found || instance == "" {
		return "", 0, false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return instance, id, true
}

// Acquire returns the caller ID for a call to c: the active number reserved
// for c's area code, its reservation extended, or a newly bought one with its
// fee charged once. onPending, if not nil, is called when a purchase starts
// (this caller's or another's it waits for), and when the number bought is
// not where it was asked for: the UI's spinner and its warnings.
func (r *Reservations) Acquire(ctx context.Context, c Contact, onPending func(Pending)) (Reservation, error) {
	area, err := LocalArea(c)
	if err != nil {
		return Reservation{}, err
	}
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return Reservation{}, err
	}
	return r.AcquireArea(ctx, area, set, onPending)
}

// AcquireArea is Acquire for a number LocalArea has already read, under
// settings already loaded: the Call key's path does each once.
func (r *Reservations) AcquireArea(ctx context.Context, area Phone, set Settings, onPending func(Pending)) (Reservation, error) {
	wait := waitMin
	told := false
	rotate := set.RotateAtRisk
	for {
		now := r.now()
		req := ClaimRequest{
			Country:      area.Country,
			AreaCode:     area.AreaCode,
			Now:          now,
			ReserveUntil: now.Add(set.Reservation()),
			MaxNumbers:   set.MaxNumbers,
			Owner:        Self(),
			Agent:        r.Agent,
		}
		if rotate {
			req.Health = func(u NumberUsage) []string { return u.AtRisk(set) }
			req.DayStart = dayStart(now)
		}
		cl, err := r.Store.ClaimNumber(ctx, req)
		if err != nil {
			return Reservation{}, err
		}
		switch cl.Action {
		case ClaimReused:
			if len(cl.AtRisk) > 0 {
				r.log().Warn("at-risk number kept in use", "number_id", cl.Number.ID, "phone", cl.Number.PhoneNumber,
					"area_code", area.AreaCode, "why", strings.Join(cl.AtRisk, "; "), "kept", cl.Kept)
			}
			return Reservation{Number: cl.Number, Local: cl.Number.AreaCode == area.AreaCode}, nil
		case ClaimBuy:
			if cl.Replaces != nil {
				res, err := r.rotate(ctx, area, cl, set, onPending)
				if err != nil && rotationMayFallBack(err) {
					// Nothing was bought: this call keeps the worn number
					// (the next one tries again).
					r.log().Warn("at-risk number not rotated: no new number could be bought; it stays in use",
						"number_id", cl.Replaces.ID, "phone", cl.Replaces.PhoneNumber, "area_code", area.AreaCode, "err", err)
					rotate = false
					continue
				}
				return res, err
			}
			if onPending != nil {
				onPending(Pending{Number: cl.Number, Message: "Getting a local number for area code " + area.AreaCode + "…"})
			}
			return r.buy(ctx, area, cl.Number, set, onPending, nil)
		case ClaimWait:
			if gone, why := cl.Number.Owner.Gone(); gone {
				// Its process died mid-purchase: settle it now, then claim
				// again (the number it bought, or a purchase of our own).
				if _, err := r.settleAbandoned(ctx, cl.Number, why, set); err != nil {
					return Reservation{}, Wrap(ErrorKind(err), err, "An interrupted purchase of a number for area code "+area.AreaCode+" could not be checked with the provider")
				}
				continue
			}
			if onPending != nil && !told {
				onPending(Pending{Number: cl.Number, Waiting: true, Message: r.waitMessage(cl.Number, area.AreaCode, now)})
				told = true
			}
			if now.Sub(cl.Number.CreatedAt) > r.stale() {
				// The purchase that holds the area code is older than any
				// purchase may take: ask the provider what became of it.
				if _, err := r.Reconcile(ctx); err != nil {
					return Reservation{}, err
				}
				continue
			}
			select {
			case <-ctx.Done():
				return Reservation{}, Wrap(ECANCELED, ctx.Err(), "stopped waiting for the number being bought for area code "+area.AreaCode)
			case <-time.After(wait):
			}
			wait = min(wait*2, waitMax)
		default:
			return Reservation{}, Errorf(EINTERNAL, "store returned claim action %d", cl.Action)
		}
	}
}

// rotate buys the number of pending record cl.Number to replace the
// at-risk number cl.Replaces, which goes canceling (until its billing
// period ends) as the new one is recorded.
func (r *Reservations) rotate(ctx context.Context, area Phone, cl Claim, set Settings, onPending func(Pending)) (Reservation, error) {
	worn := *cl.Replaces
	r.log().Info("rotating at-risk number", "number_id", worn.ID, "phone", worn.PhoneNumber,
		"area_code", area.AreaCode, "why", strings.Join(cl.AtRisk, "; "), "pending_id", cl.Number.ID)
	if onPending != nil {
		onPending(Pending{Number: cl.Number, Message: fmt.Sprintf("%s is at risk (%s): getting a new number for area code %s…",
			worn.PhoneNumber, strings.Join(cl.AtRisk, "; "), area.AreaCode)})
	}
	bought := worn.ActivatedAt
	if bought.IsZero() {
		bought = worn.CreatedAt
	}
	res, err := r.buy(ctx, area, cl.Number, set, onPending, &retirement{id: worn.ID, until: BillingPeriodEnd(bought, r.now())})
	if err != nil {
		return res, err
	}
	if cur, gerr := r.Store.Number(ctx, worn.ID); gerr == nil {
		worn = cur
	}
	res.Rotated = &worn
	r.log().Info("at-risk number rotated", "number_id", worn.ID, "phone", worn.PhoneNumber, "status", worn.Status,
		"until", worn.BillingPeriodEnd, "new_number_id", res.Number.ID, "new_phone", res.Number.PhoneNumber)
	return res, nil
}

// Rotation says why the next call in number n's area code would replace
// it (the rotate_at_risk setting): n is an active on-demand number no
// agent has, and its usage puts it at risk. nil: it would be used. It
// only reads: a call's preview asks it.
func (r *Reservations) Rotation(ctx context.Context, n Number, set Settings) ([]string, error) {
	if !set.RotateAtRisk || n.Kind != OnDemand || n.AgentID != 0 || n.Status != StatusActive {
		return nil, nil
	}
	now := r.now()
	u, err := r.Store.NumberUsage(ctx, n.ID, dayStart(now), now)
	if err != nil {
		return nil, err
	}
	return u.AtRisk(set), nil
}

// rotationMayFallBack reports whether a rotation's purchase failed with
// nothing bought, so that the call may use the worn number after all. A
// purchase whose outcome is unknown stays pending: the next claim waits.
func rotationMayFallBack(err error) bool {
	switch ErrorKind(err) {
	case EPURCHASEUNKNOWN, ECANCELED:
		return false
	}
	return true
}

// retirement is the number a purchase replaces, canceled until until.
type retirement struct {
	id    int64
	until time.Time
}

// dayStart is the start of now's day, local time (as the Numbers details
// count calls today).
func dayStart(now time.Time) time.Time {
	l := now.In(time.Local)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)
}

// waitMessage says what a caller waits for, and for how long at most: the
// purchase's own bound, after which it is given up on.
func (r *Reservations) waitMessage(p Number, areaCode string, now time.Time) string {
	left := max(p.CreatedAt.Add(r.stale()).Sub(now), time.Second)
	secs := int((left + time.Second - 1) / time.Second)
	who := "another dialer process"
	switch me := Self(); {
	case !p.Owner.Known():
	case p.Owner == me:
		who = "another call in this dialer process"
	case p.Owner.Machine == me.Machine:
		who = fmt.Sprintf("another dialer process (pid %d)", p.Owner.PID)
	default:
		who = fmt.Sprintf("a dialer process on another machine (pid %d)", p.Owner.PID)
	}
	return fmt.Sprintf("Waiting for %s to finish buying a number for area code %s (up to %d s)…", who, areaCode, secs)
}

// buy buys the number of the pending record p and activates it.
func (r *Reservations) buy(ctx context.Context, area Phone, p Number, set Settings, onPending func(Pending), retire *retirement) (Reservation, error) {
	bctx, cancel := context.WithTimeout(ctx, r.purchaseTimeout())
	defer cancel()
	if err := r.markAsked(ctx, bctx, p); err != nil {
		return Reservation{}, err
	}
	tmpl := withWebhooks(BuyRequest{Country: area.Country, FriendlyName: Tag(r.Store.InstanceID(), p.ID)}, set)
	req := tmpl
	req.AreaCode = area.AreaCode
	owned, err := r.Provider.BuyNumber(bctx, req)
	local := true
	var region nanp.AreaCode
	if ErrorKind(err) == ENOTAVAILABLE {
		info, known := nanp.Lookup(area.AreaCode)
		switch {
		case !set.RegionFallback:
			err = Wrap(ENOTAVAILABLE, err, fmt.Sprintf("No phone number is available in area code %s (buying elsewhere in the region is turned off)", area.AreaCode))
		case !known:
			err = Wrap(ENOTAVAILABLE, err, fmt.Sprintf("No phone number is available in area code %s", area.AreaCode))
		default:
			local, region = false, info
			owned, err = r.buyInRegion(bctx, area, info, tmpl)
		}
	}
	if err != nil {
		return r.settle(ctx, p, OwnedNumber{}, err, set, retire)
	}
	res, err := r.settle(ctx, p, owned, nil, set, retire)
	if err != nil {
		return Reservation{}, err
	}
	res.Local = local && res.Number.AreaCode == area.AreaCode
	r.log().Info("number bought", "number_id", res.Number.ID, "phone", res.Number.PhoneNumber,
		"serves", area.AreaCode, "local", res.Local, "region", region.Region)
	if res.Warning = misplaced(res.Number, area.AreaCode, region); res.Warning != "" {
		r.log().Warn("number bought is not where it was asked for", "number_id", res.Number.ID,
			"phone", res.Number.PhoneNumber, "asked_area_code", area.AreaCode, "asked_region", region.Region)
		if onPending != nil {
			onPending(Pending{Number: res.Number, Warning: true, Message: res.Warning})
		}
	}
	return res, nil
}

// markAsked records that pending number p's provider is about to be
// asked (under bctx, the purchase's): should this process die now, another
// knows that only the provider can tell whether the number was bought. If
// it cannot be recorded, the provider is not asked, nothing was bought, and
// p is marked failed (under ctx, not cut short by bctx).
func (r *Reservations) markAsked(ctx, bctx context.Context, p Number) error {
	err := r.Store.MarkAsked(bctx, p.ID, r.now())
	if err == nil {
		return nil
	}
	if ferr := r.Store.FailNumber(context.WithoutCancel(ctx), p.ID, ErrorMessage(err)); ferr != nil {
		r.log().Warn("purchase not started and not marked failed", "number_id", p.ID, "err", ferr)
	}
	return err
}

// misplaced says how number n, bought for areaCode (or, when region is
// set, elsewhere in region), is not where it was asked for; "" when it is.
func misplaced(n Number, areaCode string, region nanp.AreaCode) string {
	if region.Region == "" {
		if n.AreaCode == areaCode {
			return ""
		}
		return fmt.Sprintf("Warning: the provider sold %s for area code %s, but it is in %s; calls from it do not show a local number.",
			n.PhoneNumber, areaCode, areaCodeOrUnknown(n.AreaCode))
	}
	info, ok := nanp.Lookup(n.AreaCode)
	if ok && info.Country == region.Country && info.Region == region.Region {
		return ""
	}
	where := "an unknown area code"
	if ok {
		where = fmt.Sprintf("area code %s (%s)", n.AreaCode, info.RegionName)
	}
	return fmt.Sprintf("Warning: the provider sold %s for area code %s (elsewhere in %s), but it is in %s; calls from it do not show a number from the contact's state.",
		n.PhoneNumber, areaCode, region.RegionName, where)
}

func areaCodeOrUnknown(ac string) string {
	if ac == "" {
		return "an unknown area code"
	}
	return "area code " + ac
}

// buyInRegion buys a number elsewhere in the area code's state or province.
func (r *Reservations) buyInRegion(ctx context.Context, area Phone, info nanp.AreaCode, tmpl BuyRequest) (OwnedNumber, error) {
	cands, err := r.Provider.SearchNumbers(ctx, NumberQuery{Country: area.Country, Region: info.Region, Limit: fallbackCandidates})
	if err != nil {
		return OwnedNumber{}, err
	}
	for _, c := range cands {
		req := tmpl
		req.PhoneNumber = c.PhoneNumber
		owned, err := r.Provider.BuyNumber(ctx, req)
		if ErrorKind(err) == ENOTAVAILABLE {
			continue // taken since the search; try the next
		}
		return owned, err
	}
	return OwnedNumber{}, Errorf(ENOTAVAILABLE, "No phone number is available in area code %s or elsewhere in %s", area.AreaCode, info.RegionName)
}

// settle records how the purchase of pending number p ended: the number
// bought (owned), or the purchase's error. It runs under a context the
// caller's cancellation cannot cut short: a number may have been bought,
// and it must not be forgotten.
func (r *Reservations) settle(ctx context.Context, p Number, owned OwnedNumber, err error, set Settings, retire *retirement) (Reservation, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.purchaseTimeout())
	defer cancel()
	if err != nil {
		return r.purchaseFailed(sctx, p, err, set, retire)
	}
	return r.activateRetiring(sctx, p, owned, set, retire)
}

// purchaseFailed settles a pending number whose purchase returned err. When
// the provider's answer leaves it unknown whether the number was bought, it
// looks before deciding: a bought number is adopted, never forgotten.
func (r *Reservations) purchaseFailed(ctx context.Context, p Number, cause error, set Settings, retire *retirement) (Reservation, error) {
	switch ErrorKind(cause) {
	case EUNAVAILABLE, ECANCELED, EINTERNAL:
		owned, found, err := r.findTagged(ctx, p.ID)
		if err != nil {
			r.log().Warn("purchase outcome unknown; left pending for reconcile", "number_id", p.ID, "err", err)
			return Reservation{}, &Error{Kind: EPURCHASEUNKNOWN, Message: "The provider did not confirm the purchase and could not be asked again; nothing is charged until it is checked", Err: cause}
		}
		if found {
			return r.activateRetiring(ctx, p, owned, set, retire)
		}
	}
	if err := r.Store.FailNumber(ctx, p.ID, ErrorMessage(cause)); err != nil {
		// No longer pending: a reconcile pass (in this or another process)
		// found the number at the provider and adopted it meanwhile.
		if n, gerr := r.Store.Number(ctx, p.ID); ErrorKind(err) == ECONFLICT && gerr == nil && n.Status == StatusActive {
			return Reservation{Number: n, Bought: true, Local: n.Local()}, nil
		}
		return Reservation{}, errors.Join(cause, err)
	}
	r.log().Info("purchase failed; nothing charged", "number_id", p.ID, "kind", ErrorKind(cause))
	return Reservation{}, cause
}

// findTagged looks at the provider for the number bought for local id.
func (r *Reservations) findTagged(ctx context.Context, id int64) (OwnedNumber, bool, error) {
	owned, err := r.Provider.ListNumbers(ctx)
	if err != nil {
		return OwnedNumber{}, false, err
	}
	for _, o := range owned {
		if inst, got, ok := ParseTag(o.FriendlyName); ok && inst == r.Store.InstanceID() && got == id {
			return o, true, nil
		}
	}
	return OwnedNumber{}, false, nil
}

// activate records the purchase of pending number p and its fee.
func (r *Reservations) activate(ctx context.Context, p Number, o OwnedNumber, set Settings) (Reservation, error) {
	return r.activateRetiring(ctx, p, o, set, nil)
}

// activateRetiring is activate that also moves the number p replaces
// (retire, when not nil) to canceling, in the same transaction.
func (r *Reservations) activateRetiring(ctx context.Context, p Number, o OwnedNumber, set Settings, retire *retirement) (Reservation, error) {
	area, err := areaCodeOf(o.PhoneNumber)
	if err != nil {
		// Still record it: it is bought. The inventory shows no area code.
		r.log().Warn("provider sold a number that cannot be read", "phone", o.PhoneNumber, "err", err)
	}
	a := Activation{
		SID:          o.SID,
		PhoneNumber:  o.PhoneNumber,
		FriendlyName: o.FriendlyName,
		AreaCode:     area,
		At:           r.now(),
	}
	if info, ok := nanp.Lookup(area); ok {
		a.Region = info.Region
	}
	// On-demand numbers are reserved and carry the reservation fee;
	// dedicated ones are kept until canceled and cost their monthly price.
	if p.Kind == OnDemand {
		a.ReservedUntil = a.At.Add(set.Reservation())
		a.FeeKey = "reservation:" + strconv.FormatInt(p.ID, 10)
		if !set.ReservationFee.IsZero() {
			fee := set.ReservationFee
			a.Fee = &fee
		}
	}
	if retire != nil {
		a.Retire, a.RetireUntil = retire.id, retire.until
	}
	n, ch, err := r.Store.ActivateNumber(ctx, p.ID, a)
	if err != nil {
		// Bought but not recorded: the reconcile pass adopts it by its tag.
		return Reservation{}, Wrap(ErrorKind(err), err, "the number was bought but could not be recorded; it will be adopted on the next reconcile")
	}
	return Reservation{Number: n, Bought: true, Fee: ch, Local: n.Local()}, nil
}

// settleAbandoned settles pending number p whose process is gone (why says
// how that is known): failed, nothing charged, if it never asked the
// provider; else adopted (its fee charged once) if the provider has the
// number bought under its tag, failed if not. It returns p as it is now.
// An error leaves p pending: the provider could not be asked.
func (r *Reservations) settleAbandoned(ctx context.Context, p Number, why string, set Settings) (Number, error) {
	if !p.AskedAt.IsZero() {
		owned, found, err := r.findTagged(ctx, p.ID)
		if err != nil {
			r.log().Warn("interrupted purchase left pending: the provider could not be asked", "number_id", p.ID, "why", why, "err", err)
			return p, err
		}
		if found {
			res, err := r.activate(ctx, p, owned, set)
			if err != nil {
				return p, err
			}
			r.log().Info("interrupted purchase adopted", "number_id", p.ID, "phone", owned.PhoneNumber, "why", why)
			return res.Number, nil
		}
	}
	reason := "the purchase stopped before the provider was asked (" + why + "); nothing was charged"
	if !p.AskedAt.IsZero() {
		reason = "the purchase was interrupted (" + why + ") and the provider has no number bought for it; nothing was charged"
	}
	err := r.Store.FailNumber(ctx, p.ID, reason)
	if ErrorKind(err) == ECONFLICT {
		// Settled meanwhile by another process.
		return r.Store.Number(ctx, p.ID)
	}
	if err != nil {
		return p, err
	}
	r.log().Info("interrupted purchase marked failed", "number_id", p.ID, "why", why, "asked", !p.AskedAt.IsZero())
	p.Status, p.FailureReason = StatusFailed, reason
	return p, nil
}

// ReconcileResult says what a reconcile pass found and did.
type ReconcileResult struct {
	Adopted   []Number          // bought at the provider, recorded only now (and charged once)
	Released  []OwnedNumber     // ours at the provider but not wanted locally: given back
	Vanished  []Number          // recorded as ours, gone at the provider: marked released
	Abandoned []Number          // stale pending purchases that never happened: marked failed
	Unmanaged []OwnedNumber     // at the provider, not bought by this installation: left alone
	Pending   []PendingPurchase // purchases still in flight: left pending
}

// PendingPurchase is a purchase a reconcile pass left pending, and why.
type PendingPurchase struct {
	Number Number
	Age    time.Duration // since it started
	// Why says what it waits for, e.g. "started 12 s ago by a running
	// dialer process (pid 1234)".
	Why string
}

// Reconcile compares the provider's numbers with the inventory: purchases
// whose local record was lost are adopted (fee charged once), numbers this
// installation bought but does not want are released, numbers gone at the
// provider are marked released, stale pending purchases are marked failed.
// Numbers it did not buy are left alone.
func (r *Reservations) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	// The inventory is read before the provider is asked: a number recorded
	// by then was bought by then, so missing from the provider's list means
	// gone. Purchases recorded later are looked up one by one below.
	local, err := r.Store.Numbers(ctx, NumberFilter{Statuses: LiveStatuses})
	if err != nil {
		return res, err
	}
	owned, err := r.Provider.ListNumbers(ctx)
	if err != nil {
		return res, err
	}
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return res, err
	}
	bySID := make(map[string]Number, len(local))
	for _, n := range local {
		if n.ProviderSID != "" {
			bySID[n.ProviderSID] = n
		}
	}
	atProvider := make(map[string]bool, len(owned))
	adopted := map[int64]bool{}
	for _, o := range owned {
		atProvider[o.SID] = true
		if _, ok := bySID[o.SID]; ok {
			continue
		}
		inst, id, ok := ParseTag(o.FriendlyName)
		if !ok || inst != r.Store.InstanceID() {
			res.Unmanaged = append(res.Unmanaged, o)
			continue
		}
		n, err := r.Store.Number(ctx, id)
		if err != nil && ErrorKind(err) != ENOTFOUND {
			return res, err
		}
		if err == nil && n.ProviderSID == o.SID {
			continue // recorded by a purchase that finished meanwhile
		}
		if err == nil && n.Status == StatusPending {
			got, err := r.activate(ctx, n, o, set)
			if err != nil {
				return res, err
			}
			adopted[n.ID] = true
			res.Adopted = append(res.Adopted, got.Number)
			r.log().Info("reconcile adopted", "number_id", n.ID, "phone", got.Number.PhoneNumber)
			continue
		}
		// Unknown here, failed (the user was told nothing was bought), or
		// recorded under another SID: not ours to keep.
		if err := r.Provider.ReleaseNumber(ctx, o.SID); err != nil && ErrorKind(err) != ENOTFOUND {
			return res, err
		}
		res.Released = append(res.Released, o)
		r.log().Info("reconcile released unwanted number", "sid", o.SID, "phone", o.PhoneNumber)
	}
	now := r.now()
	for _, n := range local {
		switch {
		case n.ProviderSID != "" && !atProvider[n.ProviderSID]:
			if err := r.Store.MarkReleased(ctx, n.ID, now); err != nil {
				return res, err
			}
			n.Status, n.ReleasedAt = StatusReleased, now
			res.Vanished = append(res.Vanished, n)
		case n.Status != StatusPending || adopted[n.ID]:
		case now.Sub(n.CreatedAt) > r.stale():
			const reason = "the purchase never completed and the provider has no number bought for it; nothing was charged"
			err := r.Store.FailNumber(ctx, n.ID, reason)
			if ErrorKind(err) == ECONFLICT {
				continue // it completed meanwhile
			}
			if err != nil {
				return res, err
			}
			n.Status, n.FailureReason = StatusFailed, reason
			res.Abandoned = append(res.Abandoned, n)
		default:
			if gone, why := n.Owner.Gone(); gone {
				// Asked afresh, not from the list above: the process may
				// have bought the number after the list was read.
				got, err := r.settleAbandoned(ctx, n, why, set)
				if err != nil {
					return res, err
				}
				switch got.Status {
				case StatusActive:
					res.Adopted = append(res.Adopted, got)
				case StatusFailed:
					res.Abandoned = append(res.Abandoned, got)
				}
				continue
			}
			cur, err := r.Store.Number(ctx, n.ID)
			if err != nil {
				return res, err
			}
			if cur.Status == StatusPending {
				res.Pending = append(res.Pending, r.stillPending(cur, now))
			}
		}
	}
	return res, nil
}

// stillPending says why reconcile leaves pending purchase n alone.
func (r *Reservations) stillPending(n Number, now time.Time) PendingPurchase {
	age := max(now.Sub(n.CreatedAt), 0)
	left := n.CreatedAt.Add(r.stale()).Sub(now)
	ago := fmt.Sprintf("started %d s ago", int(age/time.Second))
	giveUp := fmt.Sprintf("; given up on in %d s if it has not finished", int((left+time.Second-1)/time.Second))
	var why string
	switch me := Self(); {
	case !n.Owner.Known():
		why = ago + " by a process that did not record itself" + giveUp
	case n.Owner.PID == me.PID && n.Owner.Machine == me.Machine:
		why = ago + " by this dialer process"
	case n.Owner.Machine == me.Machine:
		why = fmt.Sprintf("%s by a running dialer process (pid %d)", ago, n.Owner.PID)
	default:
		why = fmt.Sprintf("%s by a dialer process on another machine (pid %d)%s", ago, n.Owner.PID, giveUp)
	}
	return PendingPurchase{Number: n, Age: age, Why: why}
}

// SweepResult says what a sweep released.
type SweepResult struct {
	Released []Number
	Errors   []error // numbers that could not be released now; tried again next sweep
}

// Sweep releases on-demand numbers whose reservation lapsed and canceling
// numbers whose billing period ended: at the provider first, then locally,
// so a number is never forgotten while the provider still has it.
func (r *Reservations) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := r.now()
	if _, err := r.Store.ExpireReservations(ctx, now); err != nil {
		return res, err
	}
	due, err := r.Store.DueReleases(ctx, now)
	if err != nil {
		return res, err
	}
	for _, n := range due {
		if err := r.Provider.ReleaseNumber(ctx, n.ProviderSID); err != nil && ErrorKind(err) != ENOTFOUND {
			res.Errors = append(res.Errors, Wrap(ErrorKind(err), err, "releasing "+n.PhoneNumber))
			continue
		}
		if err := r.Store.MarkReleased(ctx, n.ID, now); err != nil {
			return res, err
		}
		n.Status, n.ReleasedAt = StatusReleased, now
		res.Released = append(res.Released, n)
		r.log().Info("number released", "number_id", n.ID, "phone", n.PhoneNumber, "kind", n.Kind)
	}
	return res, nil
}

// RunSweeper sweeps now and then every interval until ctx ends, handing
// each result to report (which may be nil).
func (r *Reservations) RunSweeper(ctx context.Context, interval time.Duration, report func(SweepResult, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := r.Sweep(ctx)
		if ctx.Err() != nil {
			return // stopped mid-sweep: not a failure to report
		}
		if report != nil {
			report(res, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
