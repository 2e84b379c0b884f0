// Package faults checks that Bulwark keeps its promises when things go
// wrong: the file system fills up during an upload, the server is killed
// with SIGKILL in the middle of uploads and account changes, a command-line
// process is killed while it writes to the account store, and a client
// vanishes (TCP reset) in the middle of a transfer.
//
// The tests talk to servers on 127.0.0.1 only. The disk-full tests mount a
// small tmpfs: directly when running as root, and inside a new user and
// mount namespace otherwise; each is skipped with the reason when the
// machine does not allow it. The crash tests build the bulwark binary once
// and run it as a separate process, so that SIGKILL hits a real server.
package faults
