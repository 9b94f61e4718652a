package contactcsv

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// Options say how a file is read and imported. The zero value reads a
// US file, sniffing its encoding and separator, and skips duplicates.
type Options struct {
	// Country is the country (ISO 3166-1 alpha-2) of numbers written
	// without + and a country code; "" is "US".
	Country string
	// OnDuplicate is what happens to a row whose phone already has a
	// contact: "skip" (the default) or "update" (see dialer.ImportBatch).
	OnDuplicate string
	// List, when set, puts every contact of the file (new, updated or
	// already there) on this list.
	List string
	// DryRun reads, checks and classifies every row, and writes nothing.
	DryRun bool
	// Map binds columns to fields, overriding the header's own names:
	// column (as written, any case) to name, first_name, last_name, phone,
	// company, email, notes, time_zone, ignore or custom:KEY (ParseMap
	// reads --map flags).
	Map map[string]string
	// Encoding is "utf-8", "latin1" or "windows-1252"; "" sniffs it (a BOM
	// says UTF-8 or UTF-16; text that is not valid UTF-8 is Windows-1252).
	Encoding string
	// Delimiter is the separator: ',', ';', '\t' or '|'; 0 takes the one
	// the header line uses most.
	Delimiter rune
	// Rejects, when set, receives the rejects file (see RejectWriter);
	// RejectsName is its name, for Summary.String.
	Rejects     io.Writer
	RejectsName string
	// OnReject, when set, is called with each rejected row as it is read
	// (a command reports it; the row is valid until OnReject returns).
	OnReject func(*Row)
	// Size is the input's size in bytes, for progress, when the reader
	// cannot tell (Import asks an *os.File or a bytes or strings reader).
	Size int64
	// BatchSize is the rows written per transaction (default 20,000).
	BatchSize int
	// Now is the clock of the import (default time.Now).
	Now func() time.Time
}

// DefaultBatchSize is the rows written per transaction: fewer
// transactions write the pages of the phone index (which rows touch in no
// order) fewer times; one holds some 20 MB of a batch in memory.
const DefaultBatchSize = 20000

// Check says what is wrong with the options (an unknown country,
// encoding, separator or duplicate mode), before any file is read.
func (o Options) Check() error {
	_, err := o.normalized()
	return err
}

