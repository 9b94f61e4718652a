package contactcsv

import (
	"bufio"
	"io"
)

// MaxCell is the largest cell kept: a longer one makes its row a reject
// (its first MaxCell bytes are kept for the rejects file) and is skipped
// over without being held in memory.
const MaxCell = 64 << 10

// scanner splits delimited text into records, one at a time, holding no
// more than one record in memory: each cell at most MaxCell bytes, at most
// maxCells cells (more are counted, not kept).
//
// It reads RFC 4180 with the habits of spreadsheets: a cell may be quoted
// ("" is a quote inside it), a quoted cell may hold separators and line
// breaks, text after a closing quote joins the cell ("5" monitor" is
// `5 monitor"`), a quote inside an unquoted cell is just a quote, spaces
// before an opening quote are dropped. Records end at LF, CRLF or a lone
// CR (old Mac spreadsheets); a line break inside a quoted cell is kept as
// "\n".
type scanner struct {
	br       *bufio.Reader
	sep      byte
	maxCells int

	chunk []byte // unread bytes of the last ReadSlice
	eof   bool
	err   error  // read error other than EOF
	line  int    // physical line of the next byte, from 1
	skip  bool   // a CR just ended a line: a LF right after it is part of it
	rec   record // the record being read, reused
}

// record is one record of the file. Its slices are valid until the next
// call to next.
type record struct {
	line     int    // physical line it starts on
	buf      []byte // the kept cells, end to end
	ends     []int  // end of each kept cell in buf
	big      []int  // cells longer than MaxCell (cut to MaxCell)
	dropped  int    // cells past maxCells, not kept
	unclosed bool   // a quoted cell runs to the end of the file
	nul      bool   // a NUL byte: not text
}

func (r *record) cells() int { return len(r.ends) }

func newScanner(br *bufio.Reader, sep byte, maxCells int) *scanner {
	return &scanner{br: br, sep: sep, maxCells: maxCells, line: 1}
}

// fill makes chunk non-empty unless the input is over.
func (s *scanner) fill() bool {
	for len(s.chunk) == 0 {
		if s.eof || s.err != nil {
			return false
		}
		b, err := s.br.ReadSlice('\n')
		s.chunk = b
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			s.eof = true
		default:
			s.err = err
		}
	}
	return true
}

const (
	stCellStart = iota // at the start of a cell
	stUnquoted         // in an unquoted cell
	stQuoted           // in a quoted cell
	stQuote            // just after a quote in a quoted cell
)

// next reads the next record; io.EOF when there is none.
func (s *scanner) next() (*record, error) {
	r := &s.rec
	r.buf, r.ends, r.big, r.dropped, r.unclosed, r.nul = r.buf[:0], r.ends[:0], r.big[:0], 0, false, false
	state := stCellStart
	cellStart := 0   // start of the current cell in buf
	cellLen := 0     // bytes of the current cell, kept or not
	spaces := true   // the unquoted cell so far is spaces only
	started := false // any byte of this record read
	keep := true     // the current cell is kept (not past maxCells)
	endCell := func() {
		if !keep {
			r.dropped++
		} else {
			if cellLen > MaxCell {
				r.big = append(r.big, len(r.ends))
			}
			r.ends = append(r.ends, len(r.buf))
		}
		keep = len(r.ends) < s.maxCells
		cellStart, cellLen, spaces = len(r.buf), 0, true
	}
	add := func(c byte) {
		cellLen++
		if keep && cellLen <= MaxCell {
			r.buf = append(r.buf, c)
		}
	}
	for {
		if !s.fill() {
			if s.err != nil {
				return nil, s.err
			}
			if !started {
				return nil, io.EOF
			}
			if state == stQuoted {
				r.unclosed = true
			}
			endCell()
			return r, nil
		}
		b := s.chunk
		i := 0
		if s.skip {
			s.skip = false
			if b[0] == '\n' {
				i = 1
				if len(b) == 1 {
					s.chunk = nil
					continue
				}
			}
		}
		if !started {
			started = true
			r.line = s.line
		}
		for ; i < len(b); i++ {
			c := b[i]
			if c == 0 {
				r.nul = true
			}
			switch state {
			case stCellStart, stUnquoted:
				switch {
				case c == s.sep:
					endCell()
					state = stCellStart
				case c == '\n' || c == '\r':
					s.line++
					s.skip = c == '\r'
					s.chunk = b[i+1:]
					endCell()
					return r, nil
				case c == '"' && spaces:
					// An opening quote, after nothing or spaces only.
					r.buf = r.buf[:cellStart]
					cellLen = 0
					state = stQuoted
				default:
					add(c)
					spaces = spaces && c == ' '
					state = stUnquoted
				}
			case stQuoted:
				switch c {
				case '"':
					state = stQuote
				case '\r':
					s.line++
					add('\n')
					if i+1 < len(b) && b[i+1] == '\n' {
						i++
					}
				case '\n':
					s.line++
					add('\n')
				default:
					add(c)
				}
			case stQuote:
				switch {
				case c == '"':
					add('"')
					state = stQuoted
				case c == s.sep:
					endCell()
					state = stCellStart
				case c == '\n' || c == '\r':
					s.line++
					s.skip = c == '\r'
					s.chunk = b[i+1:]
					endCell()
					return r, nil
				default:
					// Text after the closing quote joins the cell.
					add(c)
					spaces = false
					state = stUnquoted
				}
			}
		}
		// A CR at the end of a chunk inside a quoted cell: a LF that
		// starts the next chunk belongs to it.
		if state == stQuoted && len(b) > 0 && b[len(b)-1] == '\r' {
			s.skip = true
		}
		s.chunk = nil
	}
}
