package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/progress"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/contactcsv"
	"github.com/dialer-dev/dialer/dialer/display"
)

// This file holds `dialer contacts import` and `dialer contacts export`.
// An import is a stream: the file is read row by row and written a batch
// per transaction (dialer/contactcsv), so its memory does not grow with the
// file, and an import stopped part way (Ctrl+C, kill -9, a full disk)
// leaves whole batches behind; running the same command again skips the
// rows already written. The UI's search index needs nothing: every
// imported contact has a new revision, and the index applies the
// revisions after its snapshot's at the next start (index.go).

type importOpts struct {
	maps       []string
	country    string
	onDup      string
	list       string
	dryRun     bool
	rejects    string
	encoding   string
	delimiter  string
	json       bool
	batchSize  int
	noProgress bool
}

func newContactsImportCmd(e *env) *cobra.Command {
	var opts importOpts
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Import contacts from a CSV file (- reads standard input).",
		Long: "Import contacts from a CSV file (- reads standard input).\n\n" +
			"Columns are found by their header (Name or First Name and Last Name, Phone, Company, Email, Notes, Time Zone; " +
			"common variants such as \"Phone Number\" or \"E-mail\" too); --map binds others. Every other column is kept " +
			"as a custom field. The encoding (UTF-8, UTF-16, Latin-1, Windows-1252) and the separator (, ; tab |) are " +
			"found from the file unless given.\n\n" +
			"A row that cannot be imported (no phone, not a phone number, a number no local caller ID exists for, the " +
			"same phone as an earlier row, an unknown time zone...) is reported on stderr with its line, and written " +
			"to --rejects FILE to fix and import again. The good rows are imported. A row whose phone already has a " +
			"contact is skipped, or updates it with --on-duplicate update.\n\n" +
			"Rows are written in batches, one transaction each: an import stopped part way keeps whole batches, and " +
			"running the same command again imports the rest.",
		Example: `dialer contacts import leads.csv
dialer contacts import leads.csv --list spring --rejects rejects.csv
dialer contacts import export.csv --map "Cell=phone" --map "Industry=custom:Sector" --on-duplicate update
crm-export | dialer contacts import - --dry-run --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"contacts import needs one FILE (or - for standard input)"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), e, opts, args[0])
		},
	}
	f := c.Flags()
	f.StringArrayVar(&opts.maps, "map", nil, "bind a column to a field: COLUMN=FIELD (name, first_name, last_name, phone, company, email, notes, time_zone, ignore, custom:NAME); repeatable")
	f.StringVar(&opts.country, "default-country", "US", "country (ISO code) of numbers written without +country code")
	f.StringVar(&opts.onDup, "on-duplicate", "skip", "a row whose phone already has a contact: skip, or update the contact")
	f.StringVar(&opts.list, "list", "", "put every contact of the file on this list (created if need be)")
	f.BoolVar(&opts.dryRun, "dry-run", false, "read and check every row and say what would happen; write nothing to the database")
	f.StringVar(&opts.rejects, "rejects", "", "write the rows that cannot be imported to this CSV file, with why")
	f.StringVar(&opts.encoding, "encoding", "", "the file's encoding: utf-8, latin1 or windows-1252 (default: found from the file)")
	f.StringVar(&opts.delimiter, "delimiter", "", `the separator: , ; | or tab (default: the one the header uses most)`)
	f.IntVar(&opts.batchSize, "batch-size", contactcsv.DefaultBatchSize, "rows written per transaction")
	f.BoolVar(&opts.noProgress, "no-progress", false, "no progress bar, even on a terminal")
	f.MarkHidden("batch-size")
	jsonFlag(c, &opts.json)
	c.MarkFlagFilename("rejects", "csv")
	c.RegisterFlagCompletionFunc("on-duplicate", cobra.FixedCompletions([]string{"skip", "update"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("encoding", cobra.FixedCompletions([]string{"utf-8", "latin1", "windows-1252"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("delimiter", cobra.FixedCompletions([]string{",", ";", "|", "tab"}, cobra.ShellCompDirectiveNoFileComp))
	c.RegisterFlagCompletionFunc("default-country", completeCountries)
	return c
}

// delimiter reads --delimiter.
func delimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "|", "pipe":
		return '|', nil
	case "tab", "\t", `\t`:
		return '\t', nil
	}
	return 0, usageError{fmt.Sprintf("--delimiter %q: use , ; | or tab", s)}
}

// importOptions turns the flags into contactcsv.Options; a mistake is a
// usage error.
func (o importOpts) options() (contactcsv.Options, error) {
	var co contactcsv.Options
	m, err := contactcsv.ParseMap(o.maps)
	if err != nil {
		return co, usageError{dialer.ErrorMessage(err)}
	}
	sep, err := delimiter(o.delimiter)
	if err != nil {
		return co, err
	}
	if o.batchSize < 1 {
		return co, usageError{fmt.Sprintf("--batch-size %d: want 1 or more", o.batchSize)}
	}
	co = contactcsv.Options{Country: o.country, OnDuplicate: o.onDup, List: strings.TrimSpace(o.list), DryRun: o.dryRun,
		Map: m, Encoding: o.encoding, Delimiter: sep, BatchSize: o.batchSize}
	if strings.TrimSpace(o.country) == "" {
		return co, usageError{"--default-country: give an ISO country code, such as US or CA"}
	}
	switch strings.ToLower(o.onDup) {
	case "skip", "update":
	default:
		return co, usageError{fmt.Sprintf("--on-duplicate %q: use skip or update", o.onDup)}
	}
	if err := co.Check(); err != nil {
		msg := dialer.ErrorMessage(err)
		switch {
		case strings.HasPrefix(msg, "country"):
			msg = "--default-country: " + msg
		case strings.HasPrefix(msg, "encoding"):
			msg = "--encoding: " + msg
		}
		return co, usageError{msg}
	}
	if o.list != "" && co.List == "" {
		return co, usageError{"--list: a list needs a name"}
	}
	return co, nil
}

func runImport(ctx context.Context, e *env, o importOpts, name string) error {
	opts, err := o.options()
	if err != nil {
		return err
	}
	var (
		in    io.Reader
		label = name
	)
	if name == "-" {
		in, label = e.stdin, "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return dialer.Wrap(dialer.ENOTFOUND, err, fmt.Sprintf("cannot read %s: %s", name, pathErrText(err)))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return dialer.Errorf(dialer.EINVALID, "%s is a directory, not a CSV file", name)
		}
		in = f
	}
	var rejects *rejectsFile
	if o.rejects != "" {
		if rejects, err = createRejects(o.rejects, name); err != nil {
			return err
		}
		defer rejects.abandon()
		opts.Rejects, opts.RejectsName = rejects, o.rejects
	}

	a, closeAll, err := openStoreApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()

	// Rejects go to stderr as they are found, a line per problem; the
	// progress bar (a terminal only) is cleared around them.
	errw := bufio.NewWriter(e.stderr)
	bar := newImportBar(e, errw, o.noProgress)
	opts.OnReject = func(row *contactcsv.Row) {
		bar.clear()
		for _, p := range row.Problems {
			fmt.Fprintln(errw, rejectLine(row.Line, p))
		}
		if bar.on {
			errw.Flush()
		}
	}
	sum, err := contactcsv.Import(ctx, a.db, in, opts, bar.update)
	bar.clear()
	if ferr := errw.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if rejects != nil {
		if cerr := rejects.finish(sum.Rejected > 0); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		if sum.Rows == 0 && sum.Committed == 0 && dialer.ErrorKind(err) == dialer.EINVALID {
			// The file as a whole: empty, not text, no phone column.
			return dialer.Wrap(dialer.EINVALID, err, label)
		}
		return err
	}
	if o.json {
		return writeJSON(e.stdout, sum)
	}
	_, err = fmt.Fprintln(e.stdout, display.Line(sum.String()))
	return err
}

// rejectLine is one problem of a rejected row, for stderr: where, which
// column, which value and why, inert.
func rejectLine(line int, p contactcsv.Problem) string {
	var b strings.Builder
	b.WriteString("rejected line ")
	b.WriteString(strconv.Itoa(line))
	if p.Column != "" {
		b.WriteString(", column ")
		b.WriteString(strconv.Quote(clipText(p.Column, 40)))
	}
	if p.Value != "" {
		b.WriteString(", value ")
		b.WriteString(strconv.Quote(clipText(p.Value, 60)))
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return display.Line(b.String())
}

// clipText cuts s to at most n runes, marking the cut.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if n == 0 {
			i = k
			break
		}
		n--
	}
	return s[:i] + "…"
}

// pathErrText is an *os.PathError's reason without the path it repeats.
func pathErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// rejectsFile is the --rejects file: written to a temporary file beside
// it and renamed into place at the end, removed when there were no
// rejects (an old rejects file of the same name goes too: it was of an
// earlier run).
type rejectsFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
	done bool
}

func createRejects(path, input string) (*rejectsFile, error) {
	if input != "-" {
		a, errA := os.Stat(path)
		b, errB := os.Stat(input)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return nil, usageError{fmt.Sprintf("--rejects %s is the file being imported", path)}
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, usageError{fmt.Sprintf("--rejects %s is a directory", path)}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, dialer.Wrap(dialer.EINVALID, err, fmt.Sprintf("cannot write the rejects file %s: %s", path, pathErrText(err)))
	}
	return &rejectsFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 64<<10)}, nil
}

func (r *rejectsFile) Write(p []byte) (int, error) { return r.w.Write(p) }

// finish puts the rejects file in place (any rows rejected) or removes it.
func (r *rejectsFile) finish(any bool) error {
	r.done = true
	err := r.w.Flush()
	if cerr := r.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && any {
		err = os.Rename(r.tmp.Name(), r.path)
	} else {
		os.Remove(r.tmp.Name())
		if err == nil {
			if rerr := os.Remove(r.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = rerr
			}
		}
	}
	if err != nil {
		return dialer.Wrap(dialer.EINTERNAL, err, "cannot write the rejects file "+r.path)
	}
	return nil
}

// abandon removes the temporary file of an import that never finished.
func (r *rejectsFile) abandon() {
	if !r.done {
		r.tmp.Close()
		os.Remove(r.tmp.Name())
	}
}

// importBar is the progress bar of an import on a terminal (stderr), drawn
// in place at most ten times a second once the import has run a while,
// and cleared before anything else is written. Off when stderr is not a
// terminal.
type importBar struct {
	on      bool
	w       *bufio.Writer
	width   int
	bar     progress.Model
	profile colorprofile.Profile
	start   time.Time
	last    time.Time
	shown   bool
}

// barDelay is how long an import runs before its bar appears: a small file
// is done before anyone would read one.
var barDelay = 300 * time.Millisecond

func newImportBar(e *env, w *bufio.Writer, off bool) *importBar {
	b := &importBar{w: w, start: time.Now()}
	if off || !isTerminal(e.stderr) {
		return b
	}
	b.on = true
	b.width = 80
	if f, ok := e.stderr.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			b.width = w
		}
	}
	environ := []string{}
	for _, k := range []string{"TERM", "COLORTERM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"} {
		if v := e.getenv(k); v != "" {
			environ = append(environ, k+"="+v)
		}
	}
	b.profile = colorprofile.Detect(e.stderr, environ)
	b.bar = progress.New(progress.WithDefaultBlend(), progress.WithoutPercentage())
	return b
}

// isTerminal says whether w is a terminal (tests give a writer that says
// so).
func isTerminal(w io.Writer) bool {
	switch t := w.(type) {
	case terminal:
		return t.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(t.Fd()))
	}
	return false
}

// update redraws the bar for p, unless it was drawn less than 100 ms ago.
func (b *importBar) update(p contactcsv.Progress) {
	if !b.on {
		return
	}
	now := time.Now()
	if now.Sub(b.start) < barDelay || now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	b.w.WriteString("\r" + b.view(p) + "\x1b[K")
	b.w.Flush()
	b.shown = true
}

// view is the bar's line: the bar when the size is known, the rows read
// and rejected.
func (b *importBar) view(p contactcsv.Progress) string {
	text := fmt.Sprintf(" %s rows", thousands(p.Rows))
	if p.Rejected > 0 {
		text += fmt.Sprintf(", %s rejected", thousands(p.Rejected))
	}
	if p.BytesTotal <= 0 {
		return display.Truncate("importing:"+text, b.width-1)
	}
	pct := min(float64(p.BytesRead)/float64(p.BytesTotal), 1)
	text = fmt.Sprintf(" %3.0f%%", pct*100) + text
	w := min(b.width-1-len(text), 50)
	if w < 10 {
		return display.Truncate(strings.TrimSpace(text), b.width-1)
	}
	b.bar.SetWidth(w)
	var out bytes.Buffer
	cw := &colorprofile.Writer{Forward: &out, Profile: b.profile}
	io.WriteString(cw, b.bar.ViewAs(pct))
	return out.String() + text
}

// clear takes the bar off the screen.
func (b *importBar) clear() {
	if b.shown {
		b.w.WriteString("\r\x1b[K")
		b.w.Flush()
		b.shown = false
	}
}

// thousands writes n with a comma every three digits: 12,482.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && c != '-' && s[i-1] != '-' && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func newContactsExportCmd(e *env) *cobra.Command {
	var opts struct{ list, output string }
	c := &cobra.Command{
		Use:   "export",
		Short: "Export contacts as CSV (all, or one list's) that contacts import reads back.",
		Long: "Export contacts as CSV: name, phone, company, email, notes, time zone, then a column per custom field. " +
			"contacts import reads the file back to the same contacts (lists are not written: import with --list). " +
			"Values are made safe for a spreadsheet: control characters are dropped, and a value starting with = + - @ " +
			"gets a ' in front, which import takes off again.",
		Example: `dialer contacts export > contacts.csv
dialer contacts export --list spring -o spring.csv`,
		Args: noArgs("contacts export takes flags only, e.g. --list NAME -o FILE"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), e, opts.list, opts.output)
		},
	}
	c.Flags().StringVar(&opts.list, "list", "", "only the contacts on this list")
	c.Flags().StringVarP(&opts.output, "output", "o", "", "write to this file (default: standard output)")
	c.MarkFlagFilename("output", "csv")
	return readOnly(c)
}

// exportPage is how many contacts an export reads at a time.
const exportPage = 5000

func runExport(ctx context.Context, e *env, list, output string) error {
	a, closeAll, err := openStoreApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()
	page := func(fn func(dialer.Contact) error) error {
		var after int64
		for {
			cs, err := a.db.ListContacts(ctx, dialer.ContactFilter{List: list, AfterID: after, Limit: exportPage})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if err := fn(c); err != nil {
					return err
				}
			}
			if len(cs) < exportPage {
				return nil
			}
			after = cs[len(cs)-1].ID
		}
	}
	// Two passes, in bounded memory: the custom fields (the columns), then
	// the rows.
	keys := map[string]bool{}
	if err := page(func(c dialer.Contact) error {
		for k := range c.Fields {
			keys[k] = true
		}
		return nil
	}); err != nil {
		return err
	}

	out := e.stdout
	var tmp *os.File
	if output != "" && output != "-" {
		if tmp, err = os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*.tmp"); err != nil {
			return dialer.Wrap(dialer.EINVALID, err, fmt.Sprintf("cannot write %s: %s", output, pathErrText(err)))
		}
		defer func() {
			tmp.Close()
			os.Remove(tmp.Name()) // gone already when renamed
		}()
		out = tmp
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	cw, err := contactcsv.NewContactWriter(bw, keys)
	if err != nil {
		return err
	}
	if err := page(cw.Write); err != nil {
		if dialer.ErrorKind(err) == dialer.ECONFLICT {
			return dialer.Wrap(dialer.ECONFLICT, err, "the contacts changed while they were exported; run the export again")
		}
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), output)
	}
	return nil
}
