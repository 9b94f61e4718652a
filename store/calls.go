package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

const callCols = `id, contact_id, coalesce(agent_id, 0), agent_name, agent_phone, caller_id, number_id, new_number, fee_charge_id,
	confirm_mode, outcome, end_reason, override_reason, started_at, ended_at, disposition, account, direction`

func scanCall(row scanner) (dialer.Call, error) {
	var (
		c              dialer.Call
		number, fee    sql.NullInt64
		newNumber      int
		started, ended sql.NullString
	)
	err := row.Scan(&c.ID, &c.ContactID, &c.AgentID, &c.AgentName, &c.AgentPhone, &c.CallerID, &number, &newNumber, &fee,
		&c.Confirm, &c.Outcome, &c.EndReason, &c.OverrideReason, &started, &ended, &c.Disposition, &c.Account, &c.Direction)
	if err != nil {
		return c, err
	}
	c.NumberID, c.FeeChargeID, c.NewNumber = number.Int64, fee.Int64, newNumber == 1
	if c.StartedAt, err = parseTime(started); err != nil {
		return c, err
	}
	c.EndedAt, err = parseTime(ended)
	return c, err
}

const legCols = `call_id, role, sid, to_number, status, answered_by, started_at, ended_at, duration_ms,
	rate, rate_currency, price, price_currency`

func scanLeg(row scanner) (int64, dialer.Leg, error) {
	var (
		callID            int64
		l                 dialer.Leg
		started, ended    sql.NullString
		ms                int64
		rate, price       sql.NullInt64
		rateCur, priceCur sql.NullString
	)
	err := row.Scan(&callID, &l.Role, &l.SID, &l.To, &l.Status, &l.AnsweredBy, &started, &ended, &ms,
		&rate, &rateCur, &price, &priceCur)
	if err != nil {
		return 0, l, err
	}
	l.Duration = time.Duration(ms) * time.Millisecond
	if rate.Valid {
		l.Rate = &dialer.Money{Amount: dialer.Amount(rate.Int64), Currency: rateCur.String}
	}
	if price.Valid {
		l.Price = &dialer.Money{Amount: dialer.Amount(price.Int64), Currency: priceCur.String}
	}
	if l.StartedAt, err = parseTime(started); err != nil {
		return 0, l, err
	}
	l.EndedAt, err = parseTime(ended)
	return callID, l, err
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func moneyCols(m *dialer.Money) (any, any) {
	if m == nil {
		return nil, nil
	}
	return int64(m.Amount), m.Currency
}

// StartCall records a call being placed.
func (s *DB) StartCall(ctx context.Context, c dialer.Call) (dialer.Call, error) {
	var out dialer.Call
	if c.Direction == "" {
		c.Direction = dialer.Outbound
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanCall(tx.QueryRowContext(ctx, `INSERT INTO calls (contact_id, agent_id, agent_name, agent_phone, caller_id, number_id,
			new_number, fee_charge_id, confirm_mode, override_reason, started_at, account, direction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING `+callCols,
			c.ContactID, nullInt(c.AgentID), c.AgentName, c.AgentPhone, c.CallerID, nullInt(c.NumberID), boolInt(c.NewNumber),
			nullInt(c.FeeChargeID), string(c.Confirm), c.OverrideReason, fmtTime(c.StartedAt), c.Account, string(c.Direction)))
		if err != nil || c.Direction == dialer.Inbound {
			// An inbound call completes a callback only once answered.
			return err
		}
		// A callback is done when the contact is called again.
		_, err = tx.ExecContext(ctx, "UPDATE callbacks SET done_at = ?, done_call = ? WHERE contact_id = ? AND done_at IS NULL",
			fmtTime(out.StartedAt), out.ID, out.ContactID)
		return err
	})
	return out, err
}

// SaveLeg records or updates a leg, keeping a known price or rate.
func (s *DB) SaveLeg(ctx context.Context, callID int64, l dialer.Leg) error {
	rate, rateCur := moneyCols(l.Rate)
	price, priceCur := moneyCols(l.Price)
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO legs (`+legCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (call_id, role) DO UPDATE SET sid = excluded.sid, to_number = excluded.to_number,
				status = excluded.status, answered_by = excluded.answered_by, started_at = excluded.started_at,
				ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
				rate = coalesce(excluded.rate, legs.rate), rate_currency = coalesce(excluded.rate_currency, legs.rate_currency),
				price = coalesce(excluded.price, legs.price), price_currency = coalesce(excluded.price_currency, legs.price_currency)`,
			callID, string(l.Role), l.SID, l.To, string(l.Status), l.AnsweredBy, fmtTime(l.StartedAt), fmtTime(l.EndedAt),
			l.Duration.Milliseconds(), rate, rateCur, price, priceCur)
		return err
	})
}

