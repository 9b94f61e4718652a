package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// paths are where dialer keeps its files.
type paths struct {
	Data   string `json:"data"`
	Config string `json:"config"`
	Log    string `json:"log"` // the log file
	DB     string `json:"db"`  // the database file, or a postgres:// URL
}

// dbShown is where the database is, as it may be shown: a PostgreSQL URL
// without its password.
func (p paths) dbShown() string {
	if store.IsURL(p.DB) {
		return store.RedactURL(p.DB)
	}
	return p.DB
}

// indexBase is the path the contacts index's snapshot is named after: the
// SQLite file's, or for a PostgreSQL database one in the data directory
// named by the database's instance id (a machine keeps the index of each
// team database it has used).
func (p paths) indexBase(db *store.DB) string {
	if db.Engine() == store.Postgres {
		return filepath.Join(p.Data, "postgres-"+db.InstanceID())
	}
	return db.Path()
}

// resolvePaths follows the XDG base directory spec, with DIALER_DATA_DIR
// (data and, unless set otherwise, logs) and --db (a file or a postgres://
// URL) or else DIALER_DATABASE_URL overriding it.
func resolvePaths(e *env) (paths, error) {
	home := e.getenv("HOME")
	xdg := func(envName, fallback string) (string, error) {
		if v := e.getenv(envName); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "dialer"), nil
		}
		if home == "" {
			return "", fmt.Errorf("neither $%s nor $HOME is set; set DIALER_DATA_DIR or pass --db", envName)
		}
		return filepath.Join(home, fallback, "dialer"), nil
	}
	var p paths
	var err error
	if v := e.getenv("DIALER_DATA_DIR"); v != "" {
		if p.Data, err = filepath.Abs(v); err != nil {
			return p, err
		}
	} else if p.Data, err = xdg("XDG_DATA_HOME", ".local/share"); err != nil {
		return p, err
	}
	if p.Config, err = xdg("XDG_CONFIG_HOME", ".config"); err != nil {
		return p, err
	}
	logDir := e.getenv("DIALER_LOG_DIR")
	switch {
	case logDir != "":
	case e.getenv("DIALER_DATA_DIR") != "":
		logDir = p.Data
	default:
		if logDir, err = xdg("XDG_STATE_HOME", ".local/state"); err != nil {
			return p, err
		}
	}
	p.Log = filepath.Join(logDir, "dialer.log")
	p.DB = filepath.Join(p.Data, "dialer.db")
	switch url := e.getenv("DIALER_DATABASE_URL"); {
	case store.IsURL(e.dbPath):
		p.DB = e.dbPath
	case e.dbPath != "":
		if p.DB, err = filepath.Abs(e.dbPath); err != nil {
			return p, err
		}
	case url != "" && !store.IsURL(url):
		return p, dialer.Errorf(dialer.EINVALID, "DIALER_DATABASE_URL must be a postgres:// URL (a file goes in --db)")
	case url != "":
		p.DB = url
	}
	return p, nil
}

// openLogOnly opens the log file alone, for commands without a database.
func openLogOnly(e *env) (paths, *slog.Logger, func(), error) {
	p, err := resolvePaths(e)
	if err != nil {
		return p, nil, nil, err
	}
	log, closeLog := openLogOrNot(e, p.Log)
	return p, log, closeLog, nil
}

// openStore opens the database and a logger writing to the log file. The
// database is created only at its default place or with --create, and
// opened read-only for commands that only read.
func openStore(ctx context.Context, e *env) (*store.DB, *slog.Logger, func(), error) {
	p, err := resolvePaths(e)
	if err != nil {
		return nil, nil, nil, err
	}
	sandbox, _, err := sandboxMode(e)
	if err != nil {
		return nil, nil, nil, err
	}
	logger, closeLog := openLogOrNot(e, p.Log)
	create := e.create || p.DB == filepath.Join(p.Data, "dialer.db")
	db, err := store.OpenWith(ctx, p.DB, store.Options{Create: create, ReadOnly: e.readOnly})
	if errors.Is(err, store.ErrNoDatabase) {
		err = dialer.Errorf(dialer.ENOTFOUND, "no database at %s (use --create to make one)", p.dbShown())
	}
	if err != nil {
		closeLog()
		return nil, nil, nil, err
	}
	if sandbox && !e.ui { // the UI shows SANDBOX in its header
		// On stderr, so that --json output stays clean.
		fmt.Fprintln(e.stderr, "SANDBOX: Twilio is emulated on this machine; nothing is bought or dialed for real.")
	}
	return db, logger, func() { db.Close(); closeLog() }, nil
}

// openLogOrNot opens the log file or, when it cannot be written (a
// read-only data directory), logs nowhere and says so once on stderr: a
// log is no reason to refuse to work.
func openLogOrNot(e *env, path string) (*slog.Logger, func()) {
	log, closeLog, err := openLog(path)
	if err == nil {
		return log, closeLog
	}
	if !e.logOff {
		e.logOff = true
		fmt.Fprintf(e.stderr, "dialer: logging is off for this run: %v\n", err)
	}
	return slog.New(slog.DiscardHandler), func() {}
}

// openLog appends JSON lines to the log file: nothing of dialer's own goes
// to the terminal except command output.
func openLog(path string) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot make the log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write the log file: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, nil)), func() { f.Close() }, nil
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(inertJSON(b), '\n'))
	return err
}

func newDirsCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "dirs",
		Short: "Print where dialer keeps its data, configuration and log.",
		Args:  noArgs("dirs takes no arguments"),
		RunE: func(*cobra.Command, []string) error {
			p, err := resolvePaths(e)
			if err != nil {
				return err
			}
			p.DB = p.dbShown()
			if asJSON {
				return writeJSON(e.stdout, p)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "data\t%s\nconfig\t%s\nlog\t%s\ndb\t%s\n", p.Data, p.Config, p.Log, p.DB)
			return tw.Flush()
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// newVersionCmd prints what --version prints. It takes (and ignores)
// arguments.
func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dialer's version.",
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(e.stdout, "dialer %s\n", version())
			return err
		},
	}
}
