package guestrules

import (
	"fmt"
	"strconv"
	"strings"
)

// File attributes as both front ends take them (qga_guest_file's mode,
// owner and group; guest_copy's): one spelling of a mode, and one answer to
// whether a file already has the owner asked for.

// ParseFileMode reads permission bits written in octal, as chmod and
// Ansible's file modules take them: three to five digits ("644", "0644",
// "4755", "01777"), optionally after Python's "0o", at most 07777.
// Symbolic modes (u=rw,g=r) are refused with a message that says so.
func ParseFileMode(s string) (uint32, error) {
	if strings.ContainsAny(s, "=+") || strings.ContainsAny(s, "ugoa") && strings.ContainsAny(s, "rwxXst") {
		return 0, fmt.Errorf("mode %q: give an octal mode such as \"0644\" (symbolic modes like u=rw,g=r are not supported)", s)
	}
	digits := strings.TrimPrefix(s, "0o")
	m, err := strconv.ParseUint(digits, 8, 32)
	if err != nil || len(digits) < 3 || len(digits) > 5 || m > 0o7777 {
		return 0, fmt.Errorf("mode %q: write three or four octal digits, such as 0644 (at most 07777)", s)
	}
	return uint32(m), nil
}

// FormatFileMode writes a mode as results and state show it: "0644".
func FormatFileMode(m uint32) string { return fmt.Sprintf("%04o", m) }

// SameAccount tells whether a wanted owner or group, a name or a numeric
// id, is the account a file has (its name and its id): either spelling of
// the same account is no change. chown reads a numeric spelling as a name
// first, then as an id, so both comparisons are the guest's own.
func SameAccount(want, name string, id int) bool {
	return want == name || want == strconv.Itoa(id)
}
