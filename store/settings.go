package store

import (
	"context"
	"database/sql"

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
		if err := set.Set(k, v); err != nil && dialer.ErrorKind(err) != dialer.ENOTFOUND {
			// Keys this program does not know (a newer one's) are left alone.
			return set, dialer.Errorf(dialer.EINTERNAL, "stored setting %s=%q cannot be read: %w", k, v, err)
		}
	}
	return set, storeErr(rows.Err())
}

// SaveSettings validates and stores the settings.
func (s *DB) SaveSettings(ctx context.Context, set dialer.Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, f := range dialer.SettingFields {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
				f.Key, f.Get(set)); err != nil {
				return err
			}
		}
		return nil
	})
}
