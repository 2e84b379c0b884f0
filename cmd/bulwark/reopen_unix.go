//go:build unix

package main

import "syscall"

// sigReopen asks serve to reopen its log files, as logrotate expects.
const sigReopen = syscall.SIGUSR1
