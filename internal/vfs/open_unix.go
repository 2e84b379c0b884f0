//go:build unix

package vfs

import "syscall"

// Extra open flags. O_NONBLOCK keeps open(2) from waiting forever on a FIFO
// planted in a home (regular files ignore it); O_DIRECTORY makes OpenDir
// refuse anything but a directory in the same system call; O_NOFOLLOW keeps
// a walk from following a link that replaced a directory.
const (
	readFlags    = syscall.O_NONBLOCK
	dirFlags     = syscall.O_DIRECTORY
	noFollowFlag = syscall.O_NOFOLLOW
)
