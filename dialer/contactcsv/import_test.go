package contactcsv

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

var fixed = func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

// importFile imports testdata/name into st, returning the summary, the
// rejects file's records and the error.
func importFile(t *testing.T, st *memStore, name string, opts Options) (Summary, [][]string, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rej bytes.Buffer
	opts.Rejects, opts.RejectsName, opts.Now = &rej, "rejects.csv", fixed
	sum, err := Import(context.Background(), st, f, opts, nil)
	var recs [][]string
	if rej.Len() > 0 {
		r := csv.NewReader(&rej)
		r.FieldsPerRecord = -1
		if recs, err2 := r.ReadAll(); err2 != nil {
			t.Fatalf("%s: the rejects file is not CSV: %v\n%s", name, err2, rej.String())
		} else {
			return sum, recs, err
		}
	}
	return sum, recs, err
}

// c is a contact as the tests write them.
type c struct {
	Name, Phone, Company, Email, Notes, Zone string
	Fields                                   map[string]string
}

func simple(cs []dialer.Contact) []c {
	var out []c
	for _, x := range cs {
		out = append(out, c{x.Name, x.Phone, x.Company, x.Email, x.Notes, x.TimeZone, x.Fields})
	}
	return out
}

// rej is a reject as the tests expect it: its line, column and a piece
// of its reason.
type rej struct {
	line   string
	column string
	reason string
}

