// Package contactcsv imports contacts from CSV exports of leads (and
// writes files it reads back).
//
// A file is read as a stream, row by row, in bounded memory whatever its
// size: UTF-8 (with or without a BOM), UTF-16 with a BOM, Latin-1 or
// Windows-1252; comma, semicolon, tab or pipe separated; CRLF, LF or CR
// line ends; quoted values holding separators and line breaks. Blank
// lines are skipped. A row may have fewer values than the header has
// columns (the missing ones are empty); a row with more, when the extra
// values are not empty, is rejected, since a value holding an unquoted
// separator shifts every value after it into the wrong column.
//
// Columns are found by their header (see aliases: "Phone Number",
// "E-mail", "Company Name", "First Name" and "Last Name"...), or bound by
// Options.Map; every other column is a custom field named by its header.
// Values lose surrounding spaces.
//
// A row that cannot be imported is a reject, with the line it starts on
// and why: no phone, not a phone number, a number no agent can call
// (toll-free, premium, outside the US and Canada: dialer.Phone.NotLocal),
// the same phone as an earlier row, a value over 64 KiB, an unknown time
// zone, more values than columns. Rejects are written to a file a person
// can fix and import again (RejectWriter).
//
// Rows whose phone already has a contact are not rejects: they are
// skipped, or update the contact (Options.OnDuplicate).
//
// Memory: the reader holds one row (at most 64 KiB a value) and the
// phones of the rows so far (about 20 bytes each, to find duplicates
// within the file: some 200 MB for ten million rows); the import holds one
// batch of contacts.
package contactcsv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dialer-dev/dialer/dialer"
)

// Store is what an import needs of the contact store (dialer.ContactStore
// has it).
type Store interface {
	// ImportContacts writes one batch in one transaction.
	ImportContacts(ctx context.Context, b dialer.ImportBatch) (dialer.ImportResult, error)
	// ContactIDsByPhone finds which phones already have a contact.
	ContactIDsByPhone(ctx context.Context, phones []string) (map[string]int64, error)
	// Contacts reads the contacts a batch would update (OnDuplicate
	// "update" only), to tell an update from a row that changes nothing.
	Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error)
}

// Summary is what an import did (or, in a dry run, would do).
type Summary struct {
	Rows              int  `json:"rows"`               // rows read (blank lines are not rows)
	Imported          int  `json:"imported"`           // contacts created
	Updated           int  `json:"updated"`            // contacts changed by a row (OnDuplicate "update")
	Unchanged         int  `json:"unchanged"`          // rows whose contact already had every value ("update")
	DuplicatesSkipped int  `json:"duplicates_skipped"` // rows whose phone already had a contact ("skip")
	Rejected          int  `json:"rejected"`           // rows that could not be imported
	Committed         int  `json:"committed"`          // good rows written (whole batches)
	DryRun            bool `json:"dry_run"`
	// RejectsFile names the rejects file (Options.RejectsName), if any.
	RejectsFile string `json:"rejects_file,omitempty"`
}

// String is the summary in a line: "12,482 imported, 37 updated, 211
// duplicates skipped, 19 rejected (see rejects.csv)". Unchanged rows, when
// there are any, are counted after the updated ones ("5 unchanged"); a dry
// run says so first.
func (s Summary) String() string {
	var b strings.Builder
	if s.DryRun {
		b.WriteString("dry run, nothing written: ")
	}
	fmt.Fprintf(&b, "%s imported, %s updated, ", thousands(s.Imported), thousands(s.Updated))
	if s.Unchanged > 0 {
		fmt.Fprintf(&b, "%s unchanged, ", thousands(s.Unchanged))
	}
	fmt.Fprintf(&b, "%s duplicates skipped, %s rejected", thousands(s.DuplicatesSkipped), thousands(s.Rejected))
	if s.Rejected > 0 && s.RejectsFile != "" {
		fmt.Fprintf(&b, " (see %s)", s.RejectsFile)
	}
	return b.String()
}

// thousands writes n with a comma every three digits: 12,482.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Progress is how far an import is.
type Progress struct {
	Rows       int   // rows read
	Rejected   int   // of which rejected
	Committed  int   // good rows written
	BytesRead  int64 // of the input
	BytesTotal int64 // 0 when unknown
}

