package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/dialer-dev/dialer/dialer"
)

const chargeCols = "id, kind, number_id, phone_number, amount, currency, idempotency_key, created_at"

func scanCharge(row scanner) (dialer.Charge, error) {
	var (
		c       dialer.Charge
		number  sql.NullInt64
		amount  int64
		created sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Kind, &number, &c.PhoneNumber, &amount, &c.Amount.Currency, &c.IdempotencyKey, &created); err != nil {
		return c, err
	}
	c.NumberID, c.Amount.Amount = number.Int64, dialer.Amount(amount)
	var err error
	c.CreatedAt, err = parseTime(created)
	return c, err
}

// Charges lists charges, newest first.
func (s *DB) Charges(ctx context.Context, f dialer.ChargeFilter) ([]dialer.Charge, error) {
	var (
		where []string
		args  []any
	)
	if f.NumberID != 0 {
		where = append(where, "number_id = ?")
		args = append(args, f.NumberID)
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, fmtTime(f.Since))
	}
	q := "SELECT " + chargeCols + " FROM charges"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []dialer.Charge
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, c)
	}
	return out, storeErr(rows.Err())
}
