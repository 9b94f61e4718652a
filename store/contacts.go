package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
		dnc                       int
		created, updated, deleted sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Phone, &c.Company, &c.Email, &c.Notes, &c.TimeZone, &fields, &dnc,
		&created, &updated, &deleted); err != nil {
		return c, err
	}
	c.DoNotCall = dnc == 1
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
// database's write lock (immediate transactions), so revisions commit in
// order.
func nextRev(ctx context.Context, tx *sql.Tx) (int64, error) {
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
		if err := phoneTaken(ctx, tx, c.Phone, 0); err != nil {
			return err
		}
		rev, err := nextRev(ctx, tx)
		if err != nil {
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
		if err := mustBeLive(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := phoneTaken(ctx, tx, c.Phone, c.ID); err != nil {
			return err
		}
		rev, err := nextRev(ctx, tx)
		if err != nil {
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
		rev, err := nextRev(ctx, tx)
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
	var (
		k       dialer.ContactKey
		deleted int
	)
	for rows.Next() {
		if err := rows.Scan(&k.ID, &k.Rev, &k.Name, &k.Company, &k.Phone, &deleted); err != nil {
			return since, storeErr(err)
		}
		k.Deleted = deleted == 1
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
	for chunk := range chunks(phones, 500) {
		args := make([]any, len(chunk))
		for i, p := range chunk {
			args[i] = p
		}
		rows, err := s.db.QueryContext(ctx, "SELECT phone, id FROM contacts WHERE deleted_at IS NULL AND phone IN ("+
			placeholders(len(chunk))+")", args...)
		if err != nil {
			return nil, storeErr(err)
		}
		for rows.Next() {
			var (
				p  string
				id int64
			)
			if err := rows.Scan(&p, &id); err != nil {
				rows.Close()
				return nil, storeErr(err)
			}
			out[p] = id
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		rows.Close()
	}
	return out, nil
}

// ImportContacts writes one batch of an import in one transaction.
func (s *DB) ImportContacts(ctx context.Context, b dialer.ImportBatch) (dialer.ImportResult, error) {
	res := dialer.ImportResult{IDs: make([]int64, len(b.Contacts))}
	seen := make(map[string]bool, len(b.Contacts))
	for _, c := range b.Contacts {
		if err := checkContact(c); err != nil {
			return dialer.ImportResult{}, err
		}
		if seen[c.Phone] {
			return dialer.ImportResult{}, dialer.Errorf(dialer.EINVALID, "the phone number %s is twice in one import batch", c.Phone)
		}
		seen[c.Phone] = true
	}
	at := fmtTime(b.At)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rev, err := nextRev(ctx, tx)
		if err != nil {
			return err
		}
		find, err := tx.PrepareContext(ctx, `SELECT id, name, company, email, notes, time_zone, fields FROM contacts
			WHERE phone = ? AND deleted_at IS NULL`)
		if err != nil {
			return err
		}
		defer find.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO contacts (name, phone, company, email, notes, time_zone, fields,
			created_at, updated_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE contacts SET name = ?, company = ?, email = ?, notes = ?, time_zone = ?,
			fields = ?, updated_at = ?, rev = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for i, c := range b.Contacts {
			if err := ctx.Err(); err != nil {
				return err
			}
			var (
				old    dialer.Contact
				fields string
			)
			err := find.QueryRowContext(ctx, c.Phone).Scan(&old.ID, &old.Name, &old.Company, &old.Email, &old.Notes,
				&old.TimeZone, &fields)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				f, err := fieldsJSON(c.Fields)
				if err != nil {
					return err
				}
				created := at
				if !c.CreatedAt.IsZero() {
					created = fmtTime(c.CreatedAt)
				}
				if err := ins.QueryRowContext(ctx, c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone, f,
					created, at, rev).Scan(&res.IDs[i]); err != nil {
					return err
				}
				rev++
				res.Created++
				continue
			case err != nil:
				return err
			}
			res.IDs[i] = old.ID
			if !b.Update {
				res.Existing++
				continue
			}
			if err := json.Unmarshal([]byte(fields), &old.Fields); err != nil {
				return err
			}
			merged, changed := mergeContact(old, c)
			if !changed {
				res.Existing++
				continue
			}
			f, err := fieldsJSON(merged.Fields)
			if err != nil {
				return err
			}
			if _, err := upd.ExecContext(ctx, merged.Name, merged.Company, merged.Email, merged.Notes, merged.TimeZone, f,
				at, rev, old.ID); err != nil {
				return err
			}
			rev++
			res.Updated++
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
