package search

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"slices"
	"unsafe"
)

// A snapshot is the index and directory as they are in memory, written to
// a file so that the next start reads them back instead of folding a
// million contacts again: reading 200 MB of columns is a fraction of what
// reading the rows from the database and folding them costs.
//
// Layout (little-endian): magic, format, the caller's tag (what the
// snapshot reflects: a database and a revision), then each column as a
// length and its raw bytes, then a CRC-32C of everything before it. Any
// mismatch (another format, a fold table that changed, a torn write) makes
// LoadSnapshot fail, and the caller rebuilds from the database.

const snapshotMagic = "dialer-search-snapshot\n"

// snapshotFormat changes whenever the layout of the columns or the way
// keys are folded and summarised changes; foldDigest covers the fold table.
const snapshotFormat = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrSnapshot says a snapshot cannot be used: rebuild the index instead.
var ErrSnapshot = errors.New("search snapshot unusable")

// foldDigest summarises the fold table, so that a snapshot written by a
// program that folded differently is never read as if it had not.
var foldDigest = func() uint32 {
	h := crc32.New(castagnoli)
	for r := range foldTable {
		io.WriteString(h, foldTable[r])
		h.Write([]byte{0})
	}
	return h.Sum32()
}()

// SaveSnapshot writes ix and d, labelled with tag, to w. It holds both
// read locks while it writes: searches go on, changes wait.
func SaveSnapshot(w io.Writer, tag []byte, ix *Index, d *Directory) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	d.mu.RLock()
	defer d.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	sw := &sumWriter{w: bw, h: crc32.New(castagnoli)}
	sw.bytes([]byte(snapshotMagic))
	sw.u64(snapshotFormat)
	sw.u64(uint64(foldDigest))
	sw.blob(tag)

	s := &ix.slots
	sw.u64(uint64(s.live))
	sw.u64(uint64(s.dead))
	sw.u64(uint64(s.garbage))
	sw.blob(raw(s.ids))
	sw.blob(raw(s.has))
	sw.blob(raw(s.starts))
	sw.blob(raw(s.pairs))
	sw.blob(raw(s.nlens))
	for c := range s.first {
		sw.blob(s.first[c])
		sw.blob(s.last[c])
	}
	sw.blob(raw(s.metas))
	sw.blob(s.slab)

	// The directory is written as if built from scratch: its edits are
	// folded in, so the reader gets one sorted slab.
	ids, offs, slab := d.mergedLocked()
	sw.blob(raw(ids))
	sw.blob(raw(offs))
	sw.blob(slab)

	if sw.err != nil {
		return sw.err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], sw.h.Sum32())
	if _, err := bw.Write(sum[:]); err != nil {
		return err
	}
	return bw.Flush()
}

// LoadSnapshot reads what SaveSnapshot wrote: the tag, the index and the
// directory. Any error wraps ErrSnapshot.
func LoadSnapshot(r io.Reader) (tag []byte, ix *Index, d *Directory, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w: %v", ErrSnapshot, err)
			tag, ix, d = nil, nil, nil
		}
	}()
	sr := &sumReader{r: bufio.NewReaderSize(r, 1<<20), h: crc32.New(castagnoli)}
	magic := make([]byte, len(snapshotMagic))
	sr.full(magic)
	if sr.err == nil && string(magic) != snapshotMagic {
		return nil, nil, nil, errors.New("not a snapshot")
	}
	if f := sr.u64(); sr.err == nil && f != snapshotFormat {
		return nil, nil, nil, fmt.Errorf("format %d, want %d", f, snapshotFormat)
	}
	if f := sr.u64(); sr.err == nil && f != uint64(foldDigest) {
		return nil, nil, nil, errors.New("written with another fold table")
	}
	tag = sr.bytes()

	ix = &Index{}
	s := &ix.slots
	s.live, s.dead, s.garbage = int(sr.u64()), int(sr.u64()), int(sr.u64())
	s.ids = column[int64](sr)
	n := len(s.ids)
	s.has = column[uint64](sr)
	s.starts = column[uint64](sr)
	s.pairs = column[uint64](sr)
	s.nlens = column[uint16](sr)
	for c := range s.first {
		s.first[c] = sr.bytes()
		s.last[c] = sr.bytes()
	}
	s.metas = column[meta](sr)
	s.slab = sr.bytes()

	d = &Directory{edits: map[int64]*Entry{}}
	d.ids = column[int64](sr)
	d.offs = column[uint32](sr)
	d.slab = sr.bytes()
	want := sr.h.Sum32()
	var sum [4]byte
	if sr.err == nil {
		_, sr.err = io.ReadFull(sr.r, sum[:])
	}
	if sr.err != nil {
		return nil, nil, nil, sr.err
	}
	if binary.LittleEndian.Uint32(sum[:]) != want {
		return nil, nil, nil, errors.New("checksum mismatch")
	}

	// The columns must agree with one another before a search trusts them.
	bad := len(s.has) != n || len(s.starts) != n || len(s.pairs) != n || len(s.nlens) != n || len(s.metas) != n ||
		s.live+s.dead != n || len(d.offs) != len(d.ids)
	for c := range s.first {
		bad = bad || len(s.first[c]) != n || len(s.last[c]) != n
	}
	for i := 0; !bad && i < n; i++ {
		m := s.metas[i]
		bad = (i > 0 && s.ids[i] <= s.ids[i-1]) || int(m.start)+int(m.klen) > len(s.slab)
	}
	for i := 0; !bad && i < len(d.ids); i++ {
		bad = (i > 0 && (d.ids[i] <= d.ids[i-1] || d.offs[i] <= d.offs[i-1])) || int(d.offs[i]) >= len(d.slab)
	}
	if bad {
		return nil, nil, nil, errors.New("columns disagree")
	}
	return tag, ix, d, nil
}

