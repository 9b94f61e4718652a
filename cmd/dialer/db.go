package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/store"
)

// newDBCmd is the database itself: moving a solo install to a team's.
func newDBCmd(e *env) *cobra.Command {
	return newGroup("db", "The database itself: copy a solo install's into a team's PostgreSQL database.",
		newDBCopyCmd(e),
	)
}

type dbCopyTableJSON struct {
	Table        string `json:"table"`
	Copied       int    `json:"copied"`
	AlreadyThere int    `json:"already_there"`
	Differ       int    `json:"differ"`
	FirstDiffer  string `json:"first_differ,omitempty"`
}

type dbCopyJSON struct {
	From         string            `json:"from"`
	To           string            `json:"to"`
	InstanceID   string            `json:"instance_id"`
	Adopted      bool              `json:"adopted"`
	Tables       []dbCopyTableJSON `json:"tables"`
	Copied       int               `json:"copied"`
	AlreadyThere int               `json:"already_there"`
	Differ       int               `json:"differ"`
}

func newDBCopyCmd(e *env) *cobra.Command {
	var (
		from, to string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "copy --from FILE --to URL",
		Short: "Copy a solo install's database into a team's (again: only what is missing).",
		Long: "Copy every row of one database into another: a solo install's SQLite file into a team's PostgreSQL database " +
			"(numbers, charges, contacts, lists, calls and their legs, rates, settings, the do-not-call list and its history, " +
			"callbacks, agents), keeping ids.\n\n" +
			"The destination must be empty, and then takes the solo install's identity (the numbers it bought stay " +
			"recognised), or be a copy of the same install, and then gets only the rows it lacks: stopped part way " +
			"(Ctrl-C), the same command again finishes the job, and a copy run twice changes nothing. A database holding " +
			"another installation's data is refused, with nothing written. A --to file that does not exist is created; a " +
			"PostgreSQL database must exist (createdb). Rows already in the destination are never changed.",
		Example: `dialer db copy --from ~/.local/share/dialer/dialer.db --to postgres://ann@db.example:5432/team
dialer db copy --from dialer.db --to "$DIALER_DATABASE_URL" --json`,
		Args: noArgs("db copy takes no arguments: name the databases with --from and --to"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(from) == "" || strings.TrimSpace(to) == "" {
				return usageError{"db copy needs --from (the solo install's database file) and --to (the team's postgres:// URL)"}
			}
			ctx := cmd.Context()
			src, err := store.OpenWith(ctx, from, store.Options{ReadOnly: true})
			if err != nil {
				return dbFlagErr("--from", err)
			}
			defer src.Close()
			dst, err := store.Open(ctx, to)
			if err != nil {
				return dbFlagErr("--to", err)
			}
			defer dst.Close()
			line := newStatusLine(e)
			res, err := store.Copy(ctx, src, dst, func(table string, n int) {
				line.show(fmt.Sprintf("copying %s: %s rows", strings.ReplaceAll(table, "_", " "), thousands(n)))
			})
			line.clear()
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return &dialer.Error{Kind: dialer.ECANCELED, Message: "the copy was interrupted: the rows copied so far are kept; " +
					"run the same command again to finish it"}
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, copyJSON(res))
			}
			return printCopy(e.stdout, res)
		},
	}
	c.Flags().StringVar(&from, "from", "", "the database to copy: a solo install's file (see dialer dirs), or a postgres:// URL")
	c.Flags().StringVar(&to, "to", "", "the database to copy into: a team's postgres:// URL, or a file")
	jsonFlag(c, &asJSON)
	c.MarkFlagFilename("from", "db", "sqlite", "sqlite3")
	return c
}

// dbFlagErr names the flag whose database could not be opened, before the
// store's sentence (which never holds a URL's password).
func dbFlagErr(flag string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, store.ErrNoDatabase) && flag == "--from" {
		return &dialer.Error{Kind: dialer.ErrorKind(err), Message: flag + ": " + dialer.ErrorMessage(err) +
			" (a solo install's database is dialer.db in its data directory: see dialer dirs)", Err: err}
	}
	return &dialer.Error{Kind: dialer.ErrorKind(err), Message: flag, Err: err}
}

func copyJSON(res store.CopyResult) dbCopyJSON {
	tot := res.Totals()
	out := dbCopyJSON{From: res.From, To: res.To, InstanceID: res.InstanceID, Adopted: res.Adopted,
		Tables: []dbCopyTableJSON{}, Copied: tot.Copied, AlreadyThere: tot.There, Differ: tot.Differ}
	for _, c := range res.Tables {
		out.Tables = append(out.Tables, dbCopyTableJSON{Table: c.Table, Copied: c.Copied, AlreadyThere: c.There,
			Differ: c.Differ, FirstDiffer: c.FirstDiffer})
	}
	return out
}

// printCopy says what a copy did: where, whose identity, and a line a
// table.
func printCopy(w io.Writer, res store.CopyResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Copied %s into %s.\n", display.Line(res.From), display.Line(res.To))
	if res.Adopted {
		fmt.Fprintf(&b, "The destination was empty and took this install's identity (instance %s): the numbers it bought stay recognised.\n", res.InstanceID)
	} else {
		fmt.Fprintf(&b, "The destination was already a copy of this install (instance %s): only what it lacked was copied.\n", res.InstanceID)
	}
	tot := res.Totals()
	width := len(fmt.Sprint(max(tot.Copied, tot.There)))
	var t table
	row := func(c store.CopyCount) {
		name := strings.ReplaceAll(c.Table, "_", " ")
		if c.Table == "meta" {
			name = "instance id"
		}
		cells := []string{name,
			fmt.Sprintf("%*d copied", width, c.Copied), fmt.Sprintf("%*d already there", width, c.There)}
		if c.Differ > 0 {
			cells = append(cells, fmt.Sprintf("%d differ (first: %s)", c.Differ, c.FirstDiffer))
		}
		t.row(cells...)
	}
	for _, c := range res.Tables {
		row(c)
	}
	row(tot)
	if err := t.flush(&b); err != nil {
		return err
	}
	if tot.Differ > 0 {
		fmt.Fprintf(&b, "%s already in the destination with other values left as they are: both databases changed since the last copy.\n",
			countOf(tot.Differ, "row was", "rows were"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// statusLine is one line of progress on a terminal (stderr), redrawn in
// place at most ten times a second and cleared at the end; nothing when
// stderr is not a terminal.
type statusLine struct {
	w     io.Writer
	on    bool
	last  time.Time
	shown bool
}

func newStatusLine(e *env) *statusLine {
	return &statusLine{w: e.stderr, on: isTerminal(e.stderr)}
}

func (s *statusLine) show(text string) {
	if !s.on || time.Since(s.last) < 100*time.Millisecond {
		return
	}
	s.last = time.Now()
	io.WriteString(s.w, "\r"+display.Line(text)+"\x1b[K")
	s.shown = true
}

func (s *statusLine) clear() {
	if s.shown {
		io.WriteString(s.w, "\r\x1b[K")
		s.shown = false
	}
}
