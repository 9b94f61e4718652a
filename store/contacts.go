package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// contactCols are a contact's columns; do-not-call is read from the
// organization's list, by number.
const contactCols = `id, name, phone, company, email, notes, time_zone, fields,
	EXISTS (SELECT 1 FROM dnc WHERE dnc.phone = contacts.phone), created_at, updated_at, deleted_at`

func scanContact(row scanner) (dialer.Contact, error) {
	var (
		c                         dialer.Contact
		fields                    string
		dnc                       bool
		created, updated, deleted sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Phone, &c.Company, &c.Email, &c.Notes, &c.TimeZone, &fields, &dnc,
		&created, &updated, &deleted); err != nil {
		return c, err
	}
	c.DoNotCall = dnc
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return c, err
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return c, err
	}
	c.DeletedAt, err = parseTime(deleted)
	return c, err
}

func fieldsJSON(f map[string]string) (string, error) {
	if len(f) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nextRev is the revision the next contact change takes. Writers hold the
// contacts lock (on SQLite the database's write lock) until they commit, so
// revisions commit in order: a reader that has seen revision r never later
// finds a change below r.
func (s *DB) nextRev(ctx context.Context, tx *sql.Tx) (int64, error) {
	if err := s.lock(ctx, tx, lockContacts); err != nil {
		return 0, err
	}
	var rev int64
	err := tx.QueryRowContext(ctx, "SELECT coalesce(max(rev), 0) + 1 FROM contacts").Scan(&rev)
	return rev, err
}

// phoneTaken says which live contact other than id has phone, as an
// ECONFLICT error naming it; nil if none.
func phoneTaken(ctx context.Context, tx *sql.Tx, phone string, id int64) error {
	var (
		other int64
		name  string
	)
	err := tx.QueryRowContext(ctx, "SELECT id, name FROM contacts WHERE phone = ? AND deleted_at IS NULL AND id <> ?",
		phone, id).Scan(&other, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	label := name
	if label == "" {
		label = phone
	}
	return dialer.Errorf(dialer.ECONFLICT, "contact %d (%s) already has the phone number %s", other, label, phone)
}

func checkContact(c dialer.Contact) error {
	if c.Phone == "" {
		return dialer.Errorf(dialer.EINVALID, "contact %s has no phone number", c.Label())
	}
	return nil
}

// CreateContact records a new contact.
func (s *DB) CreateContact(ctx context.Context, c dialer.Contact) (dialer.Contact, error) {
	if err := checkContact(c); err != nil {
		return c, err
	}
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return c, err
	}
	var out dialer.Contact
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rev, err := s.nextRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := phoneTaken(ctx, tx, c.Phone, 0); err != nil {
			return err
		}
		out, err = scanContact(tx.QueryRowContext(ctx, `INSERT INTO contacts (name, phone, company, email, notes, time_zone,
			fields, created_at, updated_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+contactCols,
			c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone, fields, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt), rev))
		return err
	})
	return out, err
}

// UpdateContact saves a contact's fields.
func (s *DB) UpdateContact(ctx context.Context, c dialer.Contact) (dialer.Contact, error) {
	if err := checkContact(c); err != nil {
		return c, err
	}
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return c, err
	}
	var out dialer.Contact
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rev, err := s.nextRev(ctx, tx)
		if err != nil {
			return err
		}
		if err := mustBeLive(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := phoneTaken(ctx, tx, c.Phone, c.ID); err != nil {
			return err
		}
		out, err = scanContact(tx.QueryRowContext(ctx, `UPDATE contacts SET name = ?, phone = ?, company = ?, email = ?,
			notes = ?, time_zone = ?, fields = ?, updated_at = ?, rev = ? WHERE id = ? AND deleted_at IS NULL RETURNING `+contactCols,
			c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone, fields, fmtTime(c.UpdatedAt), rev, c.ID))
		return err
	})
	if err == nil {
		out.Lists = c.Lists
	}
	return out, err
}

// DeleteContact hides a contact; its calls and charges are kept.
func (s *DB) DeleteContact(ctx context.Context, id int64, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		rev, err := s.nextRev(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE contacts SET deleted_at = ?, updated_at = ?, rev = ? WHERE id = ? AND deleted_at IS NULL",
			fmtTime(at), fmtTime(at), rev, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM callbacks WHERE contact_id = ? AND done_at IS NULL", id)
		return err
	})
}

// Contact returns one contact, with its lists.
func (s *DB) Contact(ctx context.Context, id int64) (dialer.Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", id)
	}
	if err != nil {
		return c, storeErr(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT l.name FROM list_members m JOIN lists l ON l.id = m.list_id
		WHERE m.contact_id = ? ORDER BY l.name`, id)
	if err != nil {
		return c, storeErr(err)
	}
	c.Lists, err = collect(rows, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	return c, storeErr(err)
}

// Contacts returns the contacts with these ids, in id order; ids with no
// contact are left out.
func (s *DB) Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error) {
	var out []dialer.Contact
	for chunk := range chunks(ids, 500) {
		ph, args := inList(chunk)
		rows, err := s.db.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id IN ("+ph+") ORDER BY id", args...)
		if err != nil {
			return nil, storeErr(err)
		}
		cs, err := collect(rows, scanContact)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, cs...)
	}
	if len(ids) > 500 { // each chunk is in id order; together they need not be
		slices.SortFunc(out, func(a, b dialer.Contact) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out, nil
}

// ContactByPhone finds the live contact with this number.
func (s *DB) ContactByPhone(ctx context.Context, e164 string) (dialer.Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE phone = ? AND deleted_at IS NULL", e164))
	if errors.Is(err, sql.ErrNoRows) {
		return c, dialer.Errorf(dialer.ENOTFOUND, "no contact with phone %s", e164)
	}
	return c, storeErr(err)
}

// ListContacts lists live contacts in id order.
func (s *DB) ListContacts(ctx context.Context, f dialer.ContactFilter) ([]dialer.Contact, error) {
	var w filter
	w.add("contacts.deleted_at IS NULL")
	if f.List != "" {
		id, err := listID(ctx, s.db, f.List)
		if err != nil {
			return nil, storeErr(err)
		}
		w.add("contacts.id IN (SELECT contact_id FROM list_members WHERE list_id = ?)", id)
	}
	if f.AfterID > 0 {
		w.add("contacts.id > ?", f.AfterID)
	}
	tail, args := w.tail("contacts.id", f.Limit)
	rows, err := s.db.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts"+tail, args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanContact)
	return out, storeErr(err)
}

// ContactKeys streams what the search index needs: with since 0 every
// live contact in id order, otherwise the contacts changed after since in
// revision order (deleted ones marked). It returns the highest revision
// seen.
func (s *DB) ContactKeys(ctx context.Context, since int64, fn func(k dialer.ContactKey) error) (int64, error) {
	max := since
	if since == 0 {
		// The revision to resume from is read first: a change committed
		// while the rows stream has a higher one and is seen next time.
		var err error
		if max, err = s.ContactRevision(ctx); err != nil {
			return since, err
		}
	}
	q := "SELECT id, rev, name, company, phone, deleted_at IS NOT NULL FROM contacts WHERE deleted_at IS NULL ORDER BY id"
	args := []any{}
	if since > 0 {
		q = "SELECT id, rev, name, company, phone, deleted_at IS NOT NULL FROM contacts WHERE rev > ? ORDER BY rev"
		args = append(args, since)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return since, storeErr(err)
	}
	defer rows.Close()
	var k dialer.ContactKey
	for rows.Next() {
		if err := rows.Scan(&k.ID, &k.Rev, &k.Name, &k.Company, &k.Phone, &k.Deleted); err != nil {
			return since, storeErr(err)
		}
		if since > 0 && k.Rev > max {
			max = k.Rev
		}
		if err := fn(k); err != nil {
			return since, err
		}
	}
	if err := rows.Err(); err != nil {
		return since, storeErr(err)
	}
	return max, nil
}

// ContactRevision is the highest revision of any contact.
func (s *DB) ContactRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(rev), 0) FROM contacts").Scan(&rev)
	return rev, storeErr(err)
}

// CountContacts counts live contacts.
func (s *DB) CountContacts(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM contacts WHERE deleted_at IS NULL").Scan(&n)
	return n, storeErr(err)
}

// ContactIDsByPhone maps each phone that has a live contact to its id.
func (s *DB) ContactIDsByPhone(ctx context.Context, phones []string) (map[string]int64, error) {
	out := make(map[string]int64, len(phones))
	if len(phones) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT phone, id FROM contacts
		WHERE deleted_at IS NULL AND phone IN (`+s.jsonValues()+`)`, jsonStrings(phones))
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p  string
			id int64
		)
		if err := rows.Scan(&p, &id); err != nil {
			return nil, storeErr(err)
		}
		out[p] = id
	}
	return out, storeErr(rows.Err())
}

// ImportContacts writes one batch of an import in one transaction: one
// look-up of the batch's phones, an UPDATE per changed contact, and one
// INSERT of the new contacts, with the ids and revisions they would get one
// at a time (the transaction holds the contacts lock, on SQLite the write
// lock: no other writer takes an id or a revision meanwhile).
func (s *DB) ImportContacts(ctx context.Context, b dialer.ImportBatch) (dialer.ImportResult, error) {
	seen := make(map[string]bool, len(b.Contacts))
	phones := make([]string, len(b.Contacts))
	for i, c := range b.Contacts {
		if err := checkContact(c); err != nil {
			return dialer.ImportResult{}, err
		}
		if seen[c.Phone] {
			return dialer.ImportResult{}, dialer.Errorf(dialer.EINVALID, "the phone number %s is twice in one import batch", c.Phone)
		}
		seen[c.Phone] = true
		phones[i] = c.Phone
	}
	at := fmtTime(b.At)
	var res dialer.ImportResult
	err := s.bulkTx(ctx, func(tx *sql.Tx) error {
		res = dialer.ImportResult{IDs: make([]int64, len(b.Contacts))}
		// Two queries: each max is one step down an index; together in
		// one SELECT they are a scan of the table.
		rev, err := s.nextRev(ctx, tx)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) + 1 FROM contacts").Scan(&id); err != nil {
			return err
		}
		old, err := s.liveByPhone(ctx, tx, phones)
		if err != nil {
			return err
		}
		var (
			fresh []int // indexes in b.Contacts of new contacts
			upd   *sql.Stmt
		)
		for i, c := range b.Contacts {
			o, ok := old[c.Phone]
			switch {
			case !ok:
				fresh = append(fresh, i)
				continue
			case !b.Update:
				res.IDs[i] = o.ID
				res.Existing++
				continue
			}
			res.IDs[i] = o.ID
			merged, changed := mergeContact(o, c)
			if !changed {
				res.Existing++
				continue
			}
			f, err := fieldsJSON(merged.Fields)
			if err != nil {
				return err
			}
			if upd == nil {
				if upd, err = tx.PrepareContext(ctx, `UPDATE contacts SET name = ?, company = ?, email = ?, notes = ?,
					time_zone = ?, fields = ?, updated_at = ?, rev = ? WHERE id = ?`); err != nil {
					return err
				}
				defer upd.Close()
			}
			if _, err := upd.ExecContext(ctx, merged.Name, merged.Company, merged.Email, merged.Notes, merged.TimeZone, f,
				at, rev, o.ID); err != nil {
				return err
			}
			rev++
			res.Updated++
		}
		// The new contacts in multi-row INSERTs of insertRows rows, each
		// statement prepared once per batch; ids and revisions counted on
		// from the highest.
		if len(fresh) > 0 {
			if err := insertFresh(ctx, tx, b, fresh, id, rev, at, res.IDs); err != nil {
				return err
			}
			if err := s.advanceIDs(ctx, tx, "contacts"); err != nil {
				return err
			}
			res.Created = len(fresh)
		}
		if b.List != "" {
			return addToList(ctx, tx, b.List, res.IDs, b.At)
		}
		return nil
	})
	if err != nil {
		return dialer.ImportResult{}, err
	}
	return res, nil
}

// bulkCacheKiB is the page cache of the connection bulk writes take: the
// pages an import dirties (new rows, and the phone and revision indexes,
// written in no order) stay in memory from one batch to the next instead
// of spilling to the WAL, being written again and read back.
const bulkCacheKiB = 64 << 10

// bulkTx is tx for transactions that write thousands of rows, one after
// another (an import's batches): on a connection of their own, kept until
// the database is closed, with a page cache of bulkCacheKiB and statement
// journals (a multi-row INSERT keeps one, to undo itself on a constraint
// error) in memory rather than in temporary files. On PostgreSQL it is tx.
func (s *DB) bulkTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.engine != SQLite {
		return s.tx(ctx, fn)
	}
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	if s.bulk == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return storeErr(err)
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d; PRAGMA temp_store = MEMORY", -bulkCacheKiB)); err != nil {
			conn.Close()
			return storeErr(err)
		}
		s.bulk = conn
	}
	tx, err := s.bulk.BeginTx(ctx, nil)
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		s.bulk.Close()
		s.bulk = nil
	}
	if err != nil {
		return storeErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return storeErr(err)
	}
	return storeErr(tx.Commit())
}

// liveByPhone reads the live contacts with these phones (without their
// lists), by phone.
func (s *DB) liveByPhone(ctx context.Context, tx *sql.Tx, phones []string) (map[string]dialer.Contact, error) {
	out := make(map[string]dialer.Contact)
	if len(phones) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, phone, company, email, notes, time_zone, fields FROM contacts
		WHERE deleted_at IS NULL AND phone IN (`+s.jsonValues()+`)`, jsonStrings(phones))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c      dialer.Contact
			fields string
		)
		if err := rows.Scan(&c.ID, &c.Name, &c.Phone, &c.Company, &c.Email, &c.Notes, &c.TimeZone, &fields); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
			return nil, err
		}
		out[c.Phone] = c
	}
	return out, rows.Err()
}

