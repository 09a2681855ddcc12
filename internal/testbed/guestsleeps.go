package testbed

import "strings"

// GuestSleepsScript, run in the guest as `sh -c GuestSleepsScript sh
// PATTERN`, prints /proc/PID of each sleep process that has an argument
// matching PATTERN whole: how tests see whether a command's unique sleep
// (e.g. `sleep 300.1234`) runs or is gone. One grep reads every command
// line (a loop that starts programs per process took over a minute on a
// busy emulated guest); zombies have no arguments, so they do not count.
// Give the argument through SleepPattern, so that the looking shell, whose
// command line holds the pattern, does not match itself.
const GuestSleepsScript = `for f in $(grep -lzx "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
	[ "$(cat "${f%/cmdline}/comm" 2>/dev/null)" = sleep ] && echo "${f%/cmdline}"
done; true`

// SleepPattern is the grep pattern of GuestSleepsScript for a sleep
// argument such as 300.1234: its dot in brackets.
func SleepPattern(arg string) string { return strings.Replace(arg, ".", "[.]", 1) }
