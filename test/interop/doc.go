// Package interop checks Bulwark against real FTP clients: curl, lftp and
// Python's ftplib, over explicit (AUTH TLS) and implicit FTPS.
//
// Each test starts its own server in-process on 127.0.0.1:0, drives a client
// binary with a deadline, and compares what arrived with what was sent by
// SHA-256, both on the client side and in the user's home on disk.
//
// The clients are found on PATH. When one is missing the test is skipped,
// except when the CI environment variable is set: then it fails, because
// scripts/test.sh installs them.
package interop
