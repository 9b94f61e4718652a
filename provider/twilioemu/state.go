package twilioemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

const stateVersion = 1

// state is what survives a restart. In memory it holds the balance and
// counters; numbers, calls and pool consumption live in Server's fields
// and are copied in at Save.
type state struct {
	Version    int               `json:"version"`
	AccountSID string            `json:"account_sid"`
	Balance    dialer.Amount     `json:"balance"`
	Counters   map[string]uint64 `json:"counters"`
	Consumed   []string          `json:"consumed"` // pool numbers ever sold, E.164
	Numbers    []numberRec       `json:"numbers"`
	Calls      []callRec         `json:"calls"` // ended calls only
	Clock      time.Time         `json:"clock"` // emulated time at Save
}

// numberRec is an owned phone number (an IncomingPhoneNumber).
type numberRec struct {
	SID                  string    `json:"sid"`
	Seq                  uint64    `json:"seq"`
	PhoneNumber          string    `json:"phone_number"`
	FriendlyName         string    `json:"friendly_name"`
	VoiceURL             string    `json:"voice_url"`
	VoiceMethod          string    `json:"voice_method"`
	StatusCallback       string    `json:"status_callback"`
	StatusCallbackMethod string    `json:"status_callback_method"`
	Created              time.Time `json:"created"`
	Updated              time.Time `json:"updated"`
}

// callRec is the persistent part of a call leg.
type callRec struct {
	SID            string         `json:"sid"`
	Seq            uint64         `json:"seq"`
	ParentSID      string         `json:"parent_sid,omitempty"`
	To             string         `json:"to"`
	From           string         `json:"from"`
	PhoneNumberSID string         `json:"phone_number_sid,omitempty"`
	Status         string         `json:"status"`
	Direction      string         `json:"direction"`
	AnsweredBy     string         `json:"answered_by,omitempty"`
	Created        time.Time      `json:"created"`
	Updated        time.Time      `json:"updated"`
	Start          time.Time      `json:"start,omitzero"`
	Answered       time.Time      `json:"answered,omitzero"`
	End            time.Time      `json:"end,omitzero"`
	Duration       int            `json:"duration"` // whole seconds, once ended
	Rate           dialer.Amount  `json:"rate"`     // per minute
	Price          *dialer.Amount `json:"price,omitempty"`
}

// newSIDLocked returns a new SID with prefix ("PN", "CA"): the prefix and 32
// hex digits derived from the account and a per-prefix counter, so SIDs are
// deterministic and never repeat for one account, across restarts too.
func (s *Server) newSIDLocked(prefix string) (string, uint64) {
	s.st.Counters[prefix]++
	n := s.st.Counters[prefix]
	sum := sha256.Sum256([]byte(s.cfg.AccountSID + "/" + prefix + "/" + strconv.FormatUint(n, 10)))
	return prefix + hex.EncodeToString(sum[:16]), n
}

// load reads the state file, if any.
func (s *Server) load(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("twilioemu: reading state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("twilioemu: state file %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("twilioemu: state file %s: version %d, want %d", path, st.Version, stateVersion)
	}
	if st.AccountSID != s.cfg.AccountSID {
		return fmt.Errorf("twilioemu: state file %s belongs to another account", path)
	}
	if st.Counters == nil {
		st.Counters = map[string]uint64{}
	}
	for i := range st.Numbers {
		n := st.Numbers[i]
		s.numbers[n.SID] = &n
		s.byPhone[n.PhoneNumber] = &n
	}
	for _, e := range st.Consumed {
		s.consumed[e] = true
	}
	for _, rec := range st.Calls {
		c := &call{callRec: rec}
		s.calls[c.SID] = c
		s.order = append(s.order, c)
		if c.Price == nil {
			s.unpriced = append(s.unpriced, c)
		}
	}
	sort.Slice(s.order, func(i, j int) bool { return s.order[i].Seq < s.order[j].Seq })
	st.Numbers, st.Calls, st.Consumed = nil, nil, nil
	s.st = st
	return nil
}

// Save writes the state to StatePath (no-op without one): owned numbers,
// ended calls, balance, SID counters and pool consumption. Live calls are
// not saved. The file is replaced atomically.
func (s *Server) Save() error {
	if s.cfg.StatePath == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	now := s.clk.now()
	s.settleLocked(now)
	st := s.st
	st.Clock = now
	st.Counters = make(map[string]uint64, len(s.st.Counters))
	for k, v := range s.st.Counters {
		st.Counters[k] = v
	}
	for e := range s.consumed {
		st.Consumed = append(st.Consumed, e) // nil (JSON null) when none
	}
	for _, n := range s.numbers {
		st.Numbers = append(st.Numbers, *n)
	}
	for _, c := range s.order {
		if c.ended() {
			rec := c.callRec
			if rec.Price != nil {
				p := *rec.Price
				rec.Price = &p
			}
			st.Calls = append(st.Calls, rec)
		}
	}
	s.mu.Unlock()
	sort.Slice(st.Numbers, func(i, j int) bool { return st.Numbers[i].Seq < st.Numbers[j].Seq })
	sort.Strings(st.Consumed)
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("twilioemu: encoding state: %w", err)
	}
	return writeFileAtomic(s.cfg.StatePath, append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("twilioemu: saving state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("twilioemu: saving state: %w", err)
	}
	return nil
}
