//go:build unix && !linux

package contract

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group. Outside Linux
// there is no parent-death signal: StopAll must run.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup kills the child's whole process group by its PID.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
