package dialer

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialer-dev/dialer/dialer/nanp"
)

// DedicatedRequest asks for a number a supervisor keeps until canceled: any
// number of an area code, or one exact number (from a search).
type DedicatedRequest struct {
	Country     string // default "US"
	AreaCode    string
	PhoneNumber string // E.164
}

// BuyDedicated buys a dedicated number. It carries no reservation fee (its
// monthly price is its cost) and counts against the organization maximum.
func (r *Reservations) BuyDedicated(ctx context.Context, req DedicatedRequest) (Number, error) {
	if (req.AreaCode == "") == (req.PhoneNumber == "") {
		return Number{}, Errorf(EINVALID, "give an area code or an exact number to buy, not both")
	}
	if req.Country == "" {
		req.Country = "US"
	}
	if req.PhoneNumber != "" {
		p, err := ParsePhone(req.PhoneNumber)
		if err != nil {
			return Number{}, err
		}
		req.PhoneNumber, req.Country, req.AreaCode = p.E164, p.Country, p.AreaCode
	} else if err := CheckAreaCode(req.AreaCode); err != nil {
		return Number{}, err
	}
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return Number{}, err
	}
	p, err := r.Store.StartPurchase(ctx, PurchaseRequest{
		Country: req.Country, AreaCode: req.AreaCode, PhoneNumber: req.PhoneNumber,
		Now: r.now(), MaxNumbers: set.MaxNumbers, Owner: Self(), Agent: r.Agent,
	})
	if err != nil {
		return Number{}, err
	}
	bctx, cancel := context.WithTimeout(ctx, r.purchaseTimeout())
	defer cancel()
	if err := r.markAsked(ctx, bctx, p); err != nil {
		return Number{}, err
	}
	buy := withWebhooks(BuyRequest{Country: req.Country, FriendlyName: Tag(r.Store.InstanceID(), p.ID)}, set)
	if req.PhoneNumber != "" {
		buy.PhoneNumber = req.PhoneNumber
	} else {
		buy.AreaCode = req.AreaCode
	}
	owned, err := r.Provider.BuyNumber(bctx, buy)
	res, err := r.settle(ctx, p, owned, err, set, nil)
	if err == nil && req.PhoneNumber == "" {
		if w := misplaced(res.Number, req.AreaCode, nanp.AreaCode{}); w != "" {
			r.log().Warn("number bought is not where it was asked for", "number_id", res.Number.ID,
				"phone", res.Number.PhoneNumber, "asked_area_code", req.AreaCode)
		}
	}
	return res.Number, err
}

// Misplaced says how dedicated number n, bought for area code asked, is
// not in it; "" when it is (or when it was bought by its exact number).
func Misplaced(n Number, asked string) string {
	if asked == "" {
		return ""
	}
	return misplaced(n, asked, nanp.AreaCode{})
}

// Release gives a number back to the provider now and marks it released:
// at the provider first, so it is never forgotten while still owned.
func (r *Reservations) Release(ctx context.Context, id int64) (Number, error) {
	n, err := r.Store.Number(ctx, id)
	if err != nil {
		return n, err
	}
	switch n.Status {
	case StatusReleased, StatusFailed:
		return n, Errorf(ECONFLICT, "%s is already %s", n.PhoneNumber, n.Status)
	case StatusPending:
		return n, Errorf(ECONFLICT, "number %d is still being bought; release it once the purchase completes", n.ID)
	}
	if err := r.Provider.ReleaseNumber(ctx, n.ProviderSID); err != nil && ErrorKind(err) != ENOTFOUND {
		return n, err
	}
	now := r.now()
	if err := r.Store.MarkReleased(ctx, n.ID, now); err != nil {
		return n, err
	}
	n.Status, n.ReleasedAt = StatusReleased, now
	r.log().Info("number released by hand", "number_id", n.ID, "phone", n.PhoneNumber)
	return n, nil
}

// CheckMaximum reports, reading only, whether one more number may be bought
// now: ELIMIT when the live numbers (LiveStatuses) already reach the
// organization maximum, the rule the store applies when a purchase starts
// (ClaimNumber, StartPurchase). A preview asks it; the purchase is still
// decided in the store's transaction.
func (r *Reservations) CheckMaximum(ctx context.Context, set Settings, what string) error {
	live, err := r.Store.Numbers(ctx, NumberFilter{Statuses: LiveStatuses})
	if err != nil {
		return err
	}
	if len(live) >= set.MaxNumbers {
		return Errorf(ELIMIT, "The organization already has %d of its maximum %d numbers: a new number for %s would be refused.",
			len(live), set.MaxNumbers, what)
	}
	return nil
}

