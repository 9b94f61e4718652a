package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dialer-dev/dialer/dialer"
)

// Settings returns the organization's settings: the defaults, overlaid with
// what was saved.
//
// A caller-ID decision asks for them every time, and another process may
// have changed them since the last: the settings are kept in memory with
// the revision they were read at (meta's settings_revision, which every
// change to the settings table bumps, by trigger), and each call reads
// that one value, re-reading the settings only when it moved.
func (s *DB) Settings(ctx context.Context) (dialer.Settings, error) {
	var rev string
	err := s.queryRow(ctx, hotSettingsRevision).Scan(&rev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		rev = "" // no revision kept (never expected): read them every time
	case err != nil:
		return dialer.DefaultSettings(), storeErr(err)
	}
	if rev != "" {
		s.setMu.Lock()
		set, ok := s.setVal, s.setRev == rev
		s.setMu.Unlock()
		if ok {
			return set, nil
		}
	}
	return s.readSettings(ctx)
}

// readSettings reads the settings and their revision (in one statement:
// one snapshot) and keeps them.
func (s *DB) readSettings(ctx context.Context) (dialer.Settings, error) {
	set := dialer.DefaultSettings()
	rows, err := s.query(ctx, hotSettings)
	if err != nil {
		return set, storeErr(err)
	}
	defer rows.Close()
	rev := ""
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return set, storeErr(err)
		}
		if k == "" {
			rev = v
			continue
		}
		if err := set.Set(k, v); err != nil && dialer.ErrorKind(err) != dialer.ENOTFOUND {
			// Keys this program does not know (a newer one's) are left alone.
			return set, dialer.Errorf(dialer.EINTERNAL, "stored setting %s=%q cannot be read: %w", k, v, err)
		}
	}
	if err := rows.Err(); err != nil {
		return set, storeErr(err)
	}
	if rev != "" {
		s.setMu.Lock()
		s.setRev, s.setVal = rev, set
		s.setMu.Unlock()
	}
	return set, nil
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
