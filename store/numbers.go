package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

const numberCols = `id, phone_number, provider_sid, kind, status, country, area_code,
	serves_area_code, region, locality, friendly_name, agent_id, is_primary,
	monthly_price, monthly_currency, failure_reason, created_at, activated_at,
	reserved_until, last_used_at, billing_period_end, released_at,
	owner_machine, owner_pid, owner_start, asked_at`

type scanner interface{ Scan(dest ...any) error }

func scanNumber(row scanner) (dialer.Number, error) {
	var (
		n                                              dialer.Number
		phone, sid, currency                           sql.NullString
		agent, price                                   sql.NullInt64
		created, activated, reserved, used, bill, gone sql.NullString
		asked                                          sql.NullString
		primary                                        int
	)
	err := row.Scan(&n.ID, &phone, &sid, &n.Kind, &n.Status, &n.Country, &n.AreaCode,
		&n.ServesAreaCode, &n.Region, &n.Locality, &n.FriendlyName, &agent, &primary,
		&price, &currency, &n.FailureReason, &created, &activated,
		&reserved, &used, &bill, &gone,
		&n.Owner.Machine, &n.Owner.PID, &n.Owner.Start, &asked)
	if err != nil {
		return n, err
	}
	n.PhoneNumber, n.ProviderSID = phone.String, sid.String
	n.AgentID, n.Primary = agent.Int64, primary == 1
	if price.Valid {
		n.MonthlyPrice = &dialer.Money{Amount: dialer.Amount(price.Int64), Currency: currency.String}
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&n.CreatedAt, created}, {&n.ActivatedAt, activated}, {&n.ReservedUntil, reserved},
		{&n.LastUsedAt, used}, {&n.BillingPeriodEnd, bill}, {&n.ReleasedAt, gone}, {&n.AskedAt, asked}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return n, err
		}
	}
	return n, nil
}

// getNumber reads number id, in tx (nil: outside a transaction).
func (s *DB) getNumber(ctx context.Context, tx *sql.Tx, id int64) (dialer.Number, error) {
	var row *sql.Row
	if tx != nil {
		row = s.txQueryRow(ctx, tx, hotNumber, id)
	} else {
		row = s.queryRow(ctx, hotNumber, id)
	}
	n, err := scanNumber(row)
	if errors.Is(err, sql.ErrNoRows) {
		return n, dialer.Errorf(dialer.ENOTFOUND, "no number with id %d", id)
	}
	return n, storeErr(err)
}

// Number returns one number by local id.
func (s *DB) Number(ctx context.Context, id int64) (dialer.Number, error) {
	return s.getNumber(ctx, nil, id)
}

