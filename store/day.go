package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// queryRower is what a lookup needs of a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// listID is the id of the list named name; ENOTFOUND if there is none.
func listID(ctx context.Context, q queryRower, name string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM lists WHERE name = ?", name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, dialer.Errorf(dialer.ENOTFOUND, "no list named %q", name)
	}
	return id, err
}

// mustBeLive says ENOTFOUND unless contact id exists and is not deleted.
func mustBeLive(ctx context.Context, tx *sql.Tx, id int64) error {
	var live int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM contacts WHERE id = ? AND deleted_at IS NULL", id).Scan(&live); err != nil {
		return err
	}
	if live == 0 {
		return dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", id)
	}
	return nil
}

// addToList puts contacts on the named list, creating it if need be.
func addToList(ctx context.Context, tx *sql.Tx, list string, ids []int64, at time.Time) error {
	name, err := listName(list)
	if err != nil {
		return err
	}
	var listID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO lists (name, created_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name, fmtTime(at)).Scan(&listID)
	if err != nil {
		return err
	}
	// 100 members an INSERT: an import puts thousands on a list at once.
	live := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != 0 {
			live = append(live, id)
		}
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	when := fmtTime(at)
	args := make([]any, 0, 3*100)
	for chunk := range chunks(live, 100) {
		add := stmts[len(chunk)]
		if add == nil {
			q := "INSERT INTO list_members (list_id, contact_id, added_at) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(chunk)), ", ") + " ON CONFLICT DO NOTHING"
			if add, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
			stmts[len(chunk)] = add
		}
		args = args[:0]
		for _, id := range chunk {
			args = append(args, listID, id, when)
		}
		if _, err := add.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// AddToList puts contacts on a list, creating it if need be.
func (s *DB) AddToList(ctx context.Context, list string, contactIDs []int64, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return addToList(ctx, tx, list, contactIDs, at) })
}