// insertRows is the rows of one INSERT of new contacts: 11 values a row,
// well under SQLite's 32,766 bound parameters.
const insertRows = 256

// insertFresh inserts b.Contacts[i] for every i in fresh, with ids from id
// and revisions from rev on, and records each id in ids.
func insertFresh(ctx context.Context, tx *sql.Tx, b dialer.ImportBatch, fresh []int, id, rev int64, at any, ids []int64) error {
	const cols = 11
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, cols*insertRows)
	for from := 0; from < len(fresh); from += insertRows {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := fresh[from:min(from+insertRows, len(fresh))]
		st := stmts[len(chunk)]
		if st == nil {
			var q strings.Builder
			q.WriteString("INSERT INTO contacts (id, name, phone, company, email, notes, time_zone, fields, created_at, updated_at, rev) VALUES ")
			for j := range chunk {
				if j > 0 {
					q.WriteByte(',')
				}
				q.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
			}
			var err error
			if st, err = tx.PrepareContext(ctx, q.String()); err != nil {
				return err
			}
			stmts[len(chunk)] = st
		}
		args = args[:0]
		for j, i := range chunk {
			c := b.Contacts[i]
			f, err := fieldsJSON(c.Fields)
			if err != nil {
				return err
			}
			created := b.At
			if !c.CreatedAt.IsZero() {
				created = c.CreatedAt
			}
			createdAt := fmtTime(created) // nil when zero: refused, created_at is NOT NULL
			n := int64(from + j)
			ids[i] = id + n
			args = append(args, id+n, c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone, f, createdAt, at, rev+n)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// jsonStrings is a JSON array of ss: one value to bind for a list of any
// length (json_each reads it in SQL).
func jsonStrings(ss []string) string {
	buf := make([]byte, 0, 16*len(ss)+2)
	buf = append(buf, '[')
	for i, v := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, v)
	}
	return string(append(buf, ']'))
}

