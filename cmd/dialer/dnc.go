package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// newDNCCmd is the organization's do-not-call list. Every addition and
// removal is kept as an event: who, when and why.
func newDNCCmd(e *env) *cobra.Command {
	return newGroup("dnc", "The organization's do-not-call list of phone numbers.",
		newDNCAddCmd(e),
		newDNCRmCmd(e),
		newDNCListCmd(e),
		newDNCImportCmd(e),
	)
}

// who names the person behind a change: this machine's agent's name (kept
// in its profile), else the system user.
func who(e *env) string {
	if pr, err := loadProfile(e); err == nil && pr.Name != "" {
		return pr.Name
	}
	if u := e.getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// dncPhone reads a number for the do-not-call list: any valid number, in
// any common formatting, US when it has no country code. A line of a
// registry download ("212,5550143") is read by its digits.
func dncPhone(raw string) (string, error) {
	p, err := dialer.ParsePhone(raw)
	if err != nil && !strings.HasPrefix(strings.TrimSpace(raw), "+") {
		// "212,5550143", `"2125550143"`, "212.555.0143 " and the like.
		if d := digitsOnly(raw); d != "" && d != raw {
			if q, err2 := dialer.ParsePhone(d); err2 == nil {
				return q.E164, nil
			}
		}
	}
	if err != nil {
		return "", err
	}
	return p.E164, nil
}

// dncPhones reads the NUMBER arguments of dnc add: each once, in order.
func dncPhones(args []string) ([]string, error) {
	seen := make(map[string]bool, len(args))
	phones := make([]string, 0, len(args))
	for _, a := range args {
		p, err := dncPhone(a)
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			phones = append(phones, p)
		}
	}
	return phones, nil
}

func newDNCAddCmd(e *env) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:     "add NUMBER... [--reason TEXT]",
		Short:   "Put numbers on the do-not-call list: no path of dialer calls them.",
		Example: `dialer dnc add "(212) 555-0143" --reason "asked by email on 2026-12-01"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{"dnc add needs a phone number, e.g. dialer dnc add +12125550143 --reason \"asked not to be called\""}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			phones, err := dncPhones(args)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			n, err := db.AddDNC(ctx, phones, strings.TrimSpace(reason), who(e), time.Now().UTC())
			if err != nil {
				return err
			}
			msg := countOf(n, "number", "numbers") + " added to the do-not-call list"
			if already := len(phones) - n; already > 0 {
				msg += " (" + countOf(already, "number was", "numbers were") + " already on it)"
			}
			_, err = fmt.Fprintln(e.stdout, msg+".")
			return err
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (kept with who and when)")
	return c
}

func newDNCRmCmd(e *env) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:     "rm NUMBER --reason TEXT",
		Short:   "Take a number off the do-not-call list (a reason is required and kept).",
		Example: `dialer dnc rm +12125550143 --reason "opted in again by phone on 2026-12-04"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"dnc rm takes one phone number"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageError{"dnc rm needs --reason: why may this number be called again?"}
			}
			p, err := dncPhone(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if err := db.RemoveDNC(ctx, p, strings.TrimSpace(reason), who(e), time.Now().UTC()); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s is off the do-not-call list.\n", p)
			return err
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why it may be called again (required; kept with who and when)")
	return c
}

type dncJSON struct {
	Phone   string    `json:"phone"`
	Reason  string    `json:"reason"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

type dncEventJSON struct {
	Phone  string    `json:"phone"`
	Action string    `json:"action"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

func newDNCListCmd(e *env) *cobra.Command {
	var (
		asJSON, history bool
		limit           int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List the numbers on the do-not-call list, newest first (--history: every addition and removal).",
		Args:  noArgs("dnc list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageError{fmt.Sprintf("--limit %d: want 0 (all) or more", limit)}
			}
			if history && cmd.Flags().Changed("limit") {
				return usageError{"dnc list --history shows every event; --limit is for the list of numbers"}
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if history {
				evs, err := db.DNCEvents(ctx, "")
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]dncEventJSON, 0, len(evs))
					for _, ev := range evs {
						out = append(out, dncEventJSON{ev.Phone, string(ev.Action), ev.Reason, ev.By, ev.At.UTC()})
					}
					return writeJSON(e.stdout, out)
				}
				if len(evs) == 0 {
					_, err := fmt.Fprintln(e.stdout, "No number was ever put on the do-not-call list.")
					return err
				}
				var tw table // names and reasons shown inert
				tw.row("WHEN", "NUMBER", "WHAT", "BY", "REASON")
				for _, ev := range evs {
					tw.row(localTime(ev.At), ev.Phone, string(ev.Action), ev.By, ev.Reason)
				}
				return tw.flush(e.stdout)
			}
			list, err := db.DNCList(ctx, limit)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]dncJSON, 0, len(list))
				for _, d := range list {
					out = append(out, dncJSON{d.Phone, d.Reason, d.AddedBy, d.AddedAt.UTC()})
				}
				return writeJSON(e.stdout, out)
			}
			if len(list) == 0 {
				_, err := fmt.Fprintln(e.stdout, "The do-not-call list is empty.")
				return err
			}
			var tw table
			tw.row("NUMBER", "ADDED", "BY", "REASON")
			for _, d := range list {
				tw.row(d.Phone, localTime(d.AddedAt), d.AddedBy, d.Reason)
			}
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().BoolVar(&history, "history", false, "every addition and removal, oldest first: who, when and why")
	c.Flags().IntVar(&limit, "limit", 0, "show at most this many numbers (0: all)")
	return readOnly(c)
}