// ClaimNumber decides between reuse, wait and buy in one transaction.
func (s *DB) ClaimNumber(ctx context.Context, req dialer.ClaimRequest) (dialer.Claim, error) {
	var cl dialer.Claim
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		// Claims for one area code take turns, so that each sees the
		// last one's number, pending or bought.
		if err := s.lock(ctx, tx, claimKey(req.Country, req.AreaCode)); err != nil {
			return err
		}
		// The agent's primary number when it is in the area code; else an
		// active on-demand number no agent has, in the area code or bought
		// for it elsewhere in the region. Separate queries, so each uses its
		// index.
		err := sql.ErrNoRows
		var n dialer.Number
		if req.Agent != 0 {
			// A canceled one keeps working until its billing period ends.
			n, err = scanNumber(s.txQueryRow(ctx, tx, hotClaimPrimary,
				req.Agent, req.Country, req.AreaCode, fmtTime(req.Now)))
		}
		if errors.Is(err, sql.ErrNoRows) && req.Health == nil {
			// The common case, a number reserved in the area code, in one
			// statement: it is found and its reservation extended at once.
			n, err = scanNumber(s.txQueryRow(ctx, tx, hotClaimAreaTouch,
				fmtTime(req.Now), fmtTime(req.ReserveUntil), fmtTime(req.ReserveUntil), req.Country, req.AreaCode))
			if err == nil {
				// As below: the later of the two ends, to the nanosecond.
				if !n.ReservedUntil.After(req.ReserveUntil) {
					n.ReservedUntil = req.ReserveUntil.UTC()
				}
				n.LastUsedAt = req.Now.UTC()
				cl = dialer.Claim{Action: dialer.ClaimReused, Number: n}
				return nil
			}
		}
		if errors.Is(err, sql.ErrNoRows) {
			// None (or, on PostgreSQL, the one found changed status under
			// the statement: then the one found here is another).
			n, err = scanNumber(s.txQueryRow(ctx, tx, hotClaimArea, req.Country, req.AreaCode))
		}
		if errors.Is(err, sql.ErrNoRows) {
			n, err = scanNumber(s.txQueryRow(ctx, tx, hotClaimServing, req.Country, req.AreaCode))
		}
		if err == nil && req.Health != nil {
			// rotate_at_risk: judge the number before reusing it.
			u, uerr := numberUsage(func(args ...any) *sql.Row { return s.txQueryRow(ctx, tx, hotUsage, args...) },
				n, req.DayStart, req.Now)
			if uerr != nil {
				return uerr
			}
			if why := req.Health(u); len(why) > 0 {
				rotated, done, rerr := s.rotateClaim(ctx, tx, req, n, why)
				if rerr != nil || done {
					cl = rotated
					return rerr
				}
				cl = rotated // reused all the same: AtRisk and Kept say why
			}
		}
		switch {
		case err == nil:
			until := req.ReserveUntil
			if n.ReservedUntil.After(until) {
				until = n.ReservedUntil
			}
			// Only while its status is the one read: on PostgreSQL the
			// sweeper may have moved it to canceling (or released it)
			// since. Then the claim is retried.
			if n.Kind != dialer.OnDemand {
				until = n.ReservedUntil // a dedicated number has no reservation to extend
			}
			res, err := s.txExec(ctx, tx, hotClaimTouch, fmtTime(req.Now), fmtTime(until), n.ID, string(n.Status))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return errRetry
			}
			n.LastUsedAt, n.ReservedUntil = req.Now.UTC(), until
			cl = dialer.Claim{Action: dialer.ClaimReused, Number: n, AtRisk: cl.AtRisk, Kept: cl.Kept}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}

		if w, ok, err := s.pendingClaim(ctx, tx, req); ok || err != nil {
			cl = w
			return err
		}
		if err := s.underMaximum(ctx, tx, req.MaxNumbers, "area code "+req.AreaCode); err != nil {
			return err
		}
		cl, err = s.startClaimPurchase(ctx, tx, req)
		return err
	})
	return cl, err
}

// pendingClaim finds the area code's on-demand purchase under way: a
// ClaimWait for it, and true; false if there is none.
func (s *DB) pendingClaim(ctx context.Context, tx *sql.Tx, req dialer.ClaimRequest) (dialer.Claim, bool, error) {
	n, err := scanNumber(s.txQueryRow(ctx, tx, hotClaimPending, req.Country, req.AreaCode))
	switch {
	case err == nil:
		return dialer.Claim{Action: dialer.ClaimWait, Number: n}, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return dialer.Claim{}, false, nil
	}
	return dialer.Claim{}, false, err
}

// startClaimPurchase records a pending on-demand purchase for the claim's
// area code (the maximum already checked): a ClaimBuy.
func (s *DB) startClaimPurchase(ctx context.Context, tx *sql.Tx, req dialer.ClaimRequest) (dialer.Claim, error) {
	n, err := scanNumber(s.txQueryRow(ctx, tx, hotClaimInsert, req.Country, req.AreaCode, fmtTime(req.Now),
		req.Owner.Machine, req.Owner.PID, req.Owner.Start, nullInt(req.Agent)))
	return dialer.Claim{Action: dialer.ClaimBuy, Number: n}, err
}

