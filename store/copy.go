package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Copy moves a database's rows into another: a solo install (an SQLite
// file) into a team's PostgreSQL database, the main case; any engine into
// any other works alike.
//
// The destination must be empty, and then takes the source's instance id
// (the numbers the source bought carry it in their provider tag, and
// reconcile recognises only its own database's tags), or already be a copy
// of this source (the same instance id), and then gets only the rows it
// lacks. Any other destination is refused before anything is written.
//
// Tables are copied in foreign-key order, each read in one snapshot of the
// source in key order and written in multi-row INSERT ... ON CONFLICT DO
// NOTHING statements of up to a thousand rows, each chunk its own
// transaction: memory stays bounded, an interruption (a canceled context)
// loses at most the chunk in flight, and running Copy again finishes the
// job without duplicating a row. Ids are kept; PostgreSQL's identity
// sequences are moved past them in the chunk that writes them. A row whose
// key is already in the destination is never changed: it is counted as
// already there, or as different when its values are not the source's
// (both databases changed since the last copy).
//
// progress, if not nil, is called after each chunk with the table and the
// count of its rows read so far.
func Copy(ctx context.Context, from, to *DB, progress func(table string, n int)) (CopyResult, error) {
	res := CopyResult{From: from.path, To: to.path, InstanceID: from.instance}
	if sameDatabase(from, to) {
		return res, dialer.Errorf(dialer.EINVALID, "the source and the destination are the same database (%s)", to.path)
	}
	unlock, err := to.copyLock(ctx)
	if err != nil {
		return res, err
	}
	defer unlock()
	adopted, err := to.adoptInstance(ctx, from.instance)
	if err != nil {
		return res, err
	}
	res.Adopted = adopted
	meta := CopyCount{Table: "meta"}
	if adopted {
		meta.Copied = 1
	} else {
		meta.There = 1
	}
	res.Tables = append(res.Tables, meta)

	// One snapshot of the source: a row read later never refers to one
	// written after an earlier table was read. On SQLite a deferred read
	// transaction (no write lock: the solo install keeps working).
	opts := &sql.TxOptions{ReadOnly: true}
	if from.engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	src, err := from.db.BeginTx(ctx, opts)
	if err != nil {
		return res, copyErr("", storeErr(err))
	}
	defer src.Rollback()
	for _, t := range copyTables {
		c, err := to.copyTable(ctx, src, t, progress)
		res.Tables = append(res.Tables, c)
		if err != nil {
			return res, copyErr(t.name, err)
		}
	}
	return res, nil
}

// CopyResult is what Copy did.
type CopyResult struct {
	From, To   string // where the databases are (a URL without its password)
	InstanceID string // the source's, now the destination's too
	Adopted    bool   // the destination was empty and took the source's instance id
	Tables     []CopyCount
}

// CopyCount is what Copy did to one table ("meta" is the instance id).
type CopyCount struct {
	Table  string
	Copied int // rows written
	There  int // rows whose key was in the destination already, with the same values
	// Differ counts rows whose key was in the destination already with
	// other values (left as they were); FirstDiffer names the first.
	Differ      int
	FirstDiffer string
}

// Totals adds up the counts of every table.
func (r CopyResult) Totals() CopyCount {
	t := CopyCount{Table: "total"}
	for _, c := range r.Tables {
		t.Copied += c.Copied
		t.There += c.There
		t.Differ += c.Differ
	}
	return t
}

// copySpec is a table as Copy moves it.
type copySpec struct {
	name  string
	key   []string // the primary key: conflict target and reading order
	cols  []string // every column, the key's among them
	times []string // the columns holding times (text on SQLite, timestamptz on PostgreSQL)
	// identity: the id is an identity column on PostgreSQL, whose
	// sequence must pass the ids written.
	identity bool
	// rev is a column the destination fills itself: contacts' revision,
	// the order of its own changes that the search index follows.
	rev string
	// data: a row here means the database holds an installation's data
	// (settings and cached rates do not).
	data bool
}

