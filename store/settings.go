package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Settings returns the organization's settings: the defaults, overlaid with
// what was saved.
func (s *DB) Settings(ctx context.Context) (dialer.Settings, error) {
	set := dialer.DefaultSettings()
	rows, err := s.db.QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return set, storeErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return set, storeErr(err)
		}
		if err := applySetting(&set, k, v); err != nil {
			return set, err
		}
	}
	return set, storeErr(rows.Err())
}

func applySetting(set *dialer.Settings, k, v string) error {
	var err error
	switch k {
	case "reservation_fee":
		set.ReservationFee.Amount, err = dialer.ParseAmount(v)
	case "reservation_fee_currency":
		set.ReservationFee.Currency = v
	case "reservation_days":
		set.ReservationDays, err = strconv.Atoi(v)
	case "max_numbers":
		set.MaxNumbers, err = strconv.Atoi(v)
	case "region_fallback":
		set.RegionFallback, err = strconv.ParseBool(v)
	case "calling_hours":
		set.CallingHours, err = dialer.ParseCallingHours(v)
	case "confirm":
		set.Confirm, err = dialer.ParseConfirmMode(v)
	case "daily_call_cap":
		set.DailyCallCap, err = strconv.Atoi(v)
	case "balance_grace":
		set.BalanceGrace, err = time.ParseDuration(v)
	}
	if err != nil {
		return dialer.Errorf(dialer.EINTERNAL, "stored setting %s=%q cannot be read: %w", k, v, err)
	}
	return nil
}

// SaveSettings validates and stores the settings.
func (s *DB) SaveSettings(ctx context.Context, set dialer.Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	kv := [][2]string{
		{"reservation_fee", set.ReservationFee.Amount.String()},
		{"reservation_fee_currency", set.ReservationFee.Currency},
		{"reservation_days", strconv.Itoa(set.ReservationDays)},
		{"max_numbers", strconv.Itoa(set.MaxNumbers)},
		{"region_fallback", strconv.FormatBool(set.RegionFallback)},
		{"calling_hours", set.CallingHours.String()},
		{"confirm", string(set.Confirm)},
		{"daily_call_cap", strconv.Itoa(set.DailyCallCap)},
		{"balance_grace", set.BalanceGrace.String()},
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, p := range kv {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
