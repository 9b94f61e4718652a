package dialer

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Owner is the process that runs a purchase, recorded on its pending number
// so that another process can tell when it is gone for good and settle the
// purchase at once instead of waiting for it to go stale.
type Owner struct {
	// Machine names the process's machine and process-id namespace
	// (hostname, boot id and pid namespace where the system tells them):
	// a process id means something only there.
	Machine string
	PID     int
	// Start tells this process from a later one given the same process id
	// (on Linux its start time since boot); empty when unknown.
	Start string
}

// Known reports whether the owner was recorded (rows written before owners
// were, and purchases started by tests without one, have none).
func (o Owner) Known() bool { return o.PID > 0 && o.Machine != "" }

var (
	selfOnce sync.Once
	self     Owner
)

// Self is the running process as an Owner.
func Self() Owner {
	selfOnce.Do(func() {
		self = Owner{Machine: machineID(), PID: os.Getpid()}
		_, self.Start, _ = procStat(self.PID) // "" when /proc does not tell
	})
	return self
}

// machineID is the hostname, the boot id and the pid namespace, as far as
// the system tells them.
func machineID() string {
	host, _ := os.Hostname()
	parts := []string{host}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		parts = append(parts, strings.TrimSpace(string(b)))
	}
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		parts = append(parts, ns)
	}
	return strings.Join(parts, "/")
}

// procStat returns the state letter and start time (clock ticks after
// boot) of pid from /proc/PID/stat; an error when /proc does not tell (no
// such file system, or no such process).
func procStat(pid int) (state, start string, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", err
	}
	// "pid (comm) state ppid ... starttime ...": comm may hold spaces and
	// parentheses, so count the fields after its last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return f[0], f[19], nil // fields 3 (state) and 22 (starttime)
}

// Gone reports whether the owner process has provably ended: it ran on
// this machine and its process id is free, a zombie, or now another
// process's. why says how it is known. A process on another machine, or
// one that did not record itself, is never provably gone.
func (o Owner) Gone() (gone bool, why string) {
	me := Self()
	if !o.Known() || o.Machine != me.Machine {
		return false, ""
	}
	if o.PID == me.PID {
		if o.Start != "" && me.Start != "" && o.Start != me.Start {
			return true, fmt.Sprintf("dialer process %d has ended (its process id is now this one's)", o.PID)
		}
		return false, ""
	}
	state, start, err := procStat(o.PID)
	switch {
	case err == nil:
		if state == "Z" || state == "X" {
			return true, fmt.Sprintf("dialer process %d has ended", o.PID)
		}
		if o.Start != "" && start != o.Start {
			return true, fmt.Sprintf("dialer process %d has ended (its process id now belongs to another process)", o.PID)
		}
		return false, ""
	case os.IsNotExist(err) && me.Start != "":
		// /proc works here (this process's start was read from it) and
		// knows no such process.
		return true, fmt.Sprintf("dialer process %d has ended", o.PID)
	}
	if processExists(o.PID) {
		return false, ""
	}
	return true, fmt.Sprintf("dialer process %d has ended", o.PID)
}
