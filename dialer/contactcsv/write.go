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
	var keys []string
	seen := map[string]bool{}
	for _, c := range contacts {
		for k := range c.Fields {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	cw := csv.NewWriter(w)
	head := slices.Clone(ContactColumns)
	for _, k := range keys {
		head = append(head, display.CSVCell(k))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	row := make([]string, len(head))
	for _, c := range contacts {
		row = append(row[:0], c.Name, c.Phone, c.Company, c.Email, c.Notes, c.TimeZone)
		for _, k := range keys {
			row = append(row, c.Fields[k])
		}
		for i := range row {
			row[i] = display.CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