// copyTables are the tables Copy moves, parents before the tables that
// refer to them. TestCopyTablesCoverTheSchema checks them against both
// engines' schemas.
var copyTables = []copySpec{
	{name: "agents", key: []string{"id"}, identity: true, data: true,
		cols:  []string{"id", "name", "phone", "created_at", "role", "active", "updated_at"},
		times: []string{"created_at", "updated_at"}},
	{name: "numbers", key: []string{"id"}, identity: true, data: true,
		cols: []string{"id", "phone_number", "provider_sid", "kind", "status", "country", "area_code",
			"serves_area_code", "region", "locality", "friendly_name", "agent_id", "is_primary",
			"monthly_price", "monthly_currency", "failure_reason", "created_at", "activated_at",
			"reserved_until", "last_used_at", "billing_period_end", "released_at",
			"owner_machine", "owner_pid", "owner_start", "asked_at", "bought_by"},
		times: []string{"created_at", "activated_at", "reserved_until", "last_used_at", "billing_period_end", "released_at", "asked_at"}},
	{name: "charges", key: []string{"id"}, identity: true, data: true,
		cols:  []string{"id", "kind", "number_id", "phone_number", "amount", "currency", "idempotency_key", "created_at", "agent_id"},
		times: []string{"created_at"}},
	{name: "contacts", key: []string{"id"}, identity: true, data: true, rev: "rev",
		cols: []string{"id", "name", "phone", "company", "notes", "fields", "do_not_call", "created_at", "updated_at",
			"email", "time_zone", "deleted_at", "rev"},
		times: []string{"created_at", "updated_at", "deleted_at"}},
	{name: "lists", key: []string{"id"}, identity: true, data: true,
		cols:  []string{"id", "name", "created_at"},
		times: []string{"created_at"}},
	{name: "list_members", key: []string{"list_id", "contact_id"}, data: true,
		cols:  []string{"list_id", "contact_id", "added_at"},
		times: []string{"added_at"}},
	{name: "calls", key: []string{"id"}, identity: true, data: true,
		cols: []string{"id", "contact_id", "agent_name", "agent_phone", "caller_id", "number_id", "new_number", "fee_charge_id",
			"confirm_mode", "outcome", "end_reason", "override_reason", "started_at", "ended_at", "disposition", "account", "agent_id", "direction"},
		times: []string{"started_at", "ended_at"}},
	{name: "legs", key: []string{"call_id", "role"}, data: true,
		cols: []string{"call_id", "role", "sid", "to_number", "status", "answered_by", "started_at", "ended_at", "duration_ms",
			"rate", "rate_currency", "price", "price_currency"},
		times: []string{"started_at", "ended_at"}},
	{name: "rates", key: []string{"prefix"},
		cols:  []string{"prefix", "rate", "currency", "fetched_at"},
		times: []string{"fetched_at"}},
	{name: "settings", key: []string{"key"},
		cols: []string{"key", "value"}},
	{name: "dnc", key: []string{"phone"}, data: true,
		cols:  []string{"phone", "reason", "added_by", "added_at"},
		times: []string{"added_at"}},
	{name: "dnc_events", key: []string{"id"}, identity: true, data: true,
		cols:  []string{"id", "phone", "action", "reason", "by", "at"},
		times: []string{"at"}},
	{name: "callbacks", key: []string{"id"}, identity: true, data: true,
		cols:  []string{"id", "contact_id", "due_at", "note", "created_by", "created_at", "done_at", "done_call", "agent_id"},
		times: []string{"due_at", "created_at", "done_at"}},
}

// copyLeftOut are the tables Copy leaves out on purpose, and why.
var copyLeftOut = map[string]string{
	// A lease is held by a running process of the database it is in (the
	// team's housekeeping, an agent on a call with a contact): the solo
	// install's processes hold none of the team database's, and a copied
	// one would only hold up the team's own until it expired.
	"leases": "held by running processes of one database",
}

// copyChunkRows is the most rows one INSERT of a copy writes.
const copyChunkRows = 1000

// rowsPerInsert keeps an INSERT's bound values under both engines' limits
// (SQLite 32,766, PostgreSQL 65,535).
func (t copySpec) rowsPerInsert() int { return min(copyChunkRows, 30000/len(t.cols)) }

