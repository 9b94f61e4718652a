//go:build unix

package dialer

import (
	"errors"
	"syscall"
)

// processExists asks the kernel whether a process has this id (one of
// another user's processes exists too: EPERM).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
