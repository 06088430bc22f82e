//go:build !linux

package main

import "os/exec"

// setProcAttr: nothing to set outside Linux; bench stops the server itself.
func setProcAttr(cmd *exec.Cmd) {}
