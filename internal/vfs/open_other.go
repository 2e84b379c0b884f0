//go:build !unix

package vfs

// Elsewhere the type of the opened file is checked after opening.
const (
	readFlags    = 0
	dirFlags     = 0
	noFollowFlag = 0
)