// rotateClaim decides, under the area code's claim lock, what a claim
// does instead of reusing at-risk number worn (why: the reasons): wait for
// the area code's purchase under way, or start one that replaces worn
// (done true). An assigned number, or a purchase the organization maximum
// refuses, keeps worn in use: done false, with the claim's AtRisk and
// Kept saying so.
func (s *DB) rotateClaim(ctx context.Context, tx *sql.Tx, req dialer.ClaimRequest, worn dialer.Number, why []string) (dialer.Claim, bool, error) {
	kept := dialer.Claim{AtRisk: why}
	if worn.Kind != dialer.OnDemand || worn.AgentID != 0 {
		kept.Kept = "it is assigned to an agent: assigned numbers are not rotated"
		return kept, false, nil
	}
	// One purchase per area code, whether it rotates or not: a claim that
	// finds one under way waits for it rather than use the worn number.
	if w, ok, err := s.pendingClaim(ctx, tx, req); ok || err != nil {
		w.AtRisk = why
		return w, true, err
	}
	if err := s.underMaximum(ctx, tx, req.MaxNumbers, "area code "+req.AreaCode); err != nil {
		if dialer.ErrorKind(err) != dialer.ELIMIT {
			return kept, false, err
		}
		kept.Kept = dialer.ErrorMessage(err)
		return kept, false, nil
	}
	cl, err := s.startClaimPurchase(ctx, tx, req)
	cl.Replaces, cl.AtRisk = &worn, why
	return cl, true, err
}

// claimKey is the lock of the claims for an area code.
func claimKey(country, areaCode string) string { return "claim:" + country + ":" + areaCode }

// lockNumberArea takes the claim lock of the area code number id serves:
// a purchase settling (pending to active) waits for a claim in flight and
// the reverse. Else a claim on PostgreSQL, reading with two statements,
// could find the number no longer pending in the second after finding it
// not yet active in the first, and buy a second number for the area code.
func (s *DB) lockNumberArea(ctx context.Context, tx *sql.Tx, id int64) error {
	if s.engine != Postgres {
		return nil
	}
	var country, serves string
	err := tx.QueryRowContext(ctx, "SELECT country, serves_area_code FROM numbers WHERE id = ?", id).Scan(&country, &serves)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the caller's read says there is no such number
	}
	if err != nil {
		return err
	}
	return s.lock(ctx, tx, claimKey(country, serves))
}

// underMaximum refuses a purchase that would pass the organization's
// maximum count of live numbers. It takes the inventory lock: purchases
// count and insert one at a time.
func (s *DB) underMaximum(ctx context.Context, tx *sql.Tx, max int, what string) error {
	if err := s.lock(ctx, tx, lockInventory); err != nil {
		return err
	}
	var live int
	if err := s.txQueryRow(ctx, tx, hotLiveCount, stringArgs(dialer.LiveStatuses)...).Scan(&live); err != nil {
		return err
	}
	if live >= max {
		return dialer.Errorf(dialer.ELIMIT,
			"The organization already has %d of its maximum %d numbers; no new number was bought for %s and nothing was charged",
			live, max, what)
	}
	return nil
}

// StartPurchase records a pending dedicated purchase.
func (s *DB) StartPurchase(ctx context.Context, req dialer.PurchaseRequest) (dialer.Number, error) {
	var n dialer.Number
	what := "area code " + req.AreaCode
	if req.PhoneNumber != "" {
		what = req.PhoneNumber
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.underMaximum(ctx, tx, req.MaxNumbers, what); err != nil {
			return err
		}
		var err error
		n, err = scanNumber(tx.QueryRowContext(ctx, `INSERT INTO numbers (kind, status, country, area_code, created_at,
			owner_machine, owner_pid, owner_start, bought_by)
			VALUES ('dedicated', 'pending', ?, ?, ?, ?, ?, ?, ?) RETURNING `+numberCols, req.Country, req.AreaCode, fmtTime(req.Now),
			req.Owner.Machine, req.Owner.PID, req.Owner.Start, nullInt(req.Agent)))
		return err
	})
	return n, err
}