func TestCorpus(t *testing.T) {
	for _, tc := range []struct {
		file     string
		opts     Options
		contacts []c
		rejects  []rej
	}{
		{file: "bom.csv", contacts: []c{{Name: "Ann Lee", Phone: "+14155552671", Fields: map[string]string{"Source": "Web"}}}},
		{file: "latin1-semicolon.csv", opts: Options{Map: map[string]string{"Nom": "name", "téléphone": "phone"}},
			contacts: []c{{Name: "José Núñez", Phone: "+14155552671", Company: "Café Ñandú"}}},
		{file: "windows-1252.csv", contacts: []c{{Name: "Ann", Phone: "+14155552671", Notes: "\u201cVIP\u201d \u2013 pays \u20ac100"}}},
		{file: "crlf-quoted-newline.csv", contacts: []c{
			{Name: "Ann", Phone: "+14155552671", Notes: "line one\nline two, with a comma"},
			{Name: "Bob", Phone: "+12125550143", Notes: `say "hi"`}},
			rejects: []rej{{"5", "Phone", `"12" is not a valid phone number`}}},
		{file: "tab.tsv", contacts: []c{{Name: "Ann", Phone: "+14155552671", Company: "Acme, Inc."}}},
		{file: "pipe.txt", contacts: []c{{Name: "Ann", Phone: "+14155552671", Notes: "a;b,c"}}},
		{file: "blank-lines.csv", contacts: []c{{Name: "Ann", Phone: "+14155552671"}, {Name: "Bob", Phone: "+12125550143"}}},
		{file: "cr-only.csv", contacts: []c{{Name: "Ann", Phone: "+14155552671"}, {Name: "Bob", Phone: "+12125550143"}}},
		{file: "utf16.txt", contacts: []c{{Name: "Zoë", Phone: "+14155552671"}}},
		{file: "huge-field.csv", contacts: []c{{Name: "Bob", Phone: "+12125550143", Notes: "short"}},
			rejects: []rej{{"2", "Notes", "larger than 64 KiB"}}},
		{file: "first-last.csv", contacts: []c{
			{Name: "Ann Lee", Phone: "+14155552671", Email: "ann@example.com", Company: "Acme", Zone: "America/Los_Angeles"},
			{Name: "Solo", Phone: "+12125550143"}}},
		{file: "unknown-columns.csv", contacts: []c{{Phone: "+14155552671",
			Fields: map[string]string{"Industry": "Retail", "Lead Source": "Web", "Score": "7", "Phone": "2125550143"}}}},
		{file: "duplicates.csv", contacts: []c{{Name: "Ann", Phone: "+14155552671"}, {Name: "Bob", Phone: "+12125550143"}},
			rejects: []rej{{"3", "Phone", "same phone number (+14155552671) as line 2"}, {"5", "Phone", "as line 2"}}},
		{file: "bad-phones.csv", contacts: []c{{Name: "Good", Phone: "+16045550100", Zone: "America/Vancouver"}},
			rejects: []rej{
				{"2", "Phone", "no phone number"},
				{"3", "Phone", `"call me" is not a phone number`},
				{"4", "Phone", `"5550100" is not a valid phone number`},
				{"5", "Phone", "short code"},
				{"6", "Phone", "+18005550100 is a toll-free number; no local caller ID exists for it"},
				{"7", "Phone", "+19005550100 is a non-geographic number (premium rate)"},
				{"8", "Phone", "+442079460958 is in GB; local caller IDs are bought for US and Canadian numbers only"},
				{"9", "Phone", "not a valid phone number"},
				{"10", "Phone", "not a valid phone number"},
				{"11", "Time Zone", `time zone "Mars/Olympus" is not a known IANA time zone`},
				{"12", "", "the row has 4 values but the header has 3 columns"},
			}},
		{file: "unclosed-quote.csv", contacts: []c{{Name: "Ann", Phone: "+14155552671", Notes: "ok"}},
			rejects: []rej{{"3", "", "never closed"}}},
		{file: "injection.csv", contacts: []c{{Name: `=HYPERLINK("http://x")`, Phone: "+14155552671", Notes: "@SUM(A1)"}},
			rejects: []rej{{"3", "Phone", "not a phone number"}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			st := newMemStore()
			sum, recs, err := importFile(t, st, tc.file, tc.opts)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if got := simple(st.all()); !reflect.DeepEqual(got, tc.contacts) {
				t.Errorf("contacts:\n got %+v\nwant %+v", got, tc.contacts)
			}
			if sum.Imported != len(tc.contacts) || sum.Rejected != len(tc.rejects) || sum.Rows != len(tc.contacts)+len(tc.rejects) {
				t.Errorf("summary %+v: want %d imported, %d rejected", sum, len(tc.contacts), len(tc.rejects))
			}
			if len(tc.rejects) == 0 {
				if recs != nil {
					t.Errorf("rejects file written with no rejects: %q", recs)
				}
				return
			}
			if len(recs) != len(tc.rejects)+1 || !reflect.DeepEqual(recs[0][:3], RejectColumns) {
				t.Fatalf("rejects file: %q", recs)
			}
			for i, want := range tc.rejects {
				got := recs[i+1]
				if got[0] != want.line || got[1] != want.column || !strings.Contains(got[2], want.reason) {
					t.Errorf("reject %d = %q; want line %s, column %q, reason with %q", i, got[:3], want.line, want.column, want.reason)
				}
			}
		})
	}
}

// Files that cannot be imported at all get one error that says why.
func TestWholeFileErrors(t *testing.T) {
	for file, want := range map[string]string{
		"empty.csv":            "the file is empty",
		"header-only.csv":      "the file has a header line but no rows",
		"binary.bin":           "the file is not text",
		"workbook.xlsx":        "save it as CSV first",
		"latin1-semicolon.csv": `no phone column: the header has "Nom", "Téléphone", "Company"`,
	} {
		st := newMemStore()
		_, _, err := importFile(t, st, file, Options{})
		if err == nil || !strings.Contains(err.Error(), want) || dialer.ErrorKind(err) != dialer.EINVALID {
			t.Errorf("%s: error %v, want %q", file, err, want)
		}
		if len(st.batches) != 0 {
			t.Errorf("%s: %d batches written", file, len(st.batches))
		}
	}
	if _, err := NewReader(strings.NewReader("Name,Phone\nAnn,4155552671\n"), Options{Map: map[string]string{"Cell": "phone"}}); err == nil ||
		!strings.Contains(err.Error(), `the file has no column "Cell" (its columns: "Name", "Phone")`) {
		t.Errorf("--map of a missing column: %v", err)
	}
	if _, err := NewReader(strings.NewReader("Name,Phone\n"), Options{Map: map[string]string{"Name": "nickname"}}); err == nil ||
		!strings.Contains(err.Error(), `"nickname" is not a field`) {
		t.Errorf("--map to an unknown field: %v", err)
	}
}

