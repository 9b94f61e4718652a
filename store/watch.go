package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialer-dev/dialer/dialer"
)

// Watch sends a Change whenever a commit (by any process on the database)
// changes what the team's screens show, until ctx ends; then it closes the
// channel. The first Change, with an empty Table, is sent once the watch
// runs: read everything then.
//
// On PostgreSQL it LISTENs on channel dialer_changes (migration 0010's
// triggers notify it at each commit) over a connection of its own; when
// the connection drops it connects and listens again and sends an empty
// Change (what was notified meanwhile is lost: re-read everything). On
// SQLite it reads PRAGMA data_version every poll (default 2 s), which
// changes with every commit of another connection, and sends an empty
// Change when it did.
//
// Changes are coalesced, never queued without bound: a reader that falls
// behind gets one empty Change for all it missed.
func (s *DB) Watch(ctx context.Context, poll time.Duration) <-chan dialer.Change {
	out := make(chan dialer.Change, 64)
	send := func(c dialer.Change) {
		select {
		case out <- c:
		default:
			// Full: make sure the last one says "everything".
			select {
			case <-out:
			default:
			}
			select {
			case out <- dialer.Change{}:
			default:
			}
		}
	}
	if poll <= 0 {
		poll = 2 * time.Second
	}
	go func() {
		defer close(out)
		if s.engine == Postgres {
			s.listen(ctx, send)
		} else {
			s.pollDataVersion(ctx, poll, send)
		}
	}()
	return out
}

// listen is Watch on PostgreSQL.
func (s *DB) listen(ctx context.Context, send func(dialer.Change)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.pgcfg.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN dialer_changes"); err == nil {
				backoff = 100 * time.Millisecond
				send(dialer.Change{}) // (re)connected: whatever was missed, re-read
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					table, id, _ := strings.Cut(n.Payload, ":")
					send(dialer.Change{Table: table, ID: id})
				}
			}
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// pollDataVersion is Watch on SQLite.
func (s *DB) pollDataVersion(ctx context.Context, poll time.Duration, send func(dialer.Change)) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	last := int64(-1)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err == nil && v != last {
			last = v
			send(dialer.Change{})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
