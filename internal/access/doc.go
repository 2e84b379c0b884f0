// Package access decides where from and when a login may happen: IP rules
// (allow and deny lists of addresses and CIDR prefixes) and weekly time
// windows, on several levels (the server, each of a user's groups, the
// user) that a login must all pass. It is pure logic: the time to judge is
// always passed in, never read from a clock.
//
// # Windows and daylight saving time
//
// A window such as "Mon-Fri 06:00-18:00" is read in the wall-clock time of
// its schedule's zone. Each day it applies to, it opens the first moment
// the zone's clock shows its start time (or a later time, when the start
// falls into a skipped hour) and closes the first moment the clock shows
// its end time (likewise). So, in America/New_York:
//
//   - on the spring-forward day, 02:00-03:00 names an hour that does not
//     exist and is empty, and 01:00-04:00 lasts two real hours;
//   - on the fall-back day, 01:00-02:00 lasts two real hours: both runs of
//     the clock through 01:xx are inside.
//
// Windows are computed day by day in calendar dates of the zone, never by
// adding 24 hours, so a window opens at its wall-clock time on the days
// around a change too, and Schedule.Next returns the true instants.
package access

// The zone database is embedded so that named zones work on hosts without
// one (minimal containers, Windows).
import _ "time/tzdata"