// FinishCall records how the call ended.
func (s *DB) FinishCall(ctx context.Context, id int64, outcome dialer.Outcome, endReason string, endedAt time.Time) error {
	return s.updateOne(ctx, dialer.Errorf(dialer.ENOTFOUND, "no call with id %d", id),
		"UPDATE calls SET outcome = ?, end_reason = ?, ended_at = ? WHERE id = ?",
		string(outcome), endReason, fmtTime(endedAt), id)
}

// OpenCalls lists calls whose end is not known for sure, oldest first:
// those placed through account, and those recorded before calls named
// their account.
func (s *DB) OpenCalls(ctx context.Context, account string, limit int) ([]dialer.Call, error) {
	if limit <= 0 {
		limit = 200
	}
	return s.calls(ctx, " WHERE (ended_at IS NULL OR outcome = ?) AND account IN (?, '') ORDER BY id LIMIT ?",
		[]any{string(dialer.OutcomeUnknown), account, limit})
}

// RepairCall records the real end of a call that is still open.
func (s *DB) RepairCall(ctx context.Context, id int64, outcome dialer.Outcome, endReason string, endedAt time.Time) (bool, error) {
	err := s.updateOne(ctx, errNotOpen,
		"UPDATE calls SET outcome = ?, end_reason = ?, ended_at = ? WHERE id = ? AND (ended_at IS NULL OR outcome = ?)",
		string(outcome), endReason, fmtTime(endedAt), id, string(dialer.OutcomeUnknown))
	if errors.Is(err, errNotOpen) {
		return false, nil
	}
	return err == nil, err
}

// errNotOpen is RepairCall's "no open call with that id".
var errNotOpen = errors.New("call not open")

// Call returns one call with its legs.
func (s *DB) Call(ctx context.Context, id int64) (dialer.Call, error) {
	cs, err := s.calls(ctx, " WHERE id = ?", []any{id})
	if err != nil {
		return dialer.Call{}, err
	}
	if len(cs) == 0 {
		return dialer.Call{}, dialer.Errorf(dialer.ENOTFOUND, "no call with id %d", id)
	}
	return cs[0], nil
}

// Calls lists calls with their legs, newest first.
func (s *DB) Calls(ctx context.Context, f dialer.CallFilter) ([]dialer.Call, error) {
	var fl filter
	if f.ContactID != 0 {
		fl.add("contact_id = ?", f.ContactID)
	}
	if f.AgentID != 0 {
		fl.add("agent_id = ?", f.AgentID)
	}
	if !f.Since.IsZero() {
		fl.add("started_at >= ?", fmtTime(f.Since))
	}
	q, args := fl.tail("started_at DESC, id DESC", f.Limit)
	return s.calls(ctx, q, args)
}

func (s *DB) calls(ctx context.Context, tail string, args []any) ([]dialer.Call, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+callCols+" FROM calls"+tail, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	var (
		out   []dialer.Call
		index = map[int64]int{}
		ids   []any
	)
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		index[c.ID] = len(out)
		ids = append(ids, c.ID)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, storeErr(err)
	}
	// Legs of all the calls in one query, chunked under SQLite's variable limit.
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		lrows, err := s.db.QueryContext(ctx, "SELECT "+legCols+" FROM legs WHERE call_id IN ("+placeholders(len(chunk))+") ORDER BY call_id, role", chunk...)
		if err != nil {
			return nil, storeErr(err)
		}
		for lrows.Next() {
			id, l, err := scanLeg(lrows)
			if err != nil {
				lrows.Close()
				return nil, storeErr(err)
			}
			c := &out[index[id]]
			c.Legs = append(c.Legs, l)
		}
		lrows.Close()
		if err := lrows.Err(); err != nil {
			return nil, storeErr(err)
		}
	}
	return out, nil
}