func (r *Reservations) purchaseTimeout() time.Duration {
	return durOr(r.PurchaseTimeout, defaultPurchaseTime)
}

// CheckAreaCode accepts three digits, such as 415.
func CheckAreaCode(ac string) error {
	ok := len(ac) == 3
	for _, c := range ac {
		ok = ok && c >= '0' && c <= '9'
	}
	if !ok {
		return Errorf(EINVALID, "area code %q: want three digits, such as 415", ac)
	}
	return nil
}

// FillMonthlyPrices records the provider's monthly price on numbers in
// service that have none yet (one pricing request per country). It runs in
// the background, never on the Call key's path.
func (r *Reservations) FillMonthlyPrices(ctx context.Context, pricing PricingProvider) (int, error) {
	ns, err := r.Store.Numbers(ctx, NumberFilter{Statuses: []NumberStatus{StatusActive, StatusPastDue, StatusCanceling}})
	if err != nil {
		return 0, err
	}
	prices := map[string]Money{}
	filled := 0
	for _, n := range ns {
		if n.MonthlyPrice != nil || n.Country == "" {
			continue
		}
		p, ok := prices[n.Country]
		if !ok {
			if p, err = pricing.NumberMonthlyPrice(ctx, n.Country); err != nil {
				return filled, err
			}
			prices[n.Country] = p
		}
		if err := r.Store.SetMonthlyPrice(ctx, n.ID, p); err != nil {
			return filled, err
		}
		filled++
	}
	return filled, nil
}

// BillingPeriodEnd is when the billing period running at now ends for a
// number bought at bought: the next monthly anniversary of the purchase
// (Twilio bills a number monthly from the day it was bought), on the last
// day of a shorter month when the day is past its end.
func BillingPeriodEnd(bought, now time.Time) time.Time {
	bought, now = bought.UTC(), now.UTC()
	at := func(y int, m time.Month) time.Time {
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
		return time.Date(y, m, min(bought.Day(), last), bought.Hour(), bought.Minute(), bought.Second(), 0, time.UTC)
	}
	end := at(now.Year(), now.Month())
	if !end.After(now) {
		end = at(now.Year(), now.Month()+1)
	}
	return end
}

// Cancel cancels number id's subscription: it goes canceling and keeps
// its number until its billing period ends (already paid for), when the
// sweeper releases it at the provider. Undo with Uncancel until then.
func (r *Reservations) Cancel(ctx context.Context, id int64) (Number, error) {
	n, err := r.Store.Number(ctx, id)
	if err != nil {
		return n, err
	}
	bought := n.ActivatedAt
	if bought.IsZero() {
		bought = n.CreatedAt
	}
	n, err = r.Store.CancelNumber(ctx, id, BillingPeriodEnd(bought, r.now()))
	if err == nil {
		r.log().Info("number canceled", "number_id", n.ID, "phone", n.PhoneNumber, "until", n.BillingPeriodEnd)
	}
	return n, err
}

// Uncancel takes back a cancellation while the number is still canceling;
// an on-demand number is reserved for the settings' reservation from now.
func (r *Reservations) Uncancel(ctx context.Context, id int64) (Number, error) {
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return Number{}, err
	}
	n, err := r.Store.UncancelNumber(ctx, id, r.now().Add(set.Reservation()))
	if err == nil {
		r.log().Info("number cancellation taken back", "number_id", n.ID, "phone", n.PhoneNumber)
	}
	return n, err
}

// MaxNumberName is the longest name a number may have: the provider keeps
// 64 characters of a friendly name, and dialer's tag follows the name.
const MaxNumberName = 32

// NumberName is the name people gave a number: its friendly name without
// the tag dialer keeps there (no name: "").
func NumberName(friendly string) string {
	if _, _, ok := ParseTag(friendly); !ok {
		return friendly
	}
	if i := strings.LastIndex(friendly, " "+tagPrefix); i >= 0 {
		return friendly[:i]
	}
	return ""
}

