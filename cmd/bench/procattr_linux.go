package main

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the server in its own process group, so that Ctrl-C in
// the terminal reaches only bench (which then stops the server with
// SIGTERM), and asks the kernel to send it SIGTERM should bench die first.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