// CallByLeg returns the call one of whose legs is provider call sid.
func (s *DB) CallByLeg(ctx context.Context, sid string) (dialer.Call, error) {
	cs, err := s.calls(ctx, " WHERE id = (SELECT call_id FROM legs WHERE sid = ?)", []any{sid})
	if err != nil {
		return dialer.Call{}, err
	}
	if len(cs) == 0 {
		return dialer.Call{}, dialer.Errorf(dialer.ENOTFOUND, "no call has a leg %s", sid)
	}
	return cs[0], nil
}

// LastCallTo returns the newest outbound call from callerID to the live
// contact whose phone is phone.
func (s *DB) LastCallTo(ctx context.Context, callerID, phone string) (dialer.Call, bool, error) {
	// Through the live contact of that phone (a unique index) and its
	// calls (calls_contact): a few rows, however many calls the number
	// placed.
	cs, err := s.calls(ctx, ` WHERE contact_id = (SELECT id FROM contacts WHERE phone = ? AND deleted_at IS NULL)
		AND caller_id = ? AND direction = 'outbound'
		ORDER BY started_at DESC, id DESC LIMIT 1`, []any{phone, callerID})
	if err != nil || len(cs) == 0 {
		return dialer.Call{}, false, err
	}
	return cs[0], true, nil
}

// CountCalls counts calls placed at or after since.
func (s *DB) CountCalls(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM calls WHERE started_at >= ?", fmtTime(since)).Scan(&n)
	return n, storeErr(err)
}

// UnpricedLegs lists ended legs whose price is not known yet, oldest first.
func (s *DB) UnpricedLegs(ctx context.Context, limit int) ([]dialer.LegRef, error) {
	if limit <= 0 {
		limit = 500
	}
	ended := dialer.EndedCallStatuses
	rows, err := s.db.QueryContext(ctx, `SELECT call_id, role, sid FROM legs
		WHERE price IS NULL AND status IN (`+placeholders(len(ended))+`)
		ORDER BY call_id LIMIT ?`, append(stringArgs(ended), limit)...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []dialer.LegRef
	for rows.Next() {
		var r dialer.LegRef
		if err := rows.Scan(&r.CallID, &r.Role, &r.SID); err != nil {
			return nil, storeErr(err)
		}
		out = append(out, r)
	}
	return out, storeErr(rows.Err())
}

// SetLegPrice records a leg's price.
func (s *DB) SetLegPrice(ctx context.Context, sid string, price dialer.Money) error {
	return s.updateOne(ctx, dialer.Errorf(dialer.ENOTFOUND, "no leg with SID %s", sid),
		"UPDATE legs SET price = ?, price_currency = ? WHERE sid = ?", int64(price.Amount), price.Currency, sid)
}

// Rate returns a cached per-minute rate.
func (s *DB) Rate(ctx context.Context, prefix string) (dialer.Money, time.Time, error) {
	var (
		m  dialer.Money
		a  int64
		at sql.NullString
	)
	err := s.db.QueryRowContext(ctx, "SELECT rate, currency, fetched_at FROM rates WHERE prefix = ?", prefix).Scan(&a, &m.Currency, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, time.Time{}, dialer.Errorf(dialer.ENOTFOUND, "no cached rate for %s", prefix)
	}
	if err != nil {
		return m, time.Time{}, storeErr(err)
	}
	m.Amount = dialer.Amount(a)
	t, err := parseTime(at)
	return m, t, err
}

// SaveRate caches a per-minute rate.
func (s *DB) SaveRate(ctx context.Context, prefix string, rate dialer.Money, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rates (prefix, rate, currency, fetched_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (prefix) DO UPDATE SET rate = excluded.rate, currency = excluded.currency, fetched_at = excluded.fetched_at`,
			prefix, int64(rate.Amount), rate.Currency, fmtTime(at))
		return err
	})
}

// SetDisposition records the agent's word on how the call went.
func (s *DB) SetDisposition(ctx context.Context, id int64, disposition string) error {
	return s.updateOne(ctx, dialer.Errorf(dialer.ENOTFOUND, "no call with id %d", id),
		"UPDATE calls SET disposition = ? WHERE id = ?", disposition, id)
}

// LastOutcomes returns the outcome of each contact's newest call, for the
// contacts given that have called.
func (s *DB) LastOutcomes(ctx context.Context, contactIDs []int64) (map[int64]dialer.Outcome, error) {
	hist, err := s.ContactHistories(ctx, contactIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]dialer.Outcome, len(hist))
	for id, h := range hist {
		out[id] = h.LastOutcome
	}
	return out, nil
}
