// Package attack runs attack scenarios against a whole Bulwark server:
// the protocol engine with the real per-user file system, the SQLite
// account store and the defender, started in-process on 127.0.0.1:0 the
// way `bulwark serve` builds it.
//
// The engine's own tests prove single behaviours with a stand-in file
// system; these tests play an attacker end to end. Slow and idle clients
// flood the listeners while a legitimate user works; malformed command
// lines and TLS confusion are thrown at both listeners; passive ports are
// raced from other loopback addresses and active mode is aimed elsewhere;
// every path-taking command is given every spelling of "..", host paths,
// over-long names and symbolic links planted in the home and in a shared
// folder, including one swapped in while a transfer runs; listings,
// renames, passive ports and ASCII transfers are driven at scale while the
// server's memory, descriptors and goroutines are watched; and concurrent
// clients race to overwrite one file and to fill a quota.
//
// "Attackers" connect from other loopback addresses (127.0.0.2, 127.0.0.3
// ...) so that the legitimate client at 127.0.0.1 can be told apart. No
// traffic leaves loopback. Every host path the server knows lies below the
// test's temporary directory, and every reply is checked for it.
//
// A failing test prints the end of the server's log; ATTACK_LOG=file
// writes the whole log of the last test that ran to file.
package attack