func (t copySpec) colIndex(name string) int {
	for i, c := range t.cols {
		if c == name {
			return i
		}
	}
	return -1
}

// sameDatabase reports whether a and b are one database: the same file,
// or the same URL.
func sameDatabase(a, b *DB) bool {
	if a.engine != b.engine {
		return false
	}
	if a.engine == Postgres {
		return a.path == b.path
	}
	fa, errA := os.Stat(a.path)
	fb, errB := os.Stat(b.path)
	if errA != nil || errB != nil {
		return a.path == b.path
	}
	return os.SameFile(fa, fb)
}

// copyLock lets one copy at a time write into a PostgreSQL database: a
// session advisory lock, released when the copy ends (or its connection
// does). An SQLite destination's writes take turns on its write lock.
func (s *DB) copyLock(ctx context.Context) (unlock func(), err error) {
	if s.engine != Postgres {
		return func() {}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, storeErr(err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtext('dialer:copy'))").Scan(&ok); err != nil {
		conn.Close()
		return nil, storeErr(err)
	}
	if !ok {
		conn.Close()
		return nil, dialer.Errorf(dialer.ECONFLICT, "another copy into %s is running: wait for it to end, then run this one again", s.path)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(hashtext('dialer:copy'))"); err != nil {
			// Never hand a connection that may hold the lock back to the pool.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// adoptInstance makes the database a copy of the installation id: it
// already is (false), or it is empty and takes id (true). A database
// holding another installation's rows is refused, unchanged.
func (s *DB) adoptInstance(ctx context.Context, id string) (bool, error) {
	var adopted bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		adopted = false
		if err := s.mayCopyInto(ctx, tx); err != nil {
			return err
		}
		if s.engine == Postgres {
			// No row can arrive between the check and the update (SQLite's
			// immediate transaction holds the write lock already).
			var names []string
			for _, t := range copyTables {
				names = append(names, t.name)
			}
			if _, err := tx.ExecContext(ctx, "LOCK TABLE meta, "+strings.Join(names, ", ")+" IN SHARE MODE"); err != nil {
				return err
			}
		}
		var cur string
		if err := tx.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&cur); err != nil {
			return err
		}
		if cur == id {
			return nil
		}
		held, err := heldData(ctx, tx)
		if err != nil {
			return err
		}
		if len(held) > 0 {
			return dialer.Errorf(dialer.ECONFLICT,
				"%s holds another installation's data (%s): nothing was written. Its instance id is %s, the source's %s; copy into an empty database, or into one copied from this source before",
				s.path, strings.Join(held, ", "), cur, id)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'instance_id'", id); err != nil {
			return err
		}
		adopted = true
		return nil
	})
	if err != nil {
		return false, err
	}
	if adopted {
		s.instance = id
	}
	return adopted, nil
}

// mayCopyInto refuses, before anything is written, a PostgreSQL user that
// may not write every table or move the id sequences (setval needs UPDATE
// on a sequence, which a dialer_supervisor login lacks): a copy is the
// database owner's work.
func (s *DB) mayCopyInto(ctx context.Context, tx *sql.Tx) error {
	if s.engine != Postgres {
		return nil
	}
	var lacks []string
	for _, t := range append([]copySpec{{name: "meta"}}, copyTables...) {
		q, args := "SELECT has_table_privilege(?, 'INSERT, UPDATE')", []any{t.name}
		if t.identity {
			q += " AND has_sequence_privilege(pg_get_serial_sequence(?, 'id'), 'UPDATE')"
			args = append(args, t.name)
		}
		var ok bool
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			lacks = append(lacks, t.name)
		}
	}
	if len(lacks) == 0 {
		return nil
	}
	var user string
	if err := tx.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
		return err
	}
	return dialer.Errorf(dialer.EREFUSED,
		"the PostgreSQL user %s may not copy into %s: it may not write %s (or move their id sequences): nothing was written. "+
			"Run the copy as the database's owner, the user that created it", user, s.path, strings.Join(lacks, ", "))
}

// heldData counts the rows of the tables that hold an installation's data,
// as "contacts: 12", for the tables that have any.
func heldData(ctx context.Context, tx *sql.Tx) ([]string, error) {
	var held []string
	for _, t := range copyTables {
		if !t.data {
			continue
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s: %d", strings.ReplaceAll(t.name, "_", " "), n))
		}
	}
	return held, nil
}