// mergedLocked returns the directory with its edits applied, in ID order.
// The caller holds d.mu.
func (d *Directory) mergedLocked() (ids []int64, offs []uint32, slab []byte) {
	if len(d.edits) == 0 {
		return d.ids, d.offs, d.slab
	}
	nd := NewDirectory(len(d.ids) + len(d.edits))
	nd.edits = nil
	add := nd.appendLocked
	added := make([]int64, 0, len(d.edits))
	for id, e := range d.edits {
		if e != nil {
			if _, found := slices.BinarySearch(d.ids, id); !found {
				added = append(added, id)
			}
		}
	}
	slices.Sort(added)
	j := 0
	for i, id := range d.ids {
		for j < len(added) && added[j] < id {
			add(d.edits[added[j]])
			j++
		}
		if e, ok := d.edits[id]; ok {
			if e != nil {
				add(e)
			}
			continue
		}
		end := len(d.slab)
		if i+1 < len(d.offs) {
			end = int(d.offs[i+1])
		}
		nd.ids = append(nd.ids, id)
		nd.offs = append(nd.offs, uint32(len(nd.slab)))
		nd.slab = append(nd.slab, d.slab[d.offs[i]:end]...)
	}
	for ; j < len(added); j++ {
		add(d.edits[added[j]])
	}
	return nd.ids, nd.offs, nd.slab
}

// raw views a column of fixed-size values as its bytes (little-endian on
// every platform Go runs this program on; the checksum and the column
// checks catch a file from a machine of the other order).
func raw[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// column reads a blob straight into a new column of T.
func column[T any](sr *sumReader) []T {
	n := sr.u64()
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	if sr.err != nil || n%size != 0 || n > 1<<40 {
		if sr.err == nil {
			sr.err = errors.New("bad column length")
		}
		return nil
	}
	// Room to grow: the first contact added after start-up must not copy
	// a whole column.
	l := int(n / size)
	out := make([]T, l, l+l/16+1024)
	sr.full(raw(out))
	return out
}

type sumWriter struct {
	w   io.Writer
	h   hash.Hash32
	err error
}

func (s *sumWriter) bytes(b []byte) {
	if s.err != nil {
		return
	}
	s.h.Write(b)
	_, s.err = s.w.Write(b)
}

func (s *sumWriter) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	s.bytes(b[:])
}

func (s *sumWriter) blob(b []byte) {
	s.u64(uint64(len(b)))
	s.bytes(b)
}

type sumReader struct {
	r   io.Reader
	h   hash.Hash32
	err error
}

func (s *sumReader) full(b []byte) {
	if s.err != nil {
		return
	}
	if _, s.err = io.ReadFull(s.r, b); s.err == nil {
		s.h.Write(b)
	}
}

func (s *sumReader) u64() uint64 {
	var b [8]byte
	s.full(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func (s *sumReader) bytes() []byte {
	n := s.u64()
	if s.err != nil || n > 1<<40 {
		if s.err == nil {
			s.err = errors.New("bad blob length")
		}
		return nil
	}
	b := make([]byte, n, n+n/16+1024)
	s.full(b)
	return b
}

// Replace makes ix hold what from holds; from is left empty. A screen
// holds ix from its first frame while a snapshot loads into another index.
func (ix *Index) Replace(from *Index) {
	from.mu.Lock()
	s := from.slots
	from.slots = slots{}
	from.version++
	from.mu.Unlock()
	ix.mu.Lock()
	ix.slots = s
	ix.version++
	ix.mu.Unlock()
}

// Replace makes d hold what from holds; from is left empty.
func (d *Directory) Replace(from *Directory) {
	from.mu.Lock()
	ids, offs, slab, edits := from.ids, from.offs, from.slab, from.edits
	from.ids, from.offs, from.slab, from.edits = nil, nil, nil, map[int64]*Entry{}
	from.mu.Unlock()
	d.mu.Lock()
	d.ids, d.offs, d.slab, d.edits = ids, offs, slab, edits
	d.mu.Unlock()
}
