package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// accessJSON is the stable JSON form of a user's or a group's access
// rules. Empty lists mean no restriction; an empty timezone means the
// server's (access.timezone).
type accessJSON struct {
	AllowIPs []string `json:"allow_ips"`
	DenyIPs  []string `json:"deny_ips"`
	Schedule []string `json:"schedule"`
	TimeZone string   `json:"timezone"`
}

func toAccessJSON(r user.AccessRules) accessJSON {
	return accessJSON{
		AllowIPs: nonNil(r.AllowIPs),
		DenyIPs:  nonNil(r.DenyIPs),
		Schedule: nonNil(r.Schedule),
		TimeZone: r.TimeZone,
	}
}

// nonNil keeps an empty list a JSON [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// writeAccessLines writes the "key:\tvalue" lines of access rules to a
// tabwriter. serverZone is access.timezone.
func writeAccessLines(w io.Writer, r user.AccessRules, serverZone string) {
	fmt.Fprintf(w, "allow ips:\t%s\n", joinOr(r.AllowIPs, "any"))
	fmt.Fprintf(w, "deny ips:\t%s\n", joinOr(r.DenyIPs, "none"))
	fmt.Fprintf(w, "schedule:\t%s\n", joinOr(r.Schedule, "any time"))
	fmt.Fprintf(w, "timezone:\t%s\n", zoneText(r.TimeZone, serverZone))
}

func joinOr(list []string, empty string) string {
	if len(list) == 0 {
		return empty
	}
	return strings.Join(list, ", ")
}

// zoneText shows a rule's zone; none is the server's.
func zoneText(zone, serverZone string) string {
	if zone != "" {
		return zone
	}
	if serverZone == "" {
		serverZone = "Local"
	}
	return "server (" + serverZone + ")"
}
