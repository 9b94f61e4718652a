package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/contactcsv"
	"github.com/dialer-dev/dialer/store"
)

// corpus is the contactcsv test corpus.
var corpus = filepath.Join("..", "..", "dialer", "contactcsv", "testdata")

// csvEnv runs dialer commands against one database file.
type csvEnv struct {
	t    *testing.T
	db   string
	envv map[string]string
}

func newCSVEnv(t *testing.T) *csvEnv { return newCSVEnvOn(t, cmdEngines[0]) }

// newCSVEnvOn is newCSVEnv with its database on engine eng (--db names
// it: a file or a postgres:// URL).
func newCSVEnvOn(t *testing.T, eng cmdEngine) *csvEnv {
	dir := t.TempDir()
	c := &csvEnv{t: t, db: filepath.Join(dir, "dialer.db"), envv: map[string]string{"HOME": dir, "DIALER_DATA_DIR": dir}}
	eng.use(t, c.envv)
	if u := c.envv["DIALER_DATABASE_URL"]; u != "" {
		c.db = u
	}
	return c
}

// run runs dialer --db DB args with stdin; stderr comes back without the
// SANDBOX notice.
func (c *csvEnv) run(stdin io.Reader, stderr io.Writer, args ...string) (int, string, string) {
	c.t.Helper()
	return c.runCtx(context.Background(), stdin, stderr, args...)
}

func (c *csvEnv) runCtx(ctx context.Context, stdin io.Reader, stderr io.Writer, args ...string) (int, string, string) {
	c.t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out bytes.Buffer
	var errOut bytes.Buffer
	if stderr == nil {
		stderr = &errOut
	}
	code := run(ctx, append([]string{"--db", c.db, "--create"}, args...), stdin, &out, stderr, func(k string) string { return c.envv[k] })
	if b, ok := stderr.(interface{ String() string }); ok {
		return code, out.String(), withoutSandbox(b.String())
	}
	return code, out.String(), ""
}