// ActivateNumber records a completed purchase and its fee, once.
func (s *DB) ActivateNumber(ctx context.Context, id int64, a dialer.Activation) (dialer.Number, *dialer.Charge, error) {
	var (
		n  dialer.Number
		ch *dialer.Charge
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockNumberArea(ctx, tx, id); err != nil {
			return err
		}
		cur, err := s.getNumber(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case cur.Status == dialer.StatusPending:
			var used any // an on-demand number is bought to be used at once
			if cur.Kind == dialer.OnDemand {
				used = fmtTime(a.At)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE numbers SET status = 'active', provider_sid = ?,
				phone_number = ?, friendly_name = ?, area_code = ?, region = ?, locality = ?,
				activated_at = ?, last_used_at = ?, reserved_until = ?, failure_reason = ''
				WHERE id = ?`,
				a.SID, a.PhoneNumber, a.FriendlyName, a.AreaCode, a.Region, a.Locality,
				fmtTime(a.At), used, fmtTime(a.ReservedUntil), id); err != nil {
				return err
			}
			if a.Retire != 0 {
				// A rotation: the worn number it replaces goes canceling
				// with the purchase, unless it left service meanwhile.
				if _, err := tx.ExecContext(ctx, `UPDATE numbers SET status = 'canceling', billing_period_end = ?
					WHERE id = ? AND status = 'active'`, fmtTime(a.RetireUntil), a.Retire); err != nil {
					return err
				}
			}
		case cur.ProviderSID == a.SID && cur.Status != dialer.StatusReleased:
			// Already recorded (by a reconcile pass, say): nothing to change.
		default:
			return dialer.Errorf(dialer.ECONFLICT, "number %d is %s, not a pending purchase", id, cur.Status)
		}
		if a.Fee != nil && !a.Fee.IsZero() {
			if a.FeeKey == "" {
				return dialer.Errorf(dialer.EINVALID, "a fee needs an idempotency key")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO charges (kind, number_id, phone_number, agent_id, amount, currency, idempotency_key, created_at)
				VALUES ('reservation_fee', ?, ?, (SELECT bought_by FROM numbers WHERE id = ?), ?, ?, ?, ?)
				ON CONFLICT (idempotency_key) DO NOTHING`,
				id, a.PhoneNumber, id, int64(a.Fee.Amount), a.Fee.Currency, a.FeeKey, fmtTime(a.At)); err != nil {
				return err
			}
			c, err := scanCharge(tx.QueryRowContext(ctx, "SELECT "+chargeCols+" FROM charges WHERE idempotency_key = ?", a.FeeKey))
			if err != nil {
				return err
			}
			ch = &c
		}
		n, err = s.getNumber(ctx, tx, id)
		return err
	})
	if err != nil {
		return dialer.Number{}, nil, err
	}
	return n, ch, nil
}

// FailNumber marks a pending number failed.
func (s *DB) FailNumber(ctx context.Context, id int64, reason string) error {
	return s.updatePending(ctx, id, "status = 'failed', failure_reason = ?", reason)
}

// updatePending sets fields of number id while it is pending; a number
// that is not pending is a conflict.
func (s *DB) updatePending(ctx context.Context, id int64, set string, args ...any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE numbers SET "+set+" WHERE id = ? AND status = 'pending'", append(args, id)...)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			n, err := s.getNumber(ctx, tx, id)
			if err != nil {
				return err
			}
			return dialer.Errorf(dialer.ECONFLICT, "number %d is %s, not pending", id, n.Status)
		}
		return nil
	})
}

// MarkAsked records that the provider is about to be asked for pending
// number id: from now on only the provider can tell whether it was bought.
func (s *DB) MarkAsked(ctx context.Context, id int64, at time.Time) error {
	return s.updatePending(ctx, id, "asked_at = ?", fmtTime(at))
}

// ExpireReservations moves lapsed on-demand numbers to canceling.
func (s *DB) ExpireReservations(ctx context.Context, now time.Time) ([]dialer.Number, error) {
	var out []dialer.Number
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE numbers SET status = 'canceling', billing_period_end = ?
			WHERE kind = 'on_demand' AND status = 'active' AND reserved_until < ?
			RETURNING `+numberCols, fmtTime(now), fmtTime(now))
		if err != nil {
			return err
		}
		out, err = collectNumbers(rows)
		return err
	})
	return out, err
}

// DueReleases lists canceling numbers whose billing period has ended.
func (s *DB) DueReleases(ctx context.Context, now time.Time) ([]dialer.Number, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+numberCols+` FROM numbers
		WHERE status = 'canceling' AND billing_period_end <= ? ORDER BY id`, fmtTime(now))
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collectNumbers(rows)
	return out, storeErr(err)
}

// MarkReleased records that the provider no longer has the number.
func (s *DB) MarkReleased(ctx context.Context, id int64, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE numbers SET status = 'released', released_at = ?, is_primary = 0
			WHERE id = ? AND status NOT IN ('released', 'failed')`, fmtTime(at), id)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			if _, err := s.getNumber(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Numbers lists numbers, newest first.
func (s *DB) Numbers(ctx context.Context, f dialer.NumberFilter) ([]dialer.Number, error) {
	var fl filter
	if len(f.Statuses) > 0 {
		fl.add("status IN ("+placeholders(len(f.Statuses))+")", stringArgs(f.Statuses)...)
	}
	if f.Kind != "" {
		fl.add("kind = ?", string(f.Kind))
	}
	if f.AreaCode != "" {
		fl.add("(area_code = ? OR serves_area_code = ?)", f.AreaCode, f.AreaCode)
	}
	if f.PhoneNumber != "" {
		fl.add("phone_number = ?", f.PhoneNumber)
	}
	tail, args := fl.tail("id DESC", f.Limit)
	q := "SELECT " + numberCols + " FROM numbers" + tail
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collectNumbers(rows)
	return out, storeErr(err)
}

func collectNumbers(rows *sql.Rows) ([]dialer.Number, error) { return collect(rows, scanNumber) }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// placeholders is the "?, ?, ..." of an IN (...) list of n values (n > 0).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// inList returns the placeholders and arguments of an IN (...) list of ids
// (not empty).
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return placeholders(len(ids)), args
}

