package store

import (
	"context"
	"database/sql"

	"github.com/dialer-dev/dialer/dialer"
)

const chargeCols = "id, kind, number_id, phone_number, coalesce(agent_id, 0), amount, currency, idempotency_key, created_at"

func scanCharge(row scanner) (dialer.Charge, error) {
	var (
		c       dialer.Charge
		number  sql.NullInt64
		amount  int64
		created sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Kind, &number, &c.PhoneNumber, &c.AgentID, &amount, &c.Amount.Currency, &c.IdempotencyKey, &created); err != nil {
		return c, err
	}
	c.NumberID, c.Amount.Amount = number.Int64, dialer.Amount(amount)
	var err error
	c.CreatedAt, err = parseTime(created)
	return c, err
}

// Charges lists charges, newest first.
func (s *DB) Charges(ctx context.Context, f dialer.ChargeFilter) ([]dialer.Charge, error) {
	var fl filter
	if f.NumberID != 0 {
		fl.add("number_id = ?", f.NumberID)
	}
	if f.AgentID != 0 {
		fl.add("agent_id = ?", f.AgentID)
	}
	if !f.Since.IsZero() {
		fl.add("created_at >= ?", fmtTime(f.Since))
	}
	tail, args := fl.tail("created_at DESC, id DESC", f.Limit)
	q := "SELECT " + chargeCols + " FROM charges" + tail
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanCharge)
	return out, storeErr(err)
}