// copyTable copies the rows of one table that s lacks, read from src in
// key order, a chunk at a time.
func (s *DB) copyTable(ctx context.Context, src *sql.Tx, t copySpec, progress func(string, int)) (CopyCount, error) {
	c := CopyCount{Table: t.name}
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(t.cols, ", ")+" FROM "+t.name+" ORDER BY "+strings.Join(t.key, ", "))
	if err != nil {
		return c, storeErr(err)
	}
	defer rows.Close()
	per := t.rowsPerInsert()
	buf := make([][]any, per)
	ptrs := make([][]any, per)
	for i := range buf {
		buf[i] = make([]any, len(t.cols))
		ptrs[i] = make([]any, len(t.cols))
		for j := range buf[i] {
			ptrs[i][j] = &buf[i][j]
		}
	}
	w := &chunkWriter{s: s, t: t, args: make([]any, 0, per*len(t.cols)), stmts: map[int]string{}}
	n, read := 0, 0
	flush := func() error {
		if err := w.write(ctx, buf[:n], &c); err != nil {
			return err
		}
		read += n
		n = 0
		if progress != nil {
			progress(t.name, read)
		}
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs[n]...); err != nil {
			return c, storeErr(err)
		}
		if n++; n == per {
			if err := flush(); err != nil {
				return c, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return c, storeErr(err)
	}
	if n > 0 {
		return c, flush()
	}
	return c, nil
}

// chunkWriter writes the chunks of one table.
type chunkWriter struct {
	s     *DB
	t     copySpec
	args  []any
	stmts map[int]string // the INSERT of n rows
}

