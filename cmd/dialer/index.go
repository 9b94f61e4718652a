package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
)

// contactIndex is the search index of the contacts and the database
// revision it reflects. At start-up it is read from a snapshot file beside
// the database (a fraction of a second at a million contacts) and brought
// up to date with the contacts changed since; without a usable snapshot it
// is built from the rows in the background. Changes are applied one
// contact at a time, never by rebuilding.
type contactIndex struct {
	ix    *search.Index
	dir   *search.Directory
	rev   atomic.Int64 // the revision the index holds every change up to
	ready chan struct{}

	db       dialer.ContactStore
	instance string
	path     string // the snapshot file
	log      *slog.Logger

	mu    sync.Mutex // one Sync or save at a time
	saved int64      // the revision of the snapshot on disk (-1: none)
}

// snapshotPath is where the index of the database at dbPath is kept: a
// cache, deleted or damaged it is rebuilt.
func snapshotPath(dbPath string) string { return dbPath + "-search" }

// snapshotTag names the database and revision a snapshot reflects.
func snapshotTag(instance string, rev int64) []byte {
	return []byte(instance + "@" + strconv.FormatInt(rev, 10))
}

func parseTag(tag []byte) (instance string, rev int64, ok bool) {
	i := strings.LastIndexByte(string(tag), '@')
	if i < 0 {
		return "", 0, false
	}
	rev, err := strconv.ParseInt(string(tag[i+1:]), 10, 64)
	return string(tag[:i]), rev, err == nil
}

// openIndex returns the contacts' index, empty and filling in the
// background: from the snapshot when it names this database at a revision
// it has (then the changes since are applied), otherwise from the rows.
// count sizes a fresh index.
func openIndex(ctx context.Context, db dialer.ContactStore, instance, dbPath string, count int, log *slog.Logger) *contactIndex {
	c := &contactIndex{db: db, instance: instance, path: snapshotPath(dbPath), log: log, ready: make(chan struct{}), saved: -1}
	if _, err := os.Stat(c.path); err == nil {
		count = 0 // the snapshot brings its own columns
	}
	c.ix, c.dir = search.New(count), search.NewDirectory(count)
	start := time.Now()
	go func() {
		defer close(c.ready)
		if ix, dir, rev, err := c.load(ctx); err == nil {
			c.ix.Replace(ix)
			c.dir.Replace(dir)
			c.mu.Lock() // Save may run at once (a quick exit)
			c.rev.Store(rev)
			c.saved = rev
			c.mu.Unlock()
			n, err := c.Sync(ctx)
			log.Info("contacts index read from its snapshot", "count", c.ix.Len(), "changes_since", n,
				"took", time.Since(start), "err", err)
			return
		} else if !errors.Is(err, os.ErrNotExist) {
			log.Info("contacts index snapshot not used", "reason", err)
		}
		err := c.build(ctx)
		log.Info("contacts indexed", "count", c.ix.Len(), "took", time.Since(start), "heap_live_mb", heapLiveMB(), "err", err)
		if err == nil {
			// Saved at once: the next start reads it even if this one
			// ends by a crash.
			if err := c.Save(); err != nil {
				log.Warn("contacts index snapshot not saved", "err", err)
			}
		}
	}()
	return c
}

// load reads the snapshot and checks that it is this database's, at a
// revision the database has reached.
func (c *contactIndex) load(ctx context.Context) (*search.Index, *search.Directory, int64, error) {
	f, err := os.Open(c.path)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	tag, ix, dir, err := search.LoadSnapshot(f)
	if err != nil {
		return nil, nil, 0, err
	}
	instance, rev, ok := parseTag(tag)
	if !ok || instance != c.instance {
		return nil, nil, 0, fmt.Errorf("the snapshot is of another database")
	}
	now, err := c.db.ContactRevision(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	if rev > now {
		// The database went back in time (a restored backup): what the
		// snapshot holds may never have happened.
		return nil, nil, 0, fmt.Errorf("the snapshot is at revision %d, the database at %d", rev, now)
	}
	return ix, dir, rev, nil
}

// build reads every contact into the empty index.
func (c *contactIndex) build(ctx context.Context) error {
	batch := make([]search.Entry, 0, 4096)
	rev, err := c.db.ContactKeys(ctx, 0, func(k dialer.ContactKey) error {
		batch = append(batch, search.Entry{ID: k.ID, Name: k.Name, Company: k.Company, Phone: k.Phone})
		if len(batch) == cap(batch) {
			c.ix.AddBatch(batch)
			c.dir.AddBatch(batch)
			batch = batch[:0]
		}
		return nil
	})
	c.ix.AddBatch(batch)
	c.dir.AddBatch(batch)
	if err == nil {
		c.rev.Store(rev)
	}
	return err
}

// Sync applies the contacts changed since the index's revision (by this
// process or another) and returns how many.
func (c *contactIndex) Sync(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		batch []search.Entry
		gone  []int64
	)
	rev, err := c.db.ContactKeys(ctx, c.rev.Load(), func(k dialer.ContactKey) error {
		if k.Deleted {
			gone = append(gone, k.ID)
		} else {
			batch = append(batch, search.Entry{ID: k.ID, Name: k.Name, Company: k.Company, Phone: k.Phone})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	search.Apply(c.ix, c.dir, batch, gone)
	c.rev.Store(rev)
	return len(batch) + len(gone), nil
}

// Save writes the index to its snapshot file (atomically: a new file
// renamed over the old) unless the file already holds this revision.
func (c *contactIndex) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	rev := c.rev.Load()
	if rev == c.saved {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := search.SaveSnapshot(tmp, snapshotTag(c.instance, rev), c.ix, c.dir); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return err
	}
	c.saved = rev
	return nil
}
