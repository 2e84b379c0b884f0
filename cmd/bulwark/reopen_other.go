//go:build !unix

package main

import "syscall"

// sigReopen is a signal that never arrives: without SIGUSR1 log files are
// not reopened.
const sigReopen = syscall.Signal(-1)
