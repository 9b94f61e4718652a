package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/dialer-dev/dialer/dialer"
)

const contactCols = "id, name, phone, company, notes, fields, do_not_call, created_at, updated_at"

func scanContact(row scanner) (dialer.Contact, error) {
	var (
		c                dialer.Contact
		fields           string
		dnc              int
		created, updated sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Phone, &c.Company, &c.Notes, &fields, &dnc, &created, &updated); err != nil {
		return c, err
	}
	c.DoNotCall = dnc == 1
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return c, err
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	c.UpdatedAt, err = parseTime(updated)
	return c, err
}

func fieldsJSON(f map[string]string) (string, error) {
	if f == nil {
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

// CreateContact records a new contact.
func (s *DB) CreateContact(ctx context.Context, c dialer.Contact) (dialer.Contact, error) {
	if c.Phone == "" {
		return c, dialer.Errorf(dialer.EINVALID, "contact %s has no phone number", c.Label())
	}
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return c, err
	}
	var out dialer.Contact
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanContact(tx.QueryRowContext(ctx, `INSERT INTO contacts (name, phone, company, notes, fields, do_not_call, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+contactCols, c.Name, c.Phone, c.Company, c.Notes, fields, boolInt(c.DoNotCall),
			fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt)))
		return err
	})
	return out, err
}

// UpdateContact saves a contact's fields.
func (s *DB) UpdateContact(ctx context.Context, c dialer.Contact) (dialer.Contact, error) {
	fields, err := fieldsJSON(c.Fields)
	if err != nil {
		return c, err
	}
	var out dialer.Contact
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanContact(tx.QueryRowContext(ctx, `UPDATE contacts SET name = ?, phone = ?, company = ?, notes = ?, fields = ?,
			do_not_call = ?, updated_at = ? WHERE id = ? RETURNING `+contactCols, c.Name, c.Phone, c.Company, c.Notes, fields,
			boolInt(c.DoNotCall), fmtTime(c.UpdatedAt), c.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", c.ID)
		}
		return err
	})
	return out, err
}

// Contact returns one contact.
func (s *DB) Contact(ctx context.Context, id int64) (dialer.Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", id)
	}
	return c, storeErr(err)
}

// Contacts returns the contacts with these ids, in id order; ids with no
// contact are left out.
func (s *DB) Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ph, args := inList(ids)
	rows, err := s.db.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id IN ("+ph+") ORDER BY id", args...)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanContact)
	return out, storeErr(err)
}

// ContactByPhone finds the oldest contact with this number.
func (s *DB) ContactByPhone(ctx context.Context, e164 string) (dialer.Contact, error) {
	c, err := scanContact(s.db.QueryRowContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE phone = ? ORDER BY id LIMIT 1", e164))
	if errors.Is(err, sql.ErrNoRows) {
		return c, dialer.Errorf(dialer.ENOTFOUND, "no contact with phone %s", e164)
	}
	return c, storeErr(err)
}

// CountContacts is how many contacts there are.
func (s *DB) CountContacts(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM contacts").Scan(&n)
	return n, storeErr(err)
}

// EachContactKey streams what the search index needs of every contact, in
// id order: no notes, fields or times to decode.
func (s *DB) EachContactKey(ctx context.Context, fn func(id int64, name, company, phone string) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, company, phone FROM contacts ORDER BY id")
	if err != nil {
		return storeErr(err)
	}
	defer rows.Close()
	var (
		id                   int64
		name, company, phone string
	)
	for rows.Next() {
		if err := rows.Scan(&id, &name, &company, &phone); err != nil {
			return storeErr(err)
		}
		if err := fn(id, name, company, phone); err != nil {
			return err
		}
	}
	return storeErr(rows.Err())
}

// ContactsByPhonePrefix returns, for up to limit numbers starting with
// prefix, the contact ContactByPhone finds for each (the oldest), in
// phone order: a walk over the phone index that stops at limit numbers, as
// cheap with a million contacts as with ten (shell completion asks it).
func (s *DB) ContactsByPhonePrefix(ctx context.Context, prefix string, limit int) ([]dialer.Contact, error) {
	where, args := "", []any{}
	if prefix != "" {
		where = "WHERE phone >= ?"
		args = append(args, prefix)
		if end, ok := prefixEnd(prefix); ok {
			where += " AND phone < ?"
			args = append(args, end)
		}
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+contactCols+" FROM contacts WHERE id IN "+
		"(SELECT min(id) FROM contacts "+where+" GROUP BY phone ORDER BY phone LIMIT ?) ORDER BY phone", append(args, limit)...)
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