// dncBatch is how many numbers of an import one transaction adds.
const dncBatch = 10_000

func newDNCImportCmd(e *env) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "import FILE",
		Short: "Add every number of a file to the do-not-call list (one a line; - reads stdin).",
		Long: "Add every number of a file to the do-not-call list: one number a line, in any common\n" +
			"formatting (\"(212) 555-0143\", \"212-555-0143\", \"+1 212 555 0143\", or a national registry\n" +
			"download's \"212,5550143\"). Blank lines and lines starting with # are skipped, and so is a\n" +
			"first line without digits (a header). A line that is not a phone number is reported on\n" +
			"stderr with its line number, and the other numbers are added. Numbers are added in\n" +
			"batches of 10,000, each in one transaction.",
		Example: `dialer dnc import national-registry.txt --reason "national registry, 2026-12"
grep -v '^#' numbers.txt | dialer dnc import - --reason "complaints"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"dnc import takes one file (- for stdin)"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = e.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return dialer.Errorf(dialer.EINVALID, "cannot read %s: %v", args[0], pathCause(err))
				}
				defer f.Close()
				r = f
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			by, at, why := who(e), time.Now().UTC(), strings.TrimSpace(reason)
			res, err := importDNC(ctx, r, func(phones []string) (int, error) {
				return db.AddDNC(ctx, phones, why, by, at)
			}, func(line int, err error) {
				fmt.Fprintf(e.stderr, "line %d: %s\n", line, display.Line(dialer.ErrorMessage(err)))
			})
			summary := fmt.Sprintf("%s added to the do-not-call list, %s already on it, %s repeated in the file, %s rejected",
				countOf(res.added, "number", "numbers"), commas(res.already), commas(res.repeated), countOf(res.rejected, "line", "lines"))
			fmt.Fprintln(e.stdout, summary+".")
			if err != nil && ctx.Err() != nil {
				return dialer.Errorf(dialer.ECANCELED, "stopped; the numbers of the first %s lines were added: run the same command again to add the rest",
					commas(res.committedLines))
			}
			return err
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (kept with every number, with who and when)")
	return c
}

// pathCause is what went wrong with a file, without the path that the
// message names already ("no such file or directory").
func pathCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type dncImportResult struct {
	added, already, repeated, rejected int
	committedLines                     int // lines whose numbers are in the database
}

// importDNC reads numbers a line at a time and adds them in batches of
// dncBatch; a line that is not a number goes to reject and is counted.
func importDNC(ctx context.Context, r io.Reader, add func([]string) (int, error), reject func(line int, err error)) (dncImportResult, error) {
	var res dncImportResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	batch := make([]string, 0, dncBatch)
	seen := map[string]bool{}
	line := 0
	flush := func() error {
		if len(batch) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := add(batch)
			if err != nil {
				return err
			}
			res.added += n
			res.already += len(batch) - n
			batch = batch[:0]
			clear(seen)
		}
		res.committedLines = line
		return nil
	}
	for sc.Scan() {
		line++
		raw := sc.Text()
		if strings.IndexByte(raw, 0) >= 0 {
			return res, dialer.Errorf(dialer.EINVALID, "line %d holds binary data: this is not a text list of phone numbers", line)
		}
		text := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if line == 1 && !strings.ContainsAny(text, "0123456789") {
			continue // a header row
		}
		p, err := dncPhone(text)
		if err != nil {
			res.rejected++
			reject(line, dialer.Errorf(dialer.EINVALID, "%s is not a phone number", strconv.Quote(text)))
			continue
		}
		if seen[p] {
			res.repeated++
			continue
		}
		seen[p] = true
		batch = append(batch, p)
		if len(batch) == dncBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return res, dialer.Errorf(dialer.EINVALID, "line %d is longer than 64 KiB: this is not a list of phone numbers", line+1)
		}
		return res, err
	}
	if line == 0 {
		return res, dialer.Errorf(dialer.EINVALID, "the file is empty: no numbers to add")
	}
	return res, flush()
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// countOf is "1 number" or "12,482 numbers".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return commas(n) + " " + many
}

// commas writes n with thousands separators: 12,482.
func commas(n int) string {
	if n < 0 {
		return "-" + commas(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