// Import reads contacts from r and writes them to st, a batch of
// Options.BatchSize good rows per transaction: an import that stops
// leaves whole batches written, and importing the same file again skips
// (or finds unchanged) the rows already written. progress, when not nil,
// is called after each batch and at the end.
//
// The error, if any, says why the file cannot be read at all (empty, not
// text, no phone column), or why the import stopped and how many rows it
// had written. The summary counts what was done until then.
func Import(ctx context.Context, st Store, r io.Reader, opts Options, progress func(Progress)) (Summary, error) {
	size := opts.Size
	if size <= 0 {
		size = sizeOf(r)
	}
	rd, err := NewReader(r, opts)
	if err != nil {
		return Summary{}, err
	}
	opts = rd.opts
	sum := Summary{DryRun: opts.DryRun, RejectsFile: opts.RejectsName}
	var rw *RejectWriter
	if opts.Rejects != nil {
		rw = NewRejectWriter(opts.Rejects, rd.Header())
	}
	flushRejects := func() error {
		if rw == nil {
			return nil
		}
		if err := rw.Flush(); err != nil {
			return dialer.Wrap(dialer.EINTERNAL, err, "writing the rejects file")
		}
		return nil
	}
	// An import that stops part way keeps the rejects it has found: the
	// rows they stand for are not written either way.
	stop := func(err error) (Summary, error) {
		flushRejects()
		return sum, stopped(sum, err)
	}
	report := func() {
		if progress != nil {
			progress(Progress{Rows: sum.Rows, Rejected: sum.Rejected, Committed: sum.Committed, BytesRead: rd.BytesRead(), BytesTotal: size})
		}
	}
	im := &importer{st: st, opts: opts, sum: &sum}
	batch := make([]dialer.Contact, 0, opts.BatchSize)
	for {
		if sum.Rows%256 == 0 {
			if err := ctx.Err(); err != nil {
				return stop(err)
			}
		}
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return stop(err)
		}
		sum.Rows++
		if len(row.Problems) > 0 {
			sum.Rejected++
			if opts.OnReject != nil {
				opts.OnReject(row)
			}
			if rw != nil {
				if err := rw.Write(row); err != nil {
					return stop(dialer.Wrap(dialer.EINTERNAL, err, "writing the rejects file"))
				}
			}
		} else {
			batch = append(batch, row.Contact)
		}
		if len(batch) == opts.BatchSize {
			if err := im.flush(ctx, batch); err != nil {
				return stop(err)
			}
			batch = batch[:0]
			report()
		} else if sum.Rows%opts.BatchSize == 0 {
			report()
		}
	}
	if err := im.flush(ctx, batch); err != nil {
		return stop(err)
	}
	if err := flushRejects(); err != nil {
		return sum, err
	}
	report()
	if sum.Rows == 0 {
		return sum, errNoRows
	}
	return sum, nil
}

// stopped is the error of an import that stopped part way.
func stopped(sum Summary, err error) error {
	again := fmt.Sprintf("stopped after %s rows were committed; run the same command again to import the rest", thousands(sum.Committed))
	if sum.DryRun {
		again = "the dry run stopped after " + thousands(sum.Rows) + " rows"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return dialer.Wrap(dialer.ECANCELED, err, "the import "+again)
	}
	return dialer.Wrap(dialer.ErrorKind(err), err, "the import "+again)
}

type importer struct {
	st   Store
	opts Options
	sum  *Summary
}

// flush classifies a batch against the store and writes it.
func (im *importer) flush(ctx context.Context, batch []dialer.Contact) error {
	if len(batch) == 0 {
		return nil
	}
	update := im.opts.OnDuplicate == "update"
	s := im.sum
	if !update && !im.opts.DryRun {
		// Skipping duplicates needs no look-up first: the store skips
		// (and counts) rows whose phone has a contact, in the same
		// transaction.
		res, err := im.st.ImportContacts(ctx, dialer.ImportBatch{Contacts: batch, List: im.opts.List, At: im.opts.Now().UTC()})
		if err != nil {
			return err
		}
		s.Imported += res.Created
		s.Updated += res.Updated
		s.DuplicatesSkipped += res.Existing
		s.Committed += len(batch)
		return nil
	}
	phones := make([]string, len(batch))
	for i, c := range batch {
		phones[i] = c.Phone
	}
	ids, err := im.st.ContactIDsByPhone(ctx, phones)
	if err != nil {
		return err
	}
	var fresh, dups []dialer.Contact
	for _, c := range batch {
		if _, ok := ids[c.Phone]; ok {
			dups = append(dups, c)
		} else {
			fresh = append(fresh, c)
		}
	}
	var changed, same []dialer.Contact
	if update && len(dups) > 0 {
		want := make([]int64, len(dups))
		for i, c := range dups {
			want[i] = ids[c.Phone]
		}
		old, err := im.st.Contacts(ctx, want)
		if err != nil {
			return err
		}
		byID := make(map[int64]dialer.Contact, len(old))
		for _, o := range old {
			byID[o.ID] = o
		}
		for _, c := range dups {
			if o, ok := byID[ids[c.Phone]]; ok && !changes(o, c) {
				same = append(same, c)
			} else {
				changed = append(changed, c)
			}
		}
	}
	at := im.opts.Now().UTC()
	switch {
	case im.opts.DryRun:
		s.Imported += len(fresh)
		if update {
			s.Updated += len(changed)
			s.Unchanged += len(same)
		} else {
			s.DuplicatesSkipped += len(dups)
		}
		return nil
	default:
		write := append(fresh, changed...)
		if len(write) > 0 {
			res, err := im.st.ImportContacts(ctx, dialer.ImportBatch{Contacts: write, Update: true, List: im.opts.List, At: at})
			if err != nil {
				return err
			}
			s.Imported += res.Created
			s.Updated += res.Updated
			s.Unchanged += res.Existing
		}
		if len(same) > 0 && im.opts.List != "" {
			// Rows that change nothing still go on the list: a second
			// transaction, which only adds list members (an interrupted
			// import adds them when run again).
			res, err := im.st.ImportContacts(ctx, dialer.ImportBatch{Contacts: same, List: im.opts.List, At: at})
			if err != nil {
				s.Committed += len(write)
				return err
			}
			s.Imported += res.Created
			s.Unchanged += res.Existing + res.Updated
		} else {
			s.Unchanged += len(same)
		}
	}
	s.Committed += len(batch)
	return nil
}

// changes reports whether updating old with row (as dialer.ImportBatch
// does: an empty value keeps the old one) changes old.
func changes(old, row dialer.Contact) bool {
	differs := func(o, n string) bool { return n != "" && n != o }
	if differs(old.Name, row.Name) || differs(old.Company, row.Company) || differs(old.Email, row.Email) ||
		differs(old.Notes, row.Notes) || differs(old.TimeZone, row.TimeZone) {
		return true
	}
	for k, v := range row.Fields {
		if differs(old.Fields[k], v) {
			return true
		}
	}
	return false
}
