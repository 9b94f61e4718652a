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

// settingField is one stored setting: its key, the string stored for it,
// and how that string is read back (an error if it cannot be).
type settingField struct {
	key string
	get func(dialer.Settings) string
	set func(*dialer.Settings, string) error
}

// settingFields are the stored settings, in the order they are saved.
var settingFields = []settingField{
	{
		key: "reservation_fee",
		get: func(s dialer.Settings) string { return s.ReservationFee.Amount.String() },
		set: func(s *dialer.Settings, v string) (err error) {
			s.ReservationFee.Amount, err = dialer.ParseAmount(v)
			return err
		},
	},
	{
		key: "reservation_fee_currency",
		get: func(s dialer.Settings) string { return s.ReservationFee.Currency },
		set: func(s *dialer.Settings, v string) error {
			s.ReservationFee.Currency = v
			return nil
		},
	},
	{
		key: "reservation_days",
		get: func(s dialer.Settings) string { return strconv.Itoa(s.ReservationDays) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.ReservationDays, err = strconv.Atoi(v)
			return err
		},
	},
	{
		key: "max_numbers",
		get: func(s dialer.Settings) string { return strconv.Itoa(s.MaxNumbers) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.MaxNumbers, err = strconv.Atoi(v)
			return err
		},
	},
	{
		key: "region_fallback",
		get: func(s dialer.Settings) string { return strconv.FormatBool(s.RegionFallback) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.RegionFallback, err = strconv.ParseBool(v)
			return err
		},
	},
	{
		key: "calling_hours",
		get: func(s dialer.Settings) string { return s.CallingHours.String() },
		set: func(s *dialer.Settings, v string) (err error) {
			s.CallingHours, err = dialer.ParseCallingHours(v)
			return err
		},
	},
	{
		key: "confirm",
		get: func(s dialer.Settings) string { return string(s.Confirm) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.Confirm, err = dialer.ParseConfirmMode(v)
			return err
		},
	},
	{
		key: "daily_call_cap",
		get: func(s dialer.Settings) string { return strconv.Itoa(s.DailyCallCap) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.DailyCallCap, err = strconv.Atoi(v)
			return err
		},
	},
	{
		key: "balance_grace",
		get: func(s dialer.Settings) string { return s.BalanceGrace.String() },
		set: func(s *dialer.Settings, v string) (err error) {
			s.BalanceGrace, err = time.ParseDuration(v)
			return err
		},
	},
	{
		// A database saved before the setting existed has no row: it
		// reads as the default. A saved 0 (no limit) stays 0.
		key: "attempt_limit",
		get: func(s dialer.Settings) string { return strconv.Itoa(s.AttemptLimit) },
		set: func(s *dialer.Settings, v string) (err error) {
			s.AttemptLimit, err = strconv.Atoi(v)
			return err
		},
	},
}

// applySetting reads one stored setting into set; keys it does not know
// are ignored.
func applySetting(set *dialer.Settings, k, v string) error {
	for _, f := range settingFields {
		if f.key != k {
			continue
		}
		if err := f.set(set, v); err != nil {
			return dialer.Errorf(dialer.EINTERNAL, "stored setting %s=%q cannot be read: %w", k, v, err)
		}
		return nil
	}
	return nil
}

// SaveSettings validates and stores the settings.
func (s *DB) SaveSettings(ctx context.Context, set dialer.Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, f := range settingFields {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				f.key, f.get(set)); err != nil {
				return err
			}
		}
		return nil
	})
}