// write inserts the rows the destination lacks in one transaction and,
// once it commits, adds what it did to c.
func (w *chunkWriter) write(ctx context.Context, chunk [][]any, c *CopyCount) error {
	t := w.t
	revAt := -1
	if t.rev != "" {
		revAt = t.colIndex(t.rev)
	}
	var got CopyCount
	err := w.s.bulkTx(ctx, func(tx *sql.Tx) error {
		got = CopyCount{}
		var rev int64
		if revAt >= 0 {
			// The revisions a write takes: after every one committed,
			// under the lock other contact writers take.
			if err := w.s.lock(ctx, tx, lockContacts); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, "SELECT coalesce(max("+t.rev+"), 0) + 1 FROM "+t.name).Scan(&rev); err != nil {
				return err
			}
		}
		w.args = w.args[:0]
		for j, row := range chunk {
			for i, v := range row {
				if i == revAt {
					v = rev + int64(j)
				}
				w.args = append(w.args, writable(v))
			}
		}
		rows, err := tx.QueryContext(ctx, w.insert(len(chunk)), w.args...)
		if err != nil {
			return err
		}
		inserted := make(map[string]bool, len(chunk))
		keys := make([]any, len(t.key))
		kptrs := make([]any, len(t.key))
		for i := range keys {
			kptrs[i] = &keys[i]
		}
		for rows.Next() {
			if err := rows.Scan(kptrs...); err != nil {
				rows.Close()
				return err
			}
			inserted[keyString(keys)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		got.Copied = len(inserted)
		if got.Copied > 0 && t.identity {
			if err := w.s.advanceIDs(ctx, tx, t.name); err != nil {
				return err
			}
		}
		if got.Copied < len(chunk) {
			return w.compare(ctx, tx, chunk, inserted, &got)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Copied += got.Copied
	c.There += got.There
	c.Differ += got.Differ
	if c.FirstDiffer == "" {
		c.FirstDiffer = got.FirstDiffer
	}
	return nil
}

// insert is the INSERT of n rows that skips the rows whose key is taken
// and returns the keys of those it wrote. A row that clashes with another
// on any other unique column is an error, never skipped.
func (w *chunkWriter) insert(n int) string {
	if q, ok := w.stmts[n]; ok {
		return q
	}
	t := w.t
	one := "(" + placeholders(len(t.cols)) + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	key := strings.Join(t.key, ", ")
	b.WriteString(" ON CONFLICT (" + key + ") DO NOTHING RETURNING " + key)
	w.stmts[n] = b.String()
	return w.stmts[n]
}

// compare reads the destination's rows of the chunk's keys that were not
// inserted and counts each as already there or, when its values are not
// the source's, as different.
func (w *chunkWriter) compare(ctx context.Context, tx *sql.Tx, chunk [][]any, inserted map[string]bool, got *CopyCount) error {
	t := w.t
	keyAt := make([]int, len(t.key))
	for i, k := range t.key {
		keyAt[i] = t.colIndex(k)
	}
	keyOf := func(row []any) []any {
		k := make([]any, len(keyAt))
		for i, at := range keyAt {
			k[i] = row[at]
		}
		return k
	}
	// Each key column IN the values it has among the rows skipped: for a
	// two-column key a few more rows than asked, matched below.
	var (
		where []string
		args  []any
		skip  [][]any
	)
	for _, row := range chunk {
		if !inserted[keyString(keyOf(row))] {
			skip = append(skip, row)
		}
	}
	for i, at := range keyAt {
		seen := map[string]bool{}
		var vals []any
		for _, row := range skip {
			if k := keyString(row[at : at+1]); !seen[k] {
				seen[k] = true
				vals = append(vals, writable(row[at]))
			}
		}
		where = append(where, t.key[i]+" IN ("+placeholders(len(vals))+")")
		args = append(args, vals...)
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+strings.Join(t.cols, ", ")+" FROM "+t.name+" WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	have := make(map[string][]any, len(skip))
	for rows.Next() {
		row := make([]any, len(t.cols))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		have[keyString(keyOf(row))] = row
	}
	if err := rows.Err(); err != nil {
		return err
	}
	isTime := make([]bool, len(t.cols))
	for _, c := range t.times {
		isTime[t.colIndex(c)] = true
	}
	revAt := -1
	if t.rev != "" {
		revAt = t.colIndex(t.rev)
	}
	for _, row := range skip {
		k := keyOf(row)
		dst, ok := have[keyString(k)]
		same := true
		for i := range row {
			if ok && i != revAt && canonical(row[i], isTime[i]) != canonical(dst[i], isTime[i]) {
				same = false
				break
			}
		}
		if same {
			got.There++
			continue
		}
		got.Differ++
		if got.FirstDiffer == "" {
			got.FirstDiffer = describeKey(t.key, k)
		}
	}
	return nil
}

// writable is a value read from one engine as the other takes it: times
// (PostgreSQL's time.Time) as the store's text, bytes as text.
func writable(v any) any {
	switch x := v.(type) {
	case time.Time:
		return fmtTime(x)
	case []byte:
		return string(x)
	}
	return v
}

// canonical is a value read from either engine in one form: times as the
// store's text, integers as int64, bytes as text.
func canonical(v any, isTime bool) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(timeLayout)
	case []byte:
		v = string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	if s, ok := v.(string); ok && isTime {
		if t, err := parseTime(sql.NullString{String: s, Valid: true}); err == nil {
			return t.Format(timeLayout)
		}
	}
	return v
}

// keyString is a key's values as one map key.
func keyString(vals []any) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(0)
		}
		fmt.Fprint(&b, canonical(v, false))
	}
	return b.String()
}

// describeKey names a row by its key: "id 7", "call_id 3, role agent".
func describeKey(cols []string, vals []any) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s %v", c, canonical(vals[i], false))
	}
	return strings.Join(parts, ", ")
}

// copyErr says which table a copy stopped in. An interruption keeps its
// context error (the caller tells it apart); it left whole chunks.
func copyErr(table string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	what := "the copy"
	if table != "" {
		what = "copying " + table
	}
	if dialer.ErrorKind(err) == dialer.ECONFLICT {
		return &dialer.Error{Kind: dialer.ECONFLICT, Message: what + ": a row clashes with a different row already in the destination " +
			"(a unique name, phone number or key is taken): both databases changed since the last copy; the rows copied so far are kept", Err: err}
	}
	return &dialer.Error{Kind: dialer.ErrorKind(err), Message: what, Err: err}
}