// stringArgs is the arguments of an IN (...) list of statuses and the like.
func stringArgs[S ~string](vs []S) []any {
	args := make([]any, len(vs))
	for i, v := range vs {
		args[i] = string(v)
	}
	return args
}

// SetMonthlyPrice records the provider's monthly price of a number.
func (s *DB) SetMonthlyPrice(ctx context.Context, id int64, price dialer.Money) error {
	return s.updateOne(ctx, dialer.Errorf(dialer.ENOTFOUND, "no number with id %d", id),
		"UPDATE numbers SET monthly_price = ?, monthly_currency = ? WHERE id = ?", int64(price.Amount), price.Currency, id)
}

// CancelNumber moves an active or past-due number to canceling until
// periodEnd.
func (s *DB) CancelNumber(ctx context.Context, id int64, periodEnd time.Time) (dialer.Number, error) {
	return s.changeStatus(ctx, id, "canceling", `UPDATE numbers SET status = 'canceling', billing_period_end = ?
		WHERE id = ? AND status IN ('active', 'past_due') RETURNING `+numberCols, fmtTime(periodEnd), id)
}

// UncancelNumber returns a canceling number to active.
func (s *DB) UncancelNumber(ctx context.Context, id int64, reserveUntil time.Time) (dialer.Number, error) {
	return s.changeStatus(ctx, id, "active", `UPDATE numbers SET status = 'active', billing_period_end = NULL,
		reserved_until = CASE WHEN kind = 'on_demand' AND (reserved_until IS NULL OR reserved_until < ?) THEN ? ELSE reserved_until END
		WHERE id = ? AND status = 'canceling' RETURNING `+numberCols, fmtTime(reserveUntil), fmtTime(reserveUntil), id)
}

// changeStatus runs an UPDATE ... RETURNING of number id that applies only
// in the states it names; a number in another state is a conflict that
// says which it is in.
func (s *DB) changeStatus(ctx context.Context, id int64, to, q string, args ...any) (dialer.Number, error) {
	var n dialer.Number
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = scanNumber(tx.QueryRowContext(ctx, q, args...))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur, err := s.getNumber(ctx, tx, id)
		if err != nil {
			return err
		}
		return dialer.Errorf(dialer.ECONFLICT, "%s is %s: it cannot become %s", numberLabel(cur), cur.Status, to)
	})
	return n, err
}

func numberLabel(n dialer.Number) string {
	if n.PhoneNumber != "" {
		return n.PhoneNumber
	}
	return "number " + strconv.FormatInt(n.ID, 10)
}

// AssignNumber makes a live number agent's primary number, or no one's.
func (s *DB) AssignNumber(ctx context.Context, id, agent int64) (dialer.Number, error) {
	var n dialer.Number
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, lockInventory); err != nil {
			return err
		}
		cur, err := s.getNumber(ctx, tx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case dialer.StatusActive, dialer.StatusPastDue, dialer.StatusCanceling:
		default:
			return dialer.Errorf(dialer.ECONFLICT, "%s is %s: only a number in service can be assigned", numberLabel(cur), cur.Status)
		}
		if agent != 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE numbers SET agent_id = NULL, is_primary = 0 WHERE agent_id = ? AND id <> ?", agent, id); err != nil {
				return err
			}
		}
		n, err = scanNumber(tx.QueryRowContext(ctx, "UPDATE numbers SET agent_id = ?, is_primary = ? WHERE id = ? RETURNING "+numberCols,
			nullInt(agent), boolInt(agent != 0), id))
		return err
	})
	return n, err
}