func (o Options) normalized() (Options, error) {
	if o.Country == "" {
		o.Country = dialer.DefaultRegion
	}
	o.Country = strings.ToUpper(strings.TrimSpace(o.Country))
	if !phonenumbers.GetSupportedRegions()[o.Country] {
		return o, dialer.Errorf(dialer.EINVALID, "country %q is not a known ISO country code (such as US or CA)", o.Country)
	}
	switch o.OnDuplicate = strings.ToLower(o.OnDuplicate); o.OnDuplicate {
	case "":
		o.OnDuplicate = "skip"
	case "skip", "update":
	default:
		return o, dialer.Errorf(dialer.EINVALID, "on duplicate %q: use skip or update", o.OnDuplicate)
	}
	switch strings.ToLower(strings.ReplaceAll(o.Encoding, "_", "-")) {
	case "":
		o.Encoding = ""
	case "utf-8", "utf8":
		o.Encoding = "utf-8"
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		o.Encoding = "latin1"
	case "windows-1252", "cp1252", "win1252":
		o.Encoding = "windows-1252"
	default:
		return o, dialer.Errorf(dialer.EINVALID, "encoding %q: use utf-8, latin1 or windows-1252", o.Encoding)
	}
	switch o.Delimiter {
	case 0, ',', ';', '\t', '|':
	default:
		return o, dialer.Errorf(dialer.EINVALID, "separator %q: use , ; | or a tab", o.Delimiter)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Row is one record of the file, read as a contact.
type Row struct {
	Line     int            // physical line of the file where the record starts
	Contact  dialer.Contact // Phone is E.164 when the row has no problems
	Problems []Problem      // why the row cannot be imported; none for a good row
	cells    []string
}

// Cells are the row's cells, decoded, as the file has them.
func (r *Row) Cells() []string { return r.cells }

// Problem is one reason a row cannot be imported.
type Problem struct {
	Column string `json:"column"` // the column's header ("" for the row as a whole)
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// Reader reads a file of contacts row by row, in bounded memory.
type Reader struct {
	opts     Options
	count    *countingReader
	sc       *scanner
	lay      *layout
	dec      *encoding.Decoder // Windows-1252 or Latin-1 cells; nil for UTF-8
	fallback *encoding.Decoder // auto: a cell that is not UTF-8 is read as Windows-1252
	seen     map[uint64]int32  // phones of good rows -> their line
	zones    map[string]bool
	row      Row
}

// errNoRows is the error of a file that has a header line and no rows.
var errNoRows = dialer.Errorf(dialer.EINVALID, "the file has a header line but no rows")

// NewReader reads the header of a file of contacts. Its errors say why
// the file as a whole cannot be read: empty, not text, no phone column.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	opts, err := opts.normalized()
	if err != nil {
		return nil, err
	}
	rd := &Reader{opts: opts, count: &countingReader{r: r}, seen: map[uint64]int32{}, zones: map[string]bool{}}
	br := bufio.NewReaderSize(rd.count, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, dialer.Wrap(dialer.EINVALID, err, "the file cannot be read")
	}
	bom := false
	switch {
	case len(bytes.TrimSpace(head)) == 0:
		return nil, dialer.Errorf(dialer.EINVALID, "the file is empty")
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
		head = head[3:]
		bom = true
	case bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")):
		// UTF-16, as spreadsheets save "Unicode text": decode it to UTF-8.
		br = bufio.NewReaderSize(transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())), 64<<10)
		if head, err = br.Peek(64 << 10); err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, dialer.Wrap(dialer.EINVALID, err, "the file cannot be read")
		}
		opts.Encoding = "utf-8"
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return nil, dialer.Errorf(dialer.EINVALID, "the file is a zip archive (an .xlsx workbook?), not CSV text; save it as CSV first")
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return nil, dialer.Errorf(dialer.EINVALID, "the file is an .xls workbook, not CSV text; save it as CSV first")
	case bytes.IndexByte(head, 0) >= 0:
		return nil, dialer.Errorf(dialer.EINVALID, "the file is not text (it holds NUL bytes); export it as CSV")
	}
	switch opts.Encoding {
	case "latin1":
		rd.dec = charmap.ISO8859_1.NewDecoder()
	case "windows-1252":
		rd.dec = charmap.Windows1252.NewDecoder()
	case "":
		if !bom && !validPrefix(head) {
			opts.Encoding = "windows-1252"
			rd.dec = charmap.Windows1252.NewDecoder()
		} else {
			rd.fallback = charmap.Windows1252.NewDecoder()
		}
	}
	sep := byte(opts.Delimiter)
	if sep == 0 {
		sep = sniff(head)
	}
	rd.opts = opts
	rd.sc = newScanner(br, sep, 4096)
	var header []string
	for {
		rec, err := rd.sc.next()
		if err == io.EOF {
			return nil, dialer.Errorf(dialer.EINVALID, "the file is empty")
		}
		if err != nil {
			return nil, dialer.Wrap(dialer.EINVALID, err, "the file cannot be read")
		}
		if rec.dropped > 0 {
			return nil, dialer.Errorf(dialer.EINVALID, "the header line has more than %d columns", rd.sc.maxCells)
		}
		if len(rec.big) > 0 || rec.unclosed {
			return nil, dialer.Errorf(dialer.EINVALID, "the header line (line %d) is not a header: it has a value over 64 KiB or a quote never closed", rec.line)
		}
		line := string(rec.buf)
		header = make([]string, rec.cells())
		blank := true
		for i := range header {
			h, _ := rd.text(line, rec, i)
			header[i] = display.UnCSVCell(strings.TrimSpace(h))
			blank = blank && header[i] == ""
		}
		if !blank {
			break
		}
	}
	if rd.lay, err = newLayout(header, opts.Map); err != nil {
		return nil, err
	}
	rd.sc.maxCells = len(header) + 16
	return rd, nil
}

// Header is the file's header line, decoded.
func (rd *Reader) Header() []string { return rd.lay.header }

// BytesRead is how much of the input has been read so far.
func (rd *Reader) BytesRead() int64 { return rd.count.n }

// validPrefix reports whether b is UTF-8, but for a rune cut at its end.
func validPrefix(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for cut := 1; cut < utf8.UTFMax && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return true
		}
	}
	return false
}

// sniff is the separator the first line uses most (outside quotes):
// ',' when none is used, or on a tie.
func sniff(head []byte) byte {
	cands := []byte{',', ';', '\t', '|'}
	var n [4]int
	quoted := false
	for _, c := range head {
		if c == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		for i, s := range cands {
			if c == s {
				n[i]++
			}
		}
	}
	best := 0
	for i := range cands {
		if n[i] > n[best] {
			best = i
		}
	}
	return cands[best]
}