// RemoveFromList takes contacts off a list.
func (s *DB) RemoveFromList(ctx context.Context, list string, contactIDs []int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		id, err := listID(ctx, tx, list)
		if err != nil {
			return err
		}
		for chunk := range chunks(contactIDs, 500) {
			ph, args := inList(chunk)
			if _, err := tx.ExecContext(ctx, "DELETE FROM list_members WHERE list_id = ? AND contact_id IN ("+ph+")",
				append([]any{id}, args...)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// Lists lists every list with its count of live contacts, by name.
func (s *DB) Lists(ctx context.Context) ([]dialer.List, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.name, l.created_at,
		(SELECT count(*) FROM list_members m JOIN contacts c ON c.id = m.contact_id
		 WHERE m.list_id = l.id AND c.deleted_at IS NULL)
		FROM lists l ORDER BY l.name`)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, func(r scanner) (dialer.List, error) {
		var (
			l  dialer.List
			at sql.NullString
		)
		if err := r.Scan(&l.ID, &l.Name, &at, &l.Count); err != nil {
			return l, err
		}
		var err error
		l.CreatedAt, err = parseTime(at)
		return l, err
	})
	return out, storeErr(err)
}

// ListMembers returns the ids of a list's live contacts, in id order.
func (s *DB) ListMembers(ctx context.Context, list string) ([]int64, error) {
	id, err := listID(ctx, s.db, list)
	if err != nil {
		return nil, storeErr(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.contact_id FROM list_members m JOIN contacts c ON c.id = m.contact_id
		WHERE m.list_id = ? AND c.deleted_at IS NULL ORDER BY m.contact_id`, id)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	return out, storeErr(err)
}

// AddDNC puts numbers on the do-not-call list and returns how many were new.
func (s *DB) AddDNC(ctx context.Context, phones []string, reason, by string, at time.Time) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		ins, err := tx.PrepareContext(ctx, `INSERT INTO dnc (phone, reason, added_by, added_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (phone) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		ev, err := tx.PrepareContext(ctx, "INSERT INTO dnc_events (phone, action, reason, by, at) VALUES (?, 'added', ?, ?, ?)")
		if err != nil {
			return err
		}
		defer ev.Close()
		for _, p := range phones {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := ins.ExecContext(ctx, p, reason, by, fmtTime(at))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := ev.ExecContext(ctx, p, reason, by, fmtTime(at)); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

// RemoveDNC takes a number off the do-not-call list, recording who and why.
func (s *DB) RemoveDNC(ctx context.Context, phone, reason, by string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM dnc WHERE phone = ?", phone)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return dialer.Errorf(dialer.ENOTFOUND, "%s is not on the do-not-call list", phone)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO dnc_events (phone, action, reason, by, at) VALUES (?, 'removed', ?, ?, ?)",
			phone, reason, by, fmtTime(at))
		return err
	})
}

func scanDNC(r scanner) (dialer.DNCEntry, error) {
	var (
		e  dialer.DNCEntry
		at sql.NullString
	)
	if err := r.Scan(&e.Phone, &e.Reason, &e.AddedBy, &at); err != nil {
		return e, err
	}
	var err error
	e.AddedAt, err = parseTime(at)
	return e, err
}

// DNC returns a number's entry on the do-not-call list.
func (s *DB) DNC(ctx context.Context, phone string) (dialer.DNCEntry, error) {
	e, err := scanDNC(s.queryRow(ctx, hotDNC, phone))
	if errors.Is(err, sql.ErrNoRows) {
		return e, dialer.Errorf(dialer.ENOTFOUND, "%s is not on the do-not-call list", phone)
	}
	return e, storeErr(err)
}

// DNCList lists the numbers on the do-not-call list, newest first.
func (s *DB) DNCList(ctx context.Context, limit int) ([]dialer.DNCEntry, error) {
	var f filter
	tail, args := f.tail("added_at DESC, phone", limit)
	rows, err := s.db.QueryContext(ctx, "SELECT phone, reason, added_by, added_at FROM dnc"+tail, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanDNC)
	return out, storeErr(err)
}

// DNCEvents lists the additions and removals of one number (every number:
// ""), oldest first.
func (s *DB) DNCEvents(ctx context.Context, phone string) ([]dialer.DNCEvent, error) {
	var f filter
	if phone != "" {
		f.add("phone = ?", phone)
	}
	tail, args := f.tail("id", 0)
	rows, err := s.db.QueryContext(ctx, "SELECT id, phone, action, reason, by, at FROM dnc_events"+tail, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, func(r scanner) (dialer.DNCEvent, error) {
		var (
			e  dialer.DNCEvent
			at sql.NullString
		)
		if err := r.Scan(&e.ID, &e.Phone, &e.Action, &e.Reason, &e.By, &at); err != nil {
			return e, err
		}
		var err error
		e.At, err = parseTime(at)
		return e, err
	})
	return out, storeErr(err)
}

const callbackCols = "id, contact_id, due_at, note, created_by, created_at, done_at, coalesce(done_call, 0), coalesce(agent_id, 0)"

func scanCallback(r scanner) (dialer.Callback, error) {
	var (
		cb                 dialer.Callback
		due, created, done sql.NullString
	)
	if err := r.Scan(&cb.ID, &cb.ContactID, &due, &cb.Note, &cb.CreatedBy, &created, &done, &cb.DoneCall, &cb.AgentID); err != nil {
		return cb, err
	}
	var err error
	if cb.Due, err = parseTime(due); err != nil {
		return cb, err
	}
	if cb.CreatedAt, err = parseTime(created); err != nil {
		return cb, err
	}
	cb.DoneAt, err = parseTime(done)
	return cb, err
}

// ScheduleCallback records a callback, replacing the contact's open one.
func (s *DB) ScheduleCallback(ctx context.Context, cb dialer.Callback) (dialer.Callback, error) {
	if cb.Due.IsZero() {
		return cb, dialer.Errorf(dialer.EINVALID, "a callback needs a time")
	}
	var out dialer.Callback
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// One open callback a contact: schedulers of one contact take turns.
		if err := s.lock(ctx, tx, fmt.Sprintf("contact:%d", cb.ContactID)); err != nil {
			return err
		}
		if err := mustBeLive(ctx, tx, cb.ContactID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM callbacks WHERE contact_id = ? AND done_at IS NULL", cb.ContactID); err != nil {
			return err
		}
		var err error
		out, err = scanCallback(tx.QueryRowContext(ctx, `INSERT INTO callbacks (contact_id, due_at, note, created_by, created_at, agent_id)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING `+callbackCols, cb.ContactID, fmtTime(cb.Due), cb.Note, cb.CreatedBy, fmtTime(cb.CreatedAt), nullInt(cb.AgentID)))
		return err
	})
	return out, err
}

// CancelCallback removes the contact's open callback, if any.
func (s *DB) CancelCallback(ctx context.Context, contactID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM callbacks WHERE contact_id = ? AND done_at IS NULL", contactID)
		return err
	})
}

// CompleteCallback marks the contact's open callback done by call callID.
func (s *DB) CompleteCallback(ctx context.Context, contactID, callID int64, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE callbacks SET done_at = ?, done_call = ? WHERE contact_id = ? AND done_at IS NULL",
			fmtTime(at), callID, contactID)
		return err
	})
}

// Callbacks lists callbacks of live contacts, soonest due first.
func (s *DB) Callbacks(ctx context.Context, f dialer.CallbackFilter) ([]dialer.Callback, error) {
	var w filter
	w.add("contact_id IN (SELECT id FROM contacts WHERE deleted_at IS NULL)")
	if f.ContactID != 0 {
		w.add("contact_id = ?", f.ContactID)
	}
	if !f.DueBy.IsZero() {
		w.add("due_at <= ?", fmtTime(f.DueBy))
	}
	if f.Open {
		w.add("done_at IS NULL")
	}
	tail, args := w.tail("due_at, id", f.Limit)
	rows, err := s.db.QueryContext(ctx, "SELECT "+callbackCols+" FROM callbacks"+tail, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanCallback)
	return out, storeErr(err)
}

// CountDueCallbacks counts open callbacks of live contacts due by t.
func (s *DB) CountDueCallbacks(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM callbacks WHERE done_at IS NULL AND due_at <= ?
		AND contact_id IN (SELECT id FROM contacts WHERE deleted_at IS NULL)`, fmtTime(t)).Scan(&n)
	return n, storeErr(err)
}

// ContactHistories maps each of these contacts that has calls to its
// attempts, last call and last outcome.
func (s *DB) ContactHistories(ctx context.Context, contactIDs []int64) (map[int64]dialer.ContactHistory, error) {
	out := make(map[int64]dialer.ContactHistory)
	for chunk := range chunks(contactIDs, 500) {
		ph, args := inList(chunk)
		// The last outcome is one step down calls_contact per contact.
		rows, err := s.db.QueryContext(ctx, `SELECT h.contact_id, h.n,
			(SELECT outcome FROM calls l WHERE l.contact_id = h.contact_id ORDER BY started_at DESC, id DESC LIMIT 1), h.last
			FROM (SELECT contact_id, count(*) AS n, max(started_at) AS last FROM calls
				WHERE contact_id IN (`+ph+`) GROUP BY contact_id) h`, args...)
		if err != nil {
			return nil, storeErr(err)
		}
		for rows.Next() {
			var (
				id int64
				h  dialer.ContactHistory
				at sql.NullString
			)
			if err := rows.Scan(&id, &h.Attempts, &h.LastOutcome, &at); err != nil {
				rows.Close()
				return nil, storeErr(err)
			}
			if h.LastCalled, err = parseTime(at); err != nil {
				rows.Close()
				return nil, storeErr(err)
			}
			out[id] = h
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, storeErr(err)
		}
	}
	return out, nil
}

// Stats adds up the calls placed and the fees charged at or after since.
func (s *DB) Stats(ctx context.Context, since time.Time, currency string) (dialer.DayStats, error) {
	d := dialer.DayStats{Since: since, NumberFees: dialer.Money{Currency: currency}, CallSpend: dialer.Money{Currency: currency}}
	at := fmtTime(since)
	var talkMS int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN outcome = ? THEN (SELECT duration_ms FROM legs WHERE call_id = calls.id AND role = 'contact') END), 0)
		FROM calls WHERE started_at >= ?`, string(dialer.OutcomeAnswered), string(dialer.OutcomeAnswered), at).
		Scan(&d.Calls, &d.Connects, &talkMS)
	if err != nil {
		return d, storeErr(err)
	}
	d.TalkTime = time.Duration(talkMS) * time.Millisecond
	var fees, spend int64
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(sum(amount), 0) FROM charges WHERE created_at >= ? AND currency = ?",
		at, currency).Scan(&fees); err != nil {
		return d, storeErr(err)
	}
	ended := dialer.EndedCallStatuses
	err = s.db.QueryRowContext(ctx, `SELECT coalesce(sum(CASE WHEN price_currency = ? THEN price END), 0),
		coalesce(sum(CASE WHEN price IS NULL AND status IN (`+placeholders(len(ended))+`) THEN 1 ELSE 0 END), 0)
		FROM legs WHERE call_id IN (SELECT id FROM calls WHERE started_at >= ?)`,
		append(append([]any{currency}, stringArgs(ended)...), at)...).Scan(&spend, &d.Unpriced)
	if err != nil {
		return d, storeErr(err)
	}
	d.NumberFees.Amount = dialer.Amount(fees)
	d.CallSpend.Amount = dialer.Amount(spend)
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM numbers WHERE status = 'past_due'").Scan(&d.PastDue); err != nil {
		return d, storeErr(err)
	}
	return d, nil
}