func withoutSandbox(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "SANDBOX: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func (c *csvEnv) open() *store.DB {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

// contacts is every live contact, as the tests compare them: ids and
// times aside, with their lists.
func (c *csvEnv) contacts() []dialer.Contact {
	c.t.Helper()
	db := c.open()
	ctx := context.Background()
	all, err := db.ListContacts(ctx, dialer.ContactFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	for i, x := range all {
		full, err := db.Contact(ctx, x.ID)
		if err != nil {
			c.t.Fatal(err)
		}
		full.ID, full.CreatedAt, full.UpdatedAt = 0, time.Time{}, time.Time{}
		all[i] = full
	}
	slices.SortFunc(all, func(a, b dialer.Contact) int { return strings.Compare(a.Phone, b.Phone) })
	return all
}

func (c *csvEnv) revision() int64 {
	c.t.Helper()
	rev, err := c.open().ContactRevision(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return rev
}

// readRejects reads a rejects file: its header and rows.
func readRejects(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("rejects file %s is not CSV: %v", path, err)
	}
	return recs
}

type wantReject struct{ line, column, reason string }

// 1. The contactcsv corpus through the command: the summary line on
// stdout, each reject on stderr (line, column, value, reason) and in the
// rejects file.
func TestImportCorpusThroughTheCommand(t *testing.T) {
	for _, tc := range []struct {
		file    string
		args    []string
		summary string
		rejects []wantReject
	}{
		{file: "bom.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "latin1-semicolon.csv", args: []string{"--map", "Nom=name", "--map", "Téléphone=phone"},
			summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "windows-1252.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "crlf-quoted-newline.csv", summary: "2 imported, 0 updated, 0 duplicates skipped, 1 rejected (see REJECTS)",
			rejects: []wantReject{{"5", "Phone", `"12" is not a valid phone number`}}},
		{file: "tab.tsv", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "tab.tsv", args: []string{"--delimiter", "tab", "--encoding", "utf-8"}, summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "pipe.txt", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "blank-lines.csv", summary: "2 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "cr-only.csv", summary: "2 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "utf16.txt", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "huge-field.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 1 rejected (see REJECTS)",
			rejects: []wantReject{{"2", "Notes", "larger than 64 KiB"}}},
		{file: "first-last.csv", summary: "2 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "unknown-columns.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 0 rejected"},
		{file: "duplicates.csv", summary: "2 imported, 0 updated, 0 duplicates skipped, 2 rejected (see REJECTS)",
			rejects: []wantReject{{"3", "Phone", "same phone number (+14155552671) as line 2"}, {"5", "Phone", "as line 2"}}},
		{file: "bad-phones.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 11 rejected (see REJECTS)",
			rejects: []wantReject{
				{"2", "Phone", "no phone number"},
				{"3", "Phone", `"call me" is not a phone number`},
				{"4", "Phone", `"5550100" is not a valid phone number`},
				{"5", "Phone", "short code"},
				{"6", "Phone", "toll-free"},
				{"7", "Phone", "premium rate"},
				{"8", "Phone", "is in GB"},
				{"9", "Phone", "not a valid phone number"},
				{"10", "Phone", "not a valid phone number"},
				{"11", "Time Zone", `time zone "Mars/Olympus" is not a known IANA time zone`},
				{"12", "", "the row has 4 values but the header has 3 columns"},
			}},
		{file: "unclosed-quote.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 1 rejected (see REJECTS)",
			rejects: []wantReject{{"3", "", "never closed"}}},
		{file: "injection.csv", summary: "1 imported, 0 updated, 0 duplicates skipped, 1 rejected (see REJECTS)",
			rejects: []wantReject{{"3", "Phone", "not a phone number"}}},
	} {
		t.Run(tc.file+strings.Join(tc.args, ""), func(t *testing.T) {
			c := newCSVEnv(t)
			rejects := filepath.Join(t.TempDir(), "rejects.csv")
			args := append([]string{"contacts", "import", filepath.Join(corpus, tc.file), "--rejects", rejects}, tc.args...)
			code, out, errOut := c.run(nil, nil, args...)
			want := strings.ReplaceAll(tc.summary, "REJECTS", rejects) + "\n"
			if code != 0 || out != want {
				t.Fatalf("exit %d\nstdout %q\nwant   %q\nstderr %s", code, out, want, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if errOut == "" {
				lines = nil
			}
			if len(lines) != len(tc.rejects) {
				t.Fatalf("stderr has %d lines, want one per reject (%d):\n%s", len(lines), len(tc.rejects), errOut)
			}
			for i, r := range tc.rejects {
				prefix := "rejected line " + r.line
				if r.column != "" {
					prefix += `, column "` + r.column + `"`
				}
				if !strings.HasPrefix(lines[i], prefix) || !strings.Contains(lines[i], r.reason) {
					t.Errorf("stderr line %d = %q; want %q… %q", i, lines[i], prefix, r.reason)
				}
			}
			if len(tc.rejects) == 0 {
				if _, err := os.Stat(rejects); !os.IsNotExist(err) {
					t.Errorf("a rejects file was left with no rejects: %v", err)
				}
				return
			}
			recs := readRejects(t, rejects)
			if len(recs) != len(tc.rejects)+1 || !reflect.DeepEqual(recs[0][:3], contactcsv.RejectColumns) {
				t.Fatalf("rejects file %q", recs)
			}
			for i, r := range tc.rejects {
				got := recs[i+1]
				if got[0] != r.line || got[1] != r.column || !strings.Contains(got[2], r.reason) {
					t.Errorf("rejects file row %d = %q, want %v", i+1, got[:3], r)
				}
			}
			// The value is on stderr too (the first bad phone's, say).
			if tc.file == "bad-phones.csv" && !strings.Contains(lines[1], `value "call me"`) {
				t.Errorf("no value in %q", lines[1])
			}
		})
	}
}

// A file that cannot be imported at all is one line on stderr, exit 1,
// nothing written; mistakes in the command line are exit 2.
func TestImportWholeFileErrors(t *testing.T) {
	for file, want := range map[string]string{
		"empty.csv":       "the file is empty",
		"binary.bin":      "the file is not text (it holds NUL bytes); export it as CSV",
		"workbook.xlsx":   "save it as CSV first",
		"header-only.csv": "the file has a header line but no rows",
	} {
		c := newCSVEnv(t)
		path := filepath.Join(corpus, file)
		rejects := filepath.Join(t.TempDir(), "r.csv")
		code, out, errOut := c.run(nil, nil, "contacts", "import", path, "--rejects", rejects)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "dialer: "+path+": ") || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", file, code, out, errOut)
		}
		if n := len(c.contacts()); n != 0 {
			t.Errorf("%s: %d contacts written", file, n)
		}
		if _, err := os.Stat(rejects); !os.IsNotExist(err) {
			t.Errorf("%s: a rejects file was written", file)
		}
	}
	c := newCSVEnv(t)
	code, _, errOut := c.run(nil, nil, "contacts", "import", filepath.Join(t.TempDir(), "missing.csv"))
	if code != 1 || !strings.Contains(errOut, "missing.csv: no such file or directory") {
		t.Errorf("missing file: %d %q", code, errOut)
	}
	file := filepath.Join(corpus, "bom.csv")
	for _, args := range [][]string{
		{"contacts", "import"}, {"contacts", "import", file, file},
		{"contacts", "import", file, "--on-duplicate", "merge"}, {"contacts", "import", file, "--delimiter", ":"},
		{"contacts", "import", file, "--encoding", "ebcdic"}, {"contacts", "import", file, "--default-country", "XX"},
		{"contacts", "import", file, "--map", "Phone"}, {"contacts", "import", file, "--batch-size", "0"},
		{"contacts", "import", file, "--rejects", file}, {"contacts", "export", "extra"},
	} {
		code, out, errOut := c.run(nil, nil, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "dialer: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("dialer %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// A value of 100 MB is one reject, read in bounded memory; the rows
// around it are imported.
func TestImportHundredMegabyteField(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100 MB file")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("Name,Phone,Notes\nAnn,4155552671,")
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 100 {
		f.Write(chunk)
	}
	f.WriteString("\nBob,2125550143,short\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	c := newCSVEnv(t)
	rejects := filepath.Join(dir, "rejects.csv")
	code, out, errOut := c.run(nil, nil, "contacts", "import", path, "--rejects", rejects)
	if want := "1 imported, 0 updated, 0 duplicates skipped, 1 rejected (see " + rejects + ")\n"; code != 0 || out != want {
		t.Fatalf("exit %d: %q\n%s", code, out, errOut)
	}
	if !strings.HasPrefix(errOut, `rejected line 2, column "Notes", value "xxxx`) || !strings.Contains(errOut, "larger than 64 KiB") || len(errOut) > 400 {
		t.Errorf("stderr %q", errOut)
	}
	recs := readRejects(t, rejects)
	if len(recs) != 2 || recs[1][0] != "2" || recs[1][3] != "Ann" || len(recs[1][5]) != contactcsv.MaxCell {
		t.Errorf("rejects file: %d records", len(recs))
	}
	if cs := c.contacts(); len(cs) != 1 || cs[0].Name != "Bob" {
		t.Errorf("contacts %+v", cs)
	}
}

// odd is a file of contacts with custom fields, time zones and values a
// CSV writer has to get right.
const odd = "Name,Phone,Company,Email,Notes,Time Zone,Industry,Score,=Formula\r\n" +
	"\"Ann \"\"The Closer\"\" O'Neil\",(415) 555-2671,\"Acme, Inc.\",ann@example.com,\"line one\nline two; \"\"quoted\"\"\",America/Los_Angeles,Retail,7,=1+1\r\n" +
	"Zoë Ñúñez 山田 🙂,+1 604 555 0100,-minus,,@mention,America/Vancouver,,+3,\r\n" +
	"Bob,212-555-0143,,,,,\"Café, Bar\",,\r\n" +
	"\"\",303 555 0123,Ghost,,  spaced  ,,, ,x\r\n"

// 2. Export writes what import reads back to the same contacts.
func TestExportImportRoundTrip(t *testing.T) { forEngines(t, testExportImportRoundTrip) }

func testExportImportRoundTrip(t *testing.T, eng cmdEngine) {
	a := newCSVEnvOn(t, eng)
	if code, out, errOut := a.run(strings.NewReader(odd), nil, "contacts", "import", "-", "--list", "spring"); code != 0 ||
		out != "4 imported, 0 updated, 0 duplicates skipped, 0 rejected\n" {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	want := a.contacts() // by phone
	if len(want) != 4 || want[2].Fields["=Formula"] != "=1+1" || want[2].Name != "Ann \"The Closer\" O'Neil" ||
		want[3].Name != "Zoë Ñúñez 山田 🙂" || want[3].TimeZone != "America/Vancouver" || want[3].Fields["Score"] != "+3" ||
		want[1].Notes != "spaced" || !slices.Equal(want[0].Lists, []string{"spring"}) {
		t.Fatalf("imported %+v", want)
	}
	exported := filepath.Join(t.TempDir(), "spring.csv")
	if code, out, errOut := a.run(nil, nil, "contacts", "export", "--list", "spring", "-o", exported); code != 0 || out != "" {
		t.Fatalf("export: %d %q %q", code, out, errOut)
	}
	// All contacts to stdout: the same file.
	_, all, _ := a.run(nil, nil, "contacts", "export")
	if b, _ := os.ReadFile(exported); string(b) != all {
		t.Errorf("export -o and export to stdout differ:\n%s\n%s", b, all)
	}
	b := newCSVEnvOn(t, eng)
	if code, out, errOut := b.run(nil, nil, "contacts", "import", exported, "--list", "spring"); code != 0 ||
		out != "4 imported, 0 updated, 0 duplicates skipped, 0 rejected\n" {
		t.Fatalf("import of the export: %d %q %q", code, out, errOut)
	}
	if got := b.contacts(); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if code, _, errOut := a.run(nil, nil, "contacts", "export", "--list", "autumn"); code != 1 || !strings.Contains(errOut, `no list named "autumn"`) {
		t.Errorf("export of a missing list: %d %q", code, errOut)
	}
}

// 3. The same file twice: the second run changes nothing (not a
// revision). A dry run writes nothing and predicts the real run's summary.
func TestImportTwiceAndDryRun(t *testing.T) { forEngines(t, testImportTwiceAndDryRun) }

func testImportTwiceAndDryRun(t *testing.T, eng cmdEngine) {
	c := newCSVEnvOn(t, eng)
	file := filepath.Join(corpus, "bad-phones.csv")
	code, dry, _ := c.run(nil, nil, "contacts", "import", file, "--dry-run")
	if code != 0 || c.revision() != 0 || len(c.contacts()) != 0 {
		t.Fatalf("dry run: exit %d, wrote revision %d", code, c.revision())
	}
	_, real, _ := c.run(nil, nil, "contacts", "import", file, "--list", "x")
	if dry != "dry run, nothing written: "+real {
		t.Errorf("dry run said %q, the import %q", dry, real)
	}
	before, rev := c.contacts(), c.revision()
	for _, mode := range []string{"skip", "update"} {
		_, dry, _ := c.run(nil, nil, "contacts", "import", file, "--list", "x", "--on-duplicate", mode, "--dry-run")
		code, again, errOut := c.run(nil, nil, "contacts", "import", file, "--list", "x", "--on-duplicate", mode)
		want := "0 imported, 0 updated, 1 duplicates skipped, 11 rejected\n"
		if mode == "update" {
			want = "0 imported, 0 updated, 1 unchanged, 0 duplicates skipped, 11 rejected\n"
		}
		if code != 0 || again != want || dry != "dry run, nothing written: "+want {
			t.Errorf("%s again: %d %q (dry run %q), want %q\n%s", mode, code, again, dry, want, errOut)
		}
		if !reflect.DeepEqual(c.contacts(), before) || c.revision() != rev {
			t.Errorf("%s: importing the same file again changed the contacts (revision %d → %d)", mode, rev, c.revision())
		}
	}
	// A changed file: the dry run predicts the update exactly, JSON too.
	next := "Name,Phone,Company\nGood,604-555-0100,New Co\nNew,2125550143,\n"
	code, dry, _ = c.run(strings.NewReader(next), nil, "contacts", "import", "-", "--on-duplicate", "update", "--dry-run", "--json")
	if code != 0 || c.revision() != rev {
		t.Fatalf("dry run wrote: revision %d → %d", rev, c.revision())
	}
	_, real, _ = c.run(strings.NewReader(next), nil, "contacts", "import", "-", "--on-duplicate", "update", "--json")
	var d, r contactcsv.Summary
	if json.Unmarshal([]byte(dry), &d) != nil || json.Unmarshal([]byte(real), &r) != nil {
		t.Fatalf("not JSON: %q %q", dry, real)
	}
	if !d.DryRun || r.DryRun || r.Imported != 1 || r.Updated != 1 || r.Committed != 2 {
		t.Errorf("dry %+v, real %+v", d, r)
	}
	d.DryRun, d.Committed = false, r.Committed
	if d != r {
		t.Errorf("the dry run predicted %+v; the import did %+v", d, r)
	}
}

// ctxAfter cancels its context once more than n bytes were read through it:
// Ctrl+C in the middle of an import.
type ctxAfter struct {
	r      io.Reader
	n      int64
	read   int64
	cancel context.CancelFunc
}

func (c *ctxAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.read += int64(k); c.read > c.n {
		c.cancel()
	}
	return k, err
}

// Ctrl+C (the root's context canceled) stops an import between batches:
// whole batches are kept, the error says how many rows and that the same
// command finishes the job.
func TestImportCanceledResumes(t *testing.T) { forEngines(t, testImportCanceledResumes) }

func testImportCanceledResumes(t *testing.T, eng cmdEngine) {
	c := newCSVEnvOn(t, eng)
	var file bytes.Buffer
	if err := writeLeads(&file, 5000); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rejects := filepath.Join(t.TempDir(), "r.csv")
	stdin := &ctxAfter{r: bytes.NewReader(append(file.Bytes(), "bad,12\n"...)), n: int64(file.Len() / 2), cancel: cancel}
	// The reject is at the end: it is not reached.
	code, out, errOut := c.runCtx(ctx, stdin, nil, "contacts", "import", "-", "--batch-size", "500", "--rejects", rejects)
	n := len(c.contacts())
	if code != 1 || out != "" || n == 0 || n%500 != 0 || n >= 5000 ||
		errOut != fmt.Sprintf("dialer: the import stopped after %s rows were committed; run the same command again to import the rest\n", thousands(n)) {
		t.Fatalf("canceled: exit %d, %d contacts, stdout %q, stderr %q", code, n, out, errOut)
	}
	if _, err := os.Stat(rejects); !os.IsNotExist(err) {
		t.Errorf("a rejects file with no rejects: %v", err)
	}
	code, out, _ = c.run(bytes.NewReader(append(file.Bytes(), "bad,12\n"...)), nil, "contacts", "import", "-", "--batch-size", "500", "--rejects", rejects)
	want := fmt.Sprintf("%s imported, 0 updated, %s duplicates skipped, 1 rejected (see %s)\n", thousands(5000-n), thousands(n), rejects)
	if code != 0 || out != want || len(c.contacts()) != 5000 {
		t.Errorf("again: %d %q, want %q", code, out, want)
	}
}

// ttyBuffer is stderr at a terminal.
type ttyBuffer struct{ bytes.Buffer }

func (*ttyBuffer) IsTerminal() bool { return true }

// On a terminal a long import draws a progress bar in place on stderr,
// cleared before the summary and around rejects; elsewhere nothing.
func TestImportProgressBar(t *testing.T) {
	defer func(d time.Duration) { barDelay = d }(barDelay)
	barDelay = 0
	// A reject half way: the bar is cleared for it and drawn again.
	var leads bytes.Buffer
	writeLeads(&leads, 16000)
	lines := strings.SplitAfter(leads.String(), "\n")
	file := strings.Join(lines[:8001], "") + "Bad,12\n" + strings.Join(lines[8001:], "")
	c := newCSVEnv(t)
	var tty ttyBuffer
	slow := &slowReader{r: strings.NewReader(file), every: 32 << 10, pause: 110 * time.Millisecond}
	code, out, _ := c.run(slow, &tty, "contacts", "import", "-", "--batch-size", "2000")
	errOut := withoutSandbox(tty.String())
	if code != 0 || out != "16,000 imported, 0 updated, 0 duplicates skipped, 1 rejected\n" {
		t.Fatalf("exit %d %q", code, out)
	}
	if strings.Count(errOut, "\r") < 4 || !strings.Contains(errOut, "% 2,000 rows") || !strings.Contains(errOut, "▌░") {
		t.Errorf("no progress bar drawn:\n%q", errOut)
	}
	if !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("the bar was not cleared at the end: %q", errOut[max(0, len(errOut)-80):])
	}
	if !strings.Contains(errOut, "\r\x1b[Krejected line 8002, column \"Phone\"") {
		t.Errorf("the reject was not written on a cleared line: %q", errOut)
	}
	// Not a terminal: the reject only.
	c = newCSVEnv(t)
	_, _, errOut = c.run(&slowReader{r: strings.NewReader(file), every: 32 << 10, pause: 110 * time.Millisecond}, nil, "contacts", "import", "-", "--batch-size", "2000")
	if strings.Contains(errOut, "\r") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("progress drawn on a pipe: %q", errOut)
	}
}

// slowReader pauses every so many bytes: a file on a slow disk (whose
// size is known).
type slowReader struct {
	r     *strings.Reader
	every int
	since int
	pause time.Duration
}

func (s *slowReader) Len() int { return s.r.Len() }

func (s *slowReader) Read(p []byte) (int, error) {
	if s.since >= s.every {
		time.Sleep(s.pause)
		s.since = 0
	}
	n, err := s.r.Read(p[:min(len(p), s.every-s.since)])
	s.since += n
	return n, err
}

// The UI's search index is not rebuilt after an import: its snapshot is
// read and the imported contacts applied from their revisions.
func TestImportReachesTheIndexFromItsSnapshot(t *testing.T) {
	c := newCSVEnv(t)
	c.run(strings.NewReader("Name,Phone\nAnn Archer,2125550101\n"), nil, "contacts", "import", "-")
	db := c.open()
	openTestIndex(t, db, db.InstanceID()) // builds and saves the snapshot
	var file bytes.Buffer
	writeLeads(&file, 300)
	file.WriteString("Zed Zephyrine,3035550199\n")
	if code, _, errOut := c.run(&file, nil, "contacts", "import", "-"); code != 0 {
		t.Fatal(errOut)
	}
	var logs bytes.Buffer
	ix := openIndex(context.Background(), db, db.InstanceID(), db.Path(), 0, slog.New(slog.NewTextHandler(&logs, nil)))
	<-ix.ready
	if !strings.Contains(logs.String(), "contacts index read from its snapshot") || !strings.Contains(logs.String(), "changes_since=301") {
		t.Errorf("the index was not brought up to date from its snapshot:\n%s", logs.String())
	}
	if got := found(t, ix, "zed zephyrine"); ix.ix.Len() != 302 || len(got) == 0 || got[0] != "Zed Zephyrine" {
		t.Errorf("index holds %d contacts; finds %q", ix.ix.Len(), got)
	}
}

// 5. A number on the do-not-call list is imported, shows as do-not-call,
// and a call to it is refused.
func TestImportedDoNotCallNumber(t *testing.T) {
	c := newCallEnv(t)
	if code, _, errOut := c.run("", "agent", "set", "--name", "Fox Mulder", "--phone", "+12025550199"); code != 0 {
		t.Fatal(errOut)
	}
	dbPath := filepath.Join(c.envv["DIALER_DATA_DIR"], "dialer.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddDNC(context.Background(), []string{"+12125550143"}, "asked not to be called", "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := c.runStdin(strings.NewReader("Name,Phone\nDana Scully,(212) 555-0143\nWalter,303-555-0123\n"), "contacts", "import", "-")
	if code != 0 || out != "2 imported, 0 updated, 0 duplicates skipped, 0 rejected\n" {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	who, err := db.ContactByPhone(context.Background(), "+12125550143")
	if err != nil || !who.DoNotCall || who.Name != "Dana Scully" {
		t.Fatalf("imported contact %+v, %v: want it marked do-not-call", who, err)
	}
	if other, _ := db.ContactByPhone(context.Background(), "+13035550123"); other.DoNotCall {
		t.Errorf("%+v marked do-not-call", other)
	}
	code, _, errOut = c.run("", "call", "--contact", fmt.Sprint(who.ID), "--confirm", "auto", "--override-hours", "test")
	if code != 1 || !strings.Contains(errOut, "is on the do-not-call list: asked not to be called") {
		t.Errorf("call to a do-not-call contact: exit %d, %q", code, errOut)
	}
	if calls, _ := db.Calls(context.Background(), dialer.CallFilter{}); len(calls) != 0 {
		t.Errorf("%d calls recorded", len(calls))
	}
}