// RenameNumber records a number's friendly name.
func (s *DB) RenameNumber(ctx context.Context, id int64, friendly string) error {
	return s.updateOne(ctx, dialer.Errorf(dialer.ENOTFOUND, "no number with id %d", id),
		"UPDATE numbers SET friendly_name = ? WHERE id = ?", friendly, id)
}

// NumberUsage counts a number's calls of the last 30 days, and its area
// code's.
func (s *DB) NumberUsage(ctx context.Context, id int64, dayStart, now time.Time) (dialer.NumberUsage, error) {
	n, err := s.Number(ctx, id)
	if err != nil {
		return dialer.NumberUsage{}, err
	}
	return numberUsage(func(args ...any) *sql.Row { return s.queryRow(ctx, hotUsage, args...) }, n, dayStart, now)
}

// usageQuery reads a number's usage in one statement: its own calls, and
// its area code's (every number's calls from the area code, n's too).
// Its arguments are numberUsage's.
const usageQuery = `SELECT own.today, own.week, own.month, own.answered, own.short, own.talk, own.last,
		area.calls, area.answered FROM
		(SELECT
			coalesce(sum(CASE WHEN started_at >= ? THEN 1 ELSE 0 END), 0) AS today,
			coalesce(sum(CASE WHEN started_at >= ? THEN 1 ELSE 0 END), 0) AS week,
			count(*) AS month,
			coalesce(sum(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0) AS answered,
			coalesce(sum(CASE WHEN outcome = ? AND ` + usageContactMS + ` < 30000 THEN 1 ELSE 0 END), 0) AS short,
			coalesce(sum(CASE WHEN outcome = ? THEN ` + usageContactMS + ` END), 0) AS talk,
			max(started_at) AS last
			FROM calls WHERE number_id = ? AND started_at >= ?) own,
		(SELECT count(*) AS calls, coalesce(sum(CASE WHEN c.outcome = ? THEN 1 ELSE 0 END), 0) AS answered
			FROM calls c JOIN numbers n ON n.id = c.number_id
			WHERE n.country = ? AND n.area_code = ? AND c.started_at >= ?) area`

const usageContactMS = "(SELECT duration_ms FROM legs WHERE call_id = calls.id AND role = 'contact')"

// numberUsage reads number n's usage with usageQuery, run by row.
func numberUsage(row func(args ...any) *sql.Row, n dialer.Number, dayStart, now time.Time) (dialer.NumberUsage, error) {
	var (
		u     dialer.NumberUsage
		talk  int64
		last  sql.NullString
		since = fmtTime(now.Add(-30 * 24 * time.Hour))
	)
	answered := string(dialer.OutcomeAnswered)
	err := row(fmtTime(dayStart), fmtTime(now.Add(-7*24*time.Hour)), answered, answered, answered, n.ID, since,
		answered, n.Country, n.AreaCode, since).
		Scan(&u.Today, &u.Week, &u.Month, &u.Answered, &u.Short, &talk, &last, &u.AreaCalls, &u.AreaAnswered)
	if err != nil {
		return u, storeErr(err)
	}
	u.Talk = time.Duration(talk) * time.Millisecond
	u.LastUsed, err = parseTime(last)
	return u, err
}

// SetPastDue moves active numbers to past_due, or past-due ones back.
func (s *DB) SetPastDue(ctx context.Context, pastDue bool) (int, error) {
	from, to := "active", "past_due"
	if !pastDue {
		from, to = to, from
	}
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE numbers SET status = ? WHERE status = ?", to, from)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// TouchNumber records a use of a held number.
func (s *DB) TouchNumber(ctx context.Context, id int64, now, reserveUntil time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE numbers SET last_used_at = ?,
			reserved_until = CASE WHEN kind = 'on_demand' AND reserved_until < ? THEN ? ELSE reserved_until END
			WHERE id = ? AND status IN ('active', 'past_due', 'canceling')`,
			fmtTime(now), fmtTime(reserveUntil), fmtTime(reserveUntil), id)
		return err
	})
}