// appendJSONString appends v to buf as a JSON string.
func appendJSONString(buf []byte, v string) []byte {
	if plainJSON(v) {
		buf = append(buf, '"')
		buf = append(buf, v...)
		return append(buf, '"')
	}
	b, _ := json.Marshal(v) // a string always marshals
	return append(buf, b...)
}

// plainJSON reports whether v can be written between quotes as it is.
func plainJSON(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// mergeContact overwrites old's fields with c's that are not empty, and
// says whether anything changed.
func mergeContact(old, c dialer.Contact) (dialer.Contact, bool) {
	m := old
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.Name, c.Name)
	set(&m.Company, c.Company)
	set(&m.Email, c.Email)
	set(&m.Notes, c.Notes)
	set(&m.TimeZone, c.TimeZone)
	if len(c.Fields) > 0 {
		m.Fields = maps.Clone(old.Fields)
		if m.Fields == nil {
			m.Fields = map[string]string{}
		}
		for k, v := range c.Fields {
			if v != "" {
				m.Fields[k] = v
			}
		}
	}
	changed := m.Name != old.Name || m.Company != old.Company || m.Email != old.Email || m.Notes != old.Notes ||
		m.TimeZone != old.TimeZone || !maps.Equal(m.Fields, old.Fields)
	return m, changed
}

// chunks yields s in pieces of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// listName trims a list name and refuses an empty one.
func listName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "", dialer.Errorf(dialer.EINVALID, "a list needs a name")
	}
	return n, nil
}

// ContactsByPhonePrefix returns up to limit live contacts whose phone starts
// with prefix, in phone order (one per number: a live phone is unique): a
// walk over the live-phone index that stops at limit rows, as cheap with a
// million contacts as with ten (shell completion asks it).
func (s *DB) ContactsByPhonePrefix(ctx context.Context, prefix string, limit int) ([]dialer.Contact, error) {
	where, args := "WHERE deleted_at IS NULL", []any{}
	if prefix != "" {
		where += " AND phone >= ?"
		args = append(args, prefix)
		if end, ok := prefixEnd(prefix); ok {
			where += " AND phone < ?"
			args = append(args, end)
		}
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts "+where+" ORDER BY phone LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanContact)
	return out, storeErr(err)
}

// prefixEnd is the least string greater than every string starting with
// prefix (byte order, as SQLite compares text); ok is false when there is
// none (prefix is all 0xFF bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
