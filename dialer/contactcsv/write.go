package contactcsv

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// RejectColumns are the columns a rejects file starts with: where the row
// was, which column and why. They come first so that a row with more
// values than the header has columns (one of the reasons) stays aligned;
// an import ignores them, so a fixed rejects file imports as it is.
var RejectColumns = []string{"dialer_reject_line", "dialer_reject_column", "dialer_reject_reason"}

// RejectWriter writes rejected rows as CSV: RejectColumns, then the
// original header and the row's own values, made inert and safe for a
// spreadsheet (display.CSVCell). A row with several problems names every
// column and reason, separated by "; ". Nothing is written until the
// first reject.
type RejectWriter struct {
	cw     *csv.Writer
	header []string
	keep   []int // columns of the original header written (not old reject columns)
	begun  bool
	cells  []string
}

// NewRejectWriter writes rejects of a file with this header to w.
func NewRejectWriter(w io.Writer, header []string) *RejectWriter {
	rw := &RejectWriter{cw: csv.NewWriter(w), header: header}
	for i, h := range header {
		if !rejectColumn(h) {
			rw.keep = append(rw.keep, i)
		}
	}
	return rw
}

// Write writes one rejected row.
func (rw *RejectWriter) Write(row *Row) error {
	if !rw.begun {
		rw.begun = true
		head := slices.Clone(RejectColumns)
		for _, i := range rw.keep {
			head = append(head, display.CSVCell(rw.header[i]))
		}
		if err := rw.cw.Write(head); err != nil {
			return err
		}
	}
	var cols, reasons []string
	for _, p := range row.Problems {
		cols = append(cols, p.Column)
		reasons = append(reasons, p.Reason)
	}
	cells := append(rw.cells[:0], strconv.Itoa(row.Line), display.CSVCell(strings.Join(cols, "; ")), display.CSVCell(strings.Join(reasons, "; ")))
	for _, i := range rw.keep {
		v := ""
		if i < len(row.cells) {
			v = row.cells[i]
		}
		cells = append(cells, display.CSVCell(v))
	}
	for i := len(rw.header); i < len(row.cells); i++ {
		cells = append(cells, display.CSVCell(row.cells[i]))
	}
	rw.cells = cells
	return rw.cw.Write(cells)
}

// Flush writes what is buffered.
func (rw *RejectWriter) Flush() error {
	rw.cw.Flush()
	return rw.cw.Error()
}

// ContactColumns are the first columns WriteContacts writes; custom fields
// follow, sorted by name.
var ContactColumns = []string{"name", "phone", "company", "email", "notes", "time zone"}

// WriteContacts writes contacts as CSV that Import reads back to the same
// contacts: ContactColumns, then a column per custom field. Values are
// made inert and safe for a spreadsheet (display.CSVCell: control
// characters other than line breaks are dropped, and a value starting
// = + - @, a phone's + among them, is written with a ' that Import takes
// off again). Lists are not written: import a file with Options.List to
// put its contacts on one.
func WriteContacts(w io.Writer, contacts []dialer.Contact) error {
	keys := map[string]bool{}
	for _, c := range contacts {
		for k := range c.Fields {
			keys[k] = true
		}
	}
	cw, err := NewContactWriter(w, keys)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		if err := cw.Write(c); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// ContactWriter writes contacts one at a time, as WriteContacts does, for
// more contacts than fit in memory: the custom fields (the columns) are
// known before the first contact.
type ContactWriter struct {
	cw   *csv.Writer
	keys []string
	has  map[string]bool
	row  []string
}

// NewContactWriter writes the header of a file whose contacts have these
// custom fields (keys) to w.
func NewContactWriter(w io.Writer, keys map[string]bool) (*ContactWriter, error) {
	cw := &ContactWriter{cw: csv.NewWriter(w), has: keys}
	for k := range keys {
		cw.keys = append(cw.keys, k)
	}
	slices.Sort(cw.keys)
	head := slices.Clone(ContactColumns)
	for _, k := range cw.keys {
		head = append(head, display.CSVCell(k))
	}
	return cw, cw.cw.Write(head)
}

// Write writes one contact. A custom field the header has no column for
// is an error: the file would lose it.
func (cw *ContactWriter) Write(c dialer.Contact) error {
	for k := range c.Fields {
		if !cw.has[k] {
			return dialer.Errorf(dialer.ECONFLICT, "contact %d has a custom field %q the file has no column for", c.ID, k)
		}
	}
	row := append(cw.row[:0], c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone)
	for _, k := range cw.keys {
		row = append(row, c.Fields[k])
	}
	for i := range row {
		row[i] = display.CSVCell(row[i])
	}
	cw.row = row
	return cw.cw.Write(row)
}

// Flush writes what is buffered.
func (cw *ContactWriter) Flush() error {
	cw.cw.Flush()
	return cw.cw.Error()
}