// Rename names number id (name "" takes its name away): at the provider
// first, as its friendly name with the tag reconcile recognises it by
// after the name, then in the store.
func (r *Reservations) Rename(ctx context.Context, id int64, name string) (Number, error) {
	name = strings.TrimSpace(name)
	switch {
	case utf8.RuneCountInString(name) > MaxNumberName:
		return Number{}, Errorf(EINVALID, "a number's name is at most %d characters; %q has %d", MaxNumberName, name, utf8.RuneCountInString(name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Number{}, Errorf(EINVALID, "a number's name cannot hold control characters")
	case strings.Contains(name, tagPrefix):
		return Number{}, Errorf(EINVALID, "a number's name cannot hold %q: dialer keeps its own tag there", tagPrefix)
	}
	n, err := r.Store.Number(ctx, id)
	if err != nil {
		return n, err
	}
	if n.ProviderSID == "" || n.Status == StatusReleased || n.Status == StatusFailed {
		return n, Errorf(ECONFLICT, "%s is %s: only a number in service can be named", numberLabel(n), n.Status)
	}
	tag := Tag(r.Store.InstanceID(), n.ID)
	if inst, tid, ok := ParseTag(n.FriendlyName); ok {
		tag = Tag(inst, tid) // as it was bought (under a database it was copied from, say)
	}
	friendly := tag
	if name != "" {
		friendly = name + " " + tag
	}
	if _, err := r.Provider.UpdateNumber(ctx, n.ProviderSID, NumberUpdate{FriendlyName: &friendly}); err != nil {
		return n, err
	}
	if err := r.Store.RenameNumber(ctx, n.ID, friendly); err != nil {
		return n, err
	}
	n.FriendlyName = friendly
	return n, nil
}

func numberLabel(n Number) string {
	if n.PhoneNumber != "" {
		return n.PhoneNumber
	}
	return fmt.Sprintf("number %d", n.ID)
}

// PurchaseReview is what a supervisor reads before a dedicated number is
// bought: where, what it costs a month, the organization's count against
// its maximum, and the balance.
type PurchaseReview struct {
	Request      DedicatedRequest // what to buy (BuyDedicated's request; an exact number in E.164)
	Where        string           // "area code 415 (San Francisco, CA)"
	Candidate    *AvailableNumber // a number the provider offers there (nil when not asked)
	MonthlyPrice *Money           // nil when the provider did not say
	Live, Max    int              // numbers in use, and the organization's maximum
	Balance      *Money           // nil when the provider does not tell it
}

// Review checks a dedicated purchase before anything is bought, and says
// why it cannot be when it cannot: over the organization's maximum
// (ELIMIT), a balance that is not positive (EREFUSED), nothing to buy
// there (ENOTAVAILABLE), an address the account must register first
// (EADDRESS). pricing tells the monthly price and the balance.
func (r *Reservations) Review(ctx context.Context, req DedicatedRequest, pricing PricingProvider) (PurchaseReview, error) {
	rv := PurchaseReview{Request: req}
	if (req.AreaCode == "") == (req.PhoneNumber == "") {
		return rv, Errorf(EINVALID, "give an area code or an exact number to buy, not both")
	}
	if req.Country == "" {
		req.Country = "US"
	}
	rv.Request = req // as BuyDedicated takes it
	if req.PhoneNumber != "" {
		p, err := ParsePhone(req.PhoneNumber)
		if err != nil {
			return rv, err
		}
		req.PhoneNumber, req.Country, req.AreaCode = p.E164, p.Country, p.AreaCode
		rv.Request.PhoneNumber = p.E164
	} else if err := CheckAreaCode(req.AreaCode); err != nil {
		return rv, err
	}
	rv.Where = "area code " + req.AreaCode
	if info, ok := nanp.Lookup(req.AreaCode); ok {
		place := info.Region
		if len(info.Localities) > 0 {
			place = info.Localities[0] + ", " + place
		}
		rv.Where += " (" + place + ")"
	}
	if req.PhoneNumber != "" {
		rv.Where = req.PhoneNumber + ", " + rv.Where
	}
	set, err := r.Store.Settings(ctx)
	if err != nil {
		return rv, err
	}
	live, err := r.Store.Numbers(ctx, NumberFilter{Statuses: LiveStatuses})
	if err != nil {
		return rv, err
	}
	rv.Live, rv.Max = len(live), set.MaxNumbers
	if err := r.CheckMaximum(ctx, set, rv.Where); err != nil {
		return rv, err
	}
	if pricing != nil {
		if b, err := pricing.Balance(ctx); err == nil {
			rv.Balance = &b
			if b.Amount <= 0 {
				return rv, Errorf(EREFUSED, "the account balance is %s: add funds before buying a number; nothing was bought", b)
			}
		} else if ErrorKind(err) != EBALANCEUNKNOWN {
			return rv, err
		}
		if p, err := pricing.NumberMonthlyPrice(ctx, req.Country); err == nil {
			rv.MonthlyPrice = &p
		}
	}
	q := NumberQuery{Country: req.Country, AreaCode: req.AreaCode, Limit: 20}
	cands, err := r.Provider.SearchNumbers(ctx, q)
	if err != nil {
		return rv, err
	}
	for i, c := range cands {
		if req.PhoneNumber == "" || c.PhoneNumber == req.PhoneNumber {
			rv.Candidate = &cands[i]
			break
		}
	}
	switch {
	case rv.Candidate == nil && req.PhoneNumber != "":
		return rv, Errorf(ENOTAVAILABLE, "%s is not offered for sale now (dialer numbers search lists what is); nothing was bought", req.PhoneNumber)
	case rv.Candidate == nil:
		return rv, Errorf(ENOTAVAILABLE, "No phone number is available in %s; nothing was bought", rv.Where)
	case req.PhoneNumber != "" && rv.Candidate.AddressRequired != "" && rv.Candidate.AddressRequired != "none":
		return rv, Errorf(EADDRESS, "%s needs an address registered with the provider (%s) before it can be bought; nothing was bought",
			req.PhoneNumber, rv.Candidate.AddressRequired)
	}
	return rv, nil
}

// NumberUsage is how a number's calls went (Numbers: details and health).
type NumberUsage struct {
	Today, Week, Month int           // calls placed from it today, in 7 days, in 30 days
	Answered           int           // of the 30 days' calls, answered by the contact
	Short              int           // of those answered, talk under 30 s
	Talk               time.Duration // the answered calls' talk time, in all
	LastUsed           time.Time
	// AreaCalls and AreaAnswered are the 30 days' calls from every number
	// of the same area code (the organization's average to compare with).
	AreaCalls, AreaAnswered int
}

// AnswerRate is the share of calls answered (0 with no calls).
func (u NumberUsage) AnswerRate() float64 { return ratio(u.Answered, u.Month) }

// ShortShare is the share of answered calls under 30 s.
func (u NumberUsage) ShortShare() float64 { return ratio(u.Short, u.Answered) }

// AverageTalk is the answered calls' mean talk time.
func (u NumberUsage) AverageTalk() time.Duration {
	if u.Answered == 0 {
		return 0
	}
	return (u.Talk / time.Duration(u.Answered)).Round(time.Second)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Health thresholds: a number is judged on at least healthMinCalls calls
// in 30 days.
const (
	healthMinCalls   = 20
	healthShortShare = 0.5 // more than half of the answered calls under 30 s
)

// AtRisk says whether a number's calls suggest carriers flag it (the
// sentences say why; none: it is healthy, or has too few calls to tell):
// an answer rate under half the organization's for the same area code, a
// high share of short calls, or more calls today than the daily cap per
// number (settings).
func (u NumberUsage) AtRisk(set Settings) []string {
	var why []string
	if set.NumberDailyCap > 0 && u.Today > set.NumberDailyCap {
		why = append(why, fmt.Sprintf("%d calls today, over the cap of %d a number", u.Today, set.NumberDailyCap))
	}
	if u.Month < healthMinCalls {
		return why
	}
	others := ratio(u.AreaAnswered, u.AreaCalls)
	if rate := u.AnswerRate(); others > 0 && rate < others/2 {
		why = append(why, fmt.Sprintf("answered %.0f%% of its calls against %.0f%% for the area code's numbers", 100*rate, 100*others))
	}
	if s := u.ShortShare(); u.Answered >= healthMinCalls/2 && s > healthShortShare {
		why = append(why, fmt.Sprintf("%.0f%% of its answered calls lasted under 30 s", 100*s))
	}
	return why
}

// ProratedRental is a monthly price for the part of month (the calendar
// month holding now, UTC) a number held from held (its purchase) to until
// (its release; zero: still held), by days, rounded down to the millionth.
func ProratedRental(monthly Money, held, until, now time.Time) Money {
	now = now.UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	from, to := held.UTC(), until.UTC()
	if until.IsZero() || to.After(now) {
		to = now
	}
	if from.Before(start) {
		from = start
	}
	if !to.After(from) {
		return Money{Currency: monthly.Currency}
	}
	days := int64(to.Sub(from).Hours()/24) + 1 // a day begun is a day held
	inMonth := int64(end.Sub(start).Hours() / 24)
	days = min(days, inMonth)
	return Money{Amount: Amount(int64(monthly.Amount) * days / inMonth), Currency: monthly.Currency}
}
