package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// TakeLease takes lease name for holder until now+ttl, or renews it if
// holder has it; when another holder has it unexpired, it returns theirs
// and false. One statement decides (an upsert whose update applies only to
// the same holder or an expired lease), so two takers never both win.
func (s *DB) TakeLease(ctx context.Context, name, holder, label string, now time.Time, ttl time.Duration) (dialer.Lease, bool, error) {
	var (
		l  dialer.Lease
		at sql.NullString
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.txExec(ctx, tx, hotLeaseTake, name, holder, label, fmtTime(now.Add(ttl)), fmtTime(now)); err != nil {
			return err
		}
		return s.txQueryRow(ctx, tx, hotLeaseRead, name).Scan(&l.Name, &l.Holder, &l.Label, &at)
	})
	if err != nil {
		return l, false, err
	}
	if l.Expires, err = parseTime(at); err != nil {
		return l, false, err
	}
	return l, l.Holder == holder, nil
}

// ReleaseLease gives up holder's lease name (nothing if it is not theirs).
func (s *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, hotLeaseRelease, name, holder)
		return err
	})
}