// text is cell i of rec (line is rec.buf as a string), decoded; ok is
// false when the file is UTF-8 by choice and the cell is not.
func (rd *Reader) text(line string, rec *record, i int) (s string, ok bool) {
	start := 0
	if i > 0 {
		start = rec.ends[i-1]
	}
	s = line[start:rec.ends[i]]
	if ascii(s) {
		return s, true
	}
	switch {
	case rd.dec != nil:
		t, err := rd.dec.String(s)
		return t, err == nil
	case utf8.ValidString(s):
		return s, true
	case rd.fallback != nil:
		t, err := rd.fallback.String(s)
		return t, err == nil
	}
	return strings.ToValidUTF8(s, "\uFFFD"), false
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Next reads the next row that is not blank; io.EOF at the end of the
// file. The row is valid until the next call. Problems with the row are
// in Row.Problems, not the error: an error stops the reading.
func (rd *Reader) Next() (*Row, error) {
	for {
		rec, err := rd.sc.next()
		if err != nil {
			if err != io.EOF {
				err = dialer.Wrap(dialer.EINVALID, err, "reading line "+strconv.Itoa(rd.sc.line))
			}
			return nil, err
		}
		if row := rd.read(rec); row != nil {
			return row, nil
		}
	}
}

// read makes rec a row; nil when it is blank.
func (rd *Reader) read(rec *record) *Row {
	line := string(rec.buf) // one allocation: cells are its substrings
	blank := rec.dropped == 0 && !rec.unclosed
	for i := 0; blank && i < rec.cells(); i++ {
		blank = strings.TrimSpace(line[rec.cellStart(i):rec.ends[i]]) == ""
	}
	if blank {
		return nil
	}
	r := &rd.row
	*r = Row{Line: rec.line, cells: r.cells[:0], Problems: r.Problems[:0]}
	lay := rd.lay
	for i := 0; i < rec.cells(); i++ {
		s, ok := rd.text(line, rec, i)
		r.cells = append(r.cells, s)
		if !ok {
			r.problem(lay.name(i), s, "the value is not valid UTF-8 (is the file in another encoding? see --encoding)")
		}
	}
	for _, i := range rec.big {
		r.problem(lay.name(i), clip(r.cells[i]), "the value is larger than 64 KiB (only its first 64 KiB are kept here)")
	}
	if rec.nul {
		r.problem("", "", "the row holds a NUL byte: it is not text")
	}
	if rec.unclosed {
		r.problem("", "", "a quoted value that starts on this row is never closed (a \" is missing)")
	}
	if n := rec.cells() + rec.dropped; n > len(lay.header) {
		extra := rec.dropped > 0
		for i := len(lay.header); i < rec.cells() && !extra; i++ {
			extra = strings.TrimSpace(r.cells[i]) != ""
		}
		if extra {
			r.problem("", "", "the row has "+strconv.Itoa(n)+" values but the header has "+strconv.Itoa(len(lay.header))+
				" columns: a value holding the separator needs quotes")
		}
	}
	get := func(f field) (string, int) {
		if i, ok := lay.byF[f]; ok && i < len(r.cells) {
			return valueOf(r.cells[i]), i
		}
		return "", -1
	}
	c := &r.Contact
	c.Name, _ = get(fName)
	if c.Name == "" {
		first, _ := get(fFirst)
		last, _ := get(fLast)
		c.Name = strings.TrimSpace(first + " " + last)
	}
	c.Company, _ = get(fCompany)
	c.Email, _ = get(fEmail)
	c.Notes, _ = get(fNotes)
	if z, i := get(fZone); z != "" {
		if !rd.zone(z) {
			r.problem(lay.name(i), z, "time zone "+strconv.Quote(z)+" is not a known IANA time zone (such as America/Chicago)")
		} else {
			c.TimeZone = z
		}
	}
	for i, col := range lay.cols {
		if col.f != fCustom || i >= len(r.cells) {
			continue
		}
		if v := valueOf(r.cells[i]); v != "" {
			if c.Fields == nil {
				c.Fields = map[string]string{}
			}
			c.Fields[col.key] = v
		}
	}
	raw, _ := get(fPhone)
	pcol := lay.name(lay.byF[fPhone])
	switch p, err := dialer.ParsePhoneIn(raw, rd.opts.Country); {
	case raw == "":
		r.problem(pcol, "", "no phone number")
	case err != nil:
		r.problem(pcol, raw, dialer.ErrorMessage(err))
	case p.NotLocal() != "":
		r.problem(pcol, raw, p.NotLocal())
	default:
		c.Phone = p.E164
		key, _ := strconv.ParseUint(p.E164[1:], 10, 64)
		if len(r.Problems) > 0 {
			break
		}
		if first, dup := rd.seen[key]; dup {
			r.problem(pcol, raw, "the same phone number ("+p.E164+") as line "+strconv.Itoa(int(first)))
		} else {
			rd.seen[key] = int32(min(r.Line, 1<<31-1))
		}
	}
	return r
}

func (r *Row) problem(col, value, reason string) {
	r.Problems = append(r.Problems, Problem{Column: col, Value: value, Reason: reason})
}

// valueOf is a cell as a contact's field: without surrounding spaces, and
// without the ' that CSVCell puts before = + - @.
func valueOf(cell string) string {
	return display.UnCSVCell(strings.TrimSpace(cell))
}

// clip shortens a value for a problem's Value.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	return strings.ToValidUTF8(s[:80], "") + "…"
}

// zone reports whether name is a time zone time.LoadLocation knows (not
// "Local": the machine's own zone means nothing to a contact).
func (rd *Reader) zone(name string) bool {
	if ok, known := rd.zones[name]; known {
		return ok
	}
	_, err := time.LoadLocation(name)
	ok := err == nil && name != "Local"
	if len(rd.zones) < 10000 {
		rd.zones[name] = ok
	}
	return ok
}

func (r *record) cellStart(i int) int {
	if i == 0 {
		return 0
	}
	return r.ends[i-1]
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// sizeOf is the size of r when it can tell: a regular file, or a reader
// over bytes in memory.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	case interface{ Len() int }:
		return int64(v.Len())
	}
	return 0
}