// A rejects file, fixed, imports as it is: its reject columns are ignored
// and its guarded cells read back as they were.
func TestRejectsFileImportsAgain(t *testing.T) {
	st := newMemStore()
	_, recs, err := importFile(t, st, "bad-phones.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The person fixes the phones and the zone, and drops the extra value.
	fixes := map[string]string{"No Phone": "303-555-0100", "Letters": "303-555-0101", "Short": "303-555-0102",
		"Short code": "303-555-0103", "Toll free": "303-555-0104", "Premium": "303-555-0105", "London": "+1 303 555 0106",
		"Bad area": "303-555-0107", "Bad exchange": "303-555-0108"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for i, r := range recs {
		if i > 0 {
			if p, ok := fixes[r[3]]; ok {
				r[4] = p
			}
			if r[3] == "Bad zone" {
				r[5] = "America/Denver"
			}
			r = r[:6]
		}
		w.Write(r)
	}
	w.Flush()
	var again bytes.Buffer
	sum, err := Import(context.Background(), st, &b, Options{Rejects: &again, Now: fixed}, nil)
	if err != nil || sum.Imported != 11 || sum.Rejected != 0 {
		t.Fatalf("reimport: %+v, %v\n%s", sum, err, again.String())
	}
	for _, c := range st.all() {
		if len(c.Fields) != 0 {
			t.Errorf("%s has custom fields %v: the reject columns were imported", c.Name, c.Fields)
		}
	}
}

// Cells of a rejects file are inert and cannot run in a spreadsheet.
func TestRejectsFileIsInert(t *testing.T) {
	_, recs, err := importFile(t, newMemStore(), "injection.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recs[1][3:], []string{"Eve", "not a number", "'-2+3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rejected row's cells = %q, want %q", got, want)
	}
}

func TestImportTwiceChangesNothing(t *testing.T) {
	for _, mode := range []string{"skip", "update"} {
		st := newMemStore()
		opts := Options{OnDuplicate: mode, List: "spring"}
		first, _, err := importFile(t, st, "crlf-quoted-newline.csv", opts)
		if err != nil || first.Imported != 2 {
			t.Fatalf("%s: first import %+v, %v", mode, first, err)
		}
		before := st.all()
		second, _, err := importFile(t, st, "crlf-quoted-newline.csv", opts)
		if err != nil {
			t.Fatal(err)
		}
		want := Summary{Rows: 3, Rejected: 1, Committed: 2, RejectsFile: "rejects.csv"}
		if mode == "skip" {
			want.DuplicatesSkipped = 2
		} else {
			want.Unchanged = 2
		}
		if second != want {
			t.Errorf("%s: second import %+v, want %+v", mode, second, want)
		}
		if !reflect.DeepEqual(st.all(), before) || len(st.lists["spring"]) != 2 {
			t.Errorf("%s: the second import changed the contacts or the list", mode)
		}
	}
}

func TestUpdateAndDryRun(t *testing.T) {
	st := newMemStore()
	seed := "Name,Phone,Company\nAnn,4155552671,Acme\nBob,2125550143,Bobco\n"
	if _, err := Import(context.Background(), st, strings.NewReader(seed), Options{Now: fixed}, nil); err != nil {
		t.Fatal(err)
	}
	// Ann changes company, Bob is the same (an empty company keeps his),
	// Cy is new, and Cy's second row is a duplicate within the file.
	next := "Name,Phone,Company\nAnn,4155552671,Acme West\nBob,2125550143,\nCy,3035550123,Cyco\nCy 2,303 555 0123,\n"
	for _, c := range []struct {
		opts Options
		want Summary
	}{
		{Options{OnDuplicate: "update", DryRun: true}, Summary{Rows: 4, Imported: 1, Updated: 1, Unchanged: 1, Rejected: 1, DryRun: true}},
		{Options{DryRun: true}, Summary{Rows: 4, Imported: 1, DuplicatesSkipped: 2, Rejected: 1, DryRun: true}},
		{Options{OnDuplicate: "update"}, Summary{Rows: 4, Imported: 1, Updated: 1, Unchanged: 1, Rejected: 1, Committed: 3}},
	} {
		batches := len(st.batches)
		c.opts.Now = fixed
		sum, err := Import(context.Background(), st, strings.NewReader(next), c.opts, nil)
		if err != nil || sum != c.want {
			t.Errorf("%+v: %+v, %v; want %+v", c.opts, sum, err, c.want)
		}
		if c.opts.DryRun && len(st.batches) != batches {
			t.Errorf("a dry run wrote %d batches", len(st.batches)-batches)
		}
	}
	got := simple(st.all())
	want := []c{{Name: "Ann", Phone: "+14155552671", Company: "Acme West"}, {Name: "Bob", Phone: "+12125550143", Company: "Bobco"},
		{Name: "Cy", Phone: "+13035550123", Company: "Cyco"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts %+v, want %+v", got, want)
	}
}

// manyRows is a file of n good rows.
func manyRows(n int) string {
	var b strings.Builder
	b.WriteString("Name,Phone\n")
	for i := range n {
		fmt.Fprintf(&b, "Person %d,(303) %03d-%04d\n", i, 200+i/10000, i%10000)
	}
	return b.String()
}

// An import stopped in its third batch keeps two whole batches, says so,
// and the same command run again imports the rest.
func TestCanceledImportResumes(t *testing.T) {
	st := newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	st.beforeImport = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	file := manyRows(2500)
	var progress []Progress
	sum, err := Import(ctx, st, strings.NewReader(file), Options{BatchSize: 1000, Now: fixed}, func(p Progress) { progress = append(progress, p) })
	if err == nil || dialer.ErrorKind(err) != dialer.ECANCELED ||
		!strings.Contains(err.Error(), "stopped after 2,000 rows were committed; run the same command again to import the rest") {
		t.Fatalf("canceled import: %v", err)
	}
	if len(st.contacts) != 2000 || sum.Committed != 2000 || sum.Imported != 2000 {
		t.Errorf("after cancel: %d contacts, summary %+v", len(st.contacts), sum)
	}
	if len(progress) != 2 || progress[1].Committed != 2000 || progress[1].BytesTotal != int64(len(file)) || progress[1].BytesRead == 0 {
		t.Errorf("progress %+v", progress)
	}
	st.beforeImport = nil
	sum, err = Import(context.Background(), st, strings.NewReader(file), Options{BatchSize: 1000, Now: fixed}, nil)
	if err != nil || sum.Imported != 500 || sum.DuplicatesSkipped != 2000 || len(st.contacts) != 2500 {
		t.Errorf("second run: %+v, %v, %d contacts", sum, err, len(st.contacts))
	}
	last := progress[len(progress)-1]
	if last.BytesRead > last.BytesTotal {
		t.Errorf("progress read %d of %d bytes", last.BytesRead, last.BytesTotal)
	}
}

func TestStoreErrorStopsImport(t *testing.T) {
	st := newMemStore()
	st.failOn, st.failErr = 2, dialer.Errorf(dialer.EUNAVAILABLE, "the database is locked by another program")
	sum, err := Import(context.Background(), st, strings.NewReader(manyRows(1500)), Options{BatchSize: 1000, Now: fixed}, nil)
	if err == nil || dialer.ErrorKind(err) != dialer.EUNAVAILABLE || !strings.Contains(err.Error(), "stopped after 1,000 rows were committed") ||
		!strings.Contains(dialer.ErrorMessage(err), "the database is locked") {
		t.Errorf("error %v", err)
	}
	if sum.Committed != 1000 || len(st.contacts) != 1000 {
		t.Errorf("%+v, %d contacts", sum, len(st.contacts))
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{Imported: 12482, Updated: 37, DuplicatesSkipped: 211, Rejected: 19, RejectsFile: "rejects.csv"}
	if got, want := s.String(), "12,482 imported, 37 updated, 211 duplicates skipped, 19 rejected (see rejects.csv)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	s = Summary{Imported: 1234567, Unchanged: 1000, DryRun: true, RejectsFile: "rejects.csv"}
	if got, want := s.String(), "dry run, nothing written: 1,234,567 imported, 0 updated, 1,000 unchanged, 0 duplicates skipped, 0 rejected"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}

func TestWriteContactsRoundTrip(t *testing.T) {
	in := []dialer.Contact{
		{Name: `Ann "The Closer" O'Neil`, Phone: "+14155552671", Company: "Acme, Inc.", Email: "ann@example.com",
			Notes: "line one\nline two; with \"quotes\"", TimeZone: "America/Los_Angeles",
			Fields: map[string]string{"Industry": "Retail", "Mobile": "+1 212 555 0143", "E-mail": "other@example.com", "Contact": "Bob"}},
		{Name: "Zoë Ñúñez 山田", Phone: "+16045550100", Notes: "=1+1", Fields: map[string]string{"-Tag": "@vip", "First Name": "Zoë"}},
		{Name: "", Phone: "+12125550143", Company: "-minus"},
	}
	var b bytes.Buffer
	if err := WriteContacts(&b, in); err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	sum, err := Import(context.Background(), st, &b, Options{Now: fixed}, nil)
	if err != nil || sum.Imported != len(in) || sum.Rejected != 0 {
		t.Fatalf("Import: %+v, %v", sum, err)
	}
	if got, want := simple(st.all()), simple(in); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

// A file of ragged rows: fewer values are empty, more empty values are
// nothing, more values are a reject.
func TestRaggedRows(t *testing.T) {
	file := "Name,Phone,Company\nAnn,4155552671\nBob,2125550143,Bobco,,\nCy,3035550123,Cyco,extra\n"
	st := newMemStore()
	sum, err := Import(context.Background(), st, strings.NewReader(file), Options{Now: fixed}, nil)
	if err != nil || sum.Imported != 2 || sum.Rejected != 1 {
		t.Errorf("%+v, %v", sum, err)
	}
}

func TestReaderErrorsAreNotCrashes(t *testing.T) {
	// A value of 10 MB without a quote, and one never closed: rejects,
	// held to 64 KiB.
	big := "Name,Phone,Notes\nAnn,4155552671," + strings.Repeat("y", 10<<20) + "\nBob,2125550143,fine\n"
	rd, err := NewReader(strings.NewReader(big), Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := rd.Next()
	if err != nil || len(row.Problems) != 1 || len(row.Cells()[2]) != MaxCell {
		t.Fatalf("big row: %v, %+v", err, row.Problems)
	}
	if cap(rd.sc.rec.buf) > 4*MaxCell {
		t.Errorf("the reader grew to %d bytes for a 10 MB value", cap(rd.sc.rec.buf))
	}
	row, err = rd.Next()
	if err != nil || row.Line != 3 || len(row.Problems) != 0 || row.Contact.Notes != "fine" {
		t.Errorf("row after the big one: %+v, %v", row, err)
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("end: %v", err)
	}

	// A row of 100,000 values: a reject, holding no more than a few
	// values past the header's.
	rd, err = NewReader(strings.NewReader("Name,Phone\nAnn,4155552671"+strings.Repeat(",x", 100000)+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err = rd.Next()
	if err != nil || len(row.Problems) != 1 || !strings.Contains(row.Problems[0].Reason, "the row has 100002 values but the header has 2 columns") {
		t.Fatalf("wide row: %v, %+v", err, row.Problems)
	}
	if n := len(row.Cells()); n > 2+16 {
		t.Errorf("the reader kept %d values of the wide row", n)
	}
}

func TestEncodingAndSeparatorOptions(t *testing.T) {
	// Told UTF-8, a Latin-1 file's rows are rejects that say so.
	st := newMemStore()
	opts := Options{Encoding: "utf-8", Map: map[string]string{"Nom": "name", "T\xe9l\xe9phone": "phone"}}
	_, recs, err := importFile(t, st, "latin1-semicolon.csv", opts)
	if err != nil || len(recs) != 2 || !strings.Contains(recs[1][2], "not valid UTF-8") || len(st.contacts) != 0 {
		t.Errorf("strict UTF-8 on a Latin-1 file: %v, %q", err, recs)
	}
	// Told Latin-1, the same bytes are read as Latin-1.
	st = newMemStore()
	opts = Options{Encoding: "latin1", Map: map[string]string{"Nom": "name", "Téléphone": "phone"}}
	if _, _, err := importFile(t, st, "latin1-semicolon.csv", opts); err != nil || len(st.contacts) != 1 || st.all()[0].Name != "José Núñez" {
		t.Errorf("latin1: %v, %+v", err, st.all())
	}
	// A forced separator wins over the sniffed one: the tab file read
	// with commas has one column, "Name\tPhone\tCompany", and no phone.
	if _, _, err := importFile(t, newMemStore(), "tab.tsv", Options{Delimiter: ','}); err == nil || !strings.Contains(err.Error(), "no phone column") {
		t.Errorf("forced comma on a tab file: %v", err)
	}
	file := "Name,Phone\nAnn,4155552671\nJos\xe9,2125550143\n"
	sum, err := Import(context.Background(), newMemStore(), strings.NewReader(file), Options{Encoding: "utf-8", Now: fixed}, nil)
	if err != nil || sum.Imported != 1 || sum.Rejected != 1 {
		t.Errorf("strict UTF-8: %+v, %v", sum, err)
	}
	// Sniffing finds UTF-8, but a later cell that is not is read as
	// Windows-1252.
	st = newMemStore()
	if _, err := Import(context.Background(), st, strings.NewReader(file), Options{Now: fixed}, nil); err != nil || st.all()[1].Name != "José" {
		t.Errorf("fallback: %v, %+v", err, st.all())
	}
	for _, bad := range []Options{{Encoding: "ebcdic"}, {Delimiter: ':'}, {OnDuplicate: "merge"}, {Country: "XX"}} {
		if _, err := NewReader(strings.NewReader("Phone\n4155552671\n"), bad); err == nil || dialer.ErrorKind(err) != dialer.EINVALID {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// OnReject sees each rejected row as it is read; an import that stops
// part way has written the rejects found so far.
func TestOnRejectAndRejectsOfAStoppedImport(t *testing.T) {
	st := newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	st.beforeImport = func(n int) { cancel() }
	file := "Name,Phone\nBad,12\n" + strings.TrimPrefix(manyRows(1500), "Name,Phone\n")
	var seen []int
	var rej bytes.Buffer
	_, err := Import(ctx, st, strings.NewReader(file), Options{BatchSize: 1000, Now: fixed, Rejects: &rej,
		OnReject: func(r *Row) { seen = append(seen, r.Line) }}, nil)
	if dialer.ErrorKind(err) != dialer.ECANCELED {
		t.Fatalf("error %v", err)
	}
	if !slices.Equal(seen, []int{2}) || !strings.Contains(rej.String(), "2,Phone,") {
		t.Errorf("OnReject saw lines %v; rejects file %q", seen, rej.String())
	}
}

// A ContactWriter refuses a contact with a custom field its header has
// no column for, rather than dropping the value.
func TestContactWriterRefusesUnknownFields(t *testing.T) {
	var b bytes.Buffer
	cw, err := NewContactWriter(&b, map[string]bool{"Industry": true})
	if err != nil {
		t.Fatal(err)
	}
	if err := cw.Write(dialer.Contact{Phone: "+14155552671", Fields: map[string]string{"Industry": "Retail"}}); err != nil {
		t.Fatal(err)
	}
	if err := cw.Write(dialer.Contact{ID: 7, Phone: "+12125550143", Fields: map[string]string{"Score": "9"}}); dialer.ErrorKind(err) != dialer.ECONFLICT {
		t.Errorf("unknown field: %v", err)
	}
	cw.Flush()
	if got := b.String(); got != "name,phone,company,email,notes,time zone,Industry\n,'+14155552671,,,,,Retail\n" {
		t.Errorf("file %q", got)
	}
}
