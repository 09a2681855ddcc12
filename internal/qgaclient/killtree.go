package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// killTreeScript kills a process the agent started, with every process
// below it, in one guest-exec of /bin/sh (a minimal guest has no kill or ps
// program, but every POSIX shell has kill built in). $1 is the PID, passed
// as an argument and never spliced into the script.
//
// It first stops the tree top-down with SIGSTOP, so that nothing in it can
// fork a process the scan has not seen, then sends every stopped process
// SIGKILL. Children are read from /proc/PID/task/*/children (reliable for
// stopped processes; it needs CONFIG_PROC_CHILDREN, which Debian's kernels
// have), or else found by scanning every /proc/*/stat for its parent. Scans
// repeat until one finds nothing new, and each waits until no process in
// the tree is running or in uninterruptible sleep: one of those may be in
// the middle of a fork whose child is not visible yet, while a stopped or
// sleeping one cannot be (the kernel aborts a fork begun with a signal
// pending).
//
// Safety: it refuses PID 1, the agent ($PPID: the agent runs this shell)
// and any PID whose parent is not the agent, which is what a PID reused by
// another process after the command ended would look like.
//
// It prints one line, the first word of which says what happened:
//
//	killed PID...   SIGKILL sent to these (the command's own process first)
//	alive PID...    (a second line) these were still there 1 s later
//	gone            the process had already exited: nothing to kill
//	notours PPID    the PID belongs to another parent: refused
//	direct          no /proc in the guest: only the PID itself was killed
//	refused         not a PID the script may touch
const killTreeScript = `root=$1 agent=$PPID
case $root in ''|0*|*[!0-9]*) echo refused; exit 0;; esac
if [ "$root" -le 1 ] || [ "$root" = "$agent" ] || [ "$root" = "$$" ]; then echo refused; exit 0; fi
if [ ! -r /proc/$$/stat ]; then
	kill -KILL "$root" 2>/dev/null && echo direct || echo gone
	exit 0
fi
# procstat PID sets state and ppid: the fields after "(comm) ", which may
# itself hold spaces and parentheses.
procstat() {
	s=
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	set -- $s
	state=$1 ppid=$2
}
if ! procstat "$root" || [ "$state" = Z ]; then echo gone; exit 0; fi
if [ "$ppid" != "$agent" ]; then echo "notours $ppid"; exit 0; fi
kill -STOP "$root" 2>/dev/null || { echo gone; exit 0; }
tree=" $root "
# add PID: stop it and take it into the tree, unless it is there already.
add() {
	case $tree in *" $1 "*) return;; esac
	kill -STOP "$1" 2>/dev/null || return
	tree="$tree$1 "
	new=1
}
# settle: wait (at most about 2 s) until no process in the tree is running
# or in uninterruptible sleep, so none is in the middle of a fork.
settle() {
	n=0
	while [ $n -lt 40 ]; do
		busy=
		for p in $tree; do
			procstat "$p" || continue
			case $state in R|D) busy=1; break;; esac
		done
		[ -z "$busy" ] && return
		n=$((n + 1))
		sleep 0.05 2>/dev/null || sleep 1
	done
}
children=
[ -r "/proc/$root/task/$root/children" ] && children=1
new=1
while [ $new = 1 ]; do
	new=0
	settle
	if [ -n "$children" ]; then
		for p in $tree; do
			for f in /proc/$p/task/*/children; do
				kids=
				{ read -r kids <"$f"; } 2>/dev/null
				for k in $kids; do add "$k"; done
			done
		done
	else
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			case $tree in *" $p "*) continue;; esac
			procstat "$p" || continue
			case $tree in *" $ppid "*) [ "$state" != Z ] && add "$p";; esac
		done
	fi
done
killed=
for p in $tree; do
	kill -KILL "$p" 2>/dev/null && killed="$killed $p"
done
echo "killed$killed"
# Check that they are gone (or zombies, waiting for their parent to reap
# them): a process in uninterruptible sleep dies only when it wakes.
n=0
while :; do
	alive=
	for p in $killed; do
		procstat "$p" && [ "$state" != Z ] && alive="$alive $p"
	done
	[ -z "$alive" ] && exit 0
	n=$((n + 1))
	if [ $n -gt 20 ]; then echo "alive$alive"; exit 0; fi
	sleep 0.05 2>/dev/null || sleep 1
done
`

// KillScope says how much of a command KillTree reached.
type KillScope int

const (
	// KilledNothing: no process was killed (see KillReport.Err or Gone).
	KilledNothing KillScope = iota
	// KilledDirectOnly: the command's own process was killed, but the guest
	// gave no way to find the processes it started, which may still run.
	KilledDirectOnly
	// KilledTree: the command's process and all its descendants were killed.
	KilledTree
)

// KillReport says what KillTree did, for messages that tell exactly what
// happened.
type KillReport struct {
	PID    int
	Scope  KillScope
	Killed []int // PIDs sent SIGKILL, the command's own first
	// Alive are killed PIDs still there a second later (a process in
	// uninterruptible sleep dies when it wakes).
	Alive []int
	// Gone: the process had exited before it could be killed.
	Gone bool
	// Err says why nothing was killed: guest-exec is blocked, the agent did
	// not answer, the guest has no /bin/sh, or the PID is not the agent's.
	Err error
	// Took is how long the kill took, from guest-exec to the reaped status.
	Took time.Duration
}

// String tells what was killed, as the end of a sentence that begins with
// the command's name.
func (r KillReport) String() string {
	var s string
	switch {
	case r.Scope == KilledTree && len(r.Killed) == 1:
		s = fmt.Sprintf("killed its process (PID %d) in the guest; it had started no other processes", r.PID)
	case r.Scope == KilledTree:
		s = fmt.Sprintf("killed %d processes in the guest: its own (PID %d) and the %d it had started (PIDs %s)",
			len(r.Killed), r.PID, len(r.Killed)-1, joinPIDs(r.Killed[1:]))
	case r.Scope == KilledDirectOnly:
		s = fmt.Sprintf("killed only its own process (PID %d): the guest has no /proc to find the processes it started, which may still be running", r.PID)
	case r.Gone:
		s = fmt.Sprintf("its process (PID %d) had exited by the time it was to be killed; nothing was killed", r.PID)
	case errors.Is(r.Err, ErrCommandDisabled):
		s = fmt.Sprintf("nothing was killed: guest-exec is disabled in the guest agent, so it keeps running in the guest as PID %d", r.PID)
	case errors.Is(r.Err, errNotAgentChild):
		s = fmt.Sprintf("nothing was killed: %v", r.Err)
	default:
		s = fmt.Sprintf("nothing was killed, so it may still be running in the guest as PID %d: the kill failed: %s", r.PID, briefly(r.Err))
	}
	if len(r.Alive) > 0 {
		s += fmt.Sprintf("; PIDs %s were still there a second later (in uninterruptible sleep, they die when they wake)", joinPIDs(r.Alive))
	}
	return s
}

func joinPIDs(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, " ")
}

// errNotAgentChild: the PID is no longer the agent's child (the process
// ended and the PID went to another process), so it was left alone.
var errNotAgentChild = errors.New("it is no longer the agent's child (the command ended and its PID went to another process), so it was left alone")

// KillTree kills a process the agent started (pid from ExecStart) and every
// process it started, as far as the guest allows, and then reaps it so the
// agent forgets it. It never signals PID 1, the agent, or a PID that is not
// the agent's child. The report says what was killed; its Err why nothing
// was, e.g. when guest-exec is blocked (then the process keeps running).
func (c *Client) KillTree(ctx context.Context, pid int) KillReport {
	start := time.Now()
	r := KillReport{PID: pid}
	if pid <= 1 {
		r.Err = newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("refusing to kill PID %d", pid))
		return r
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	res, err := c.Exec(ctx, ExecRequest{Path: "/bin/sh", Args: []string{"-c", killTreeScript, "qga-kill-tree", strconv.Itoa(pid)}})
	if err != nil {
		r.Err = err
		return r
	}
	if res.ExitCode != 0 || res.Signal != 0 {
		r.Err = newError(c.t.Target(), "guest-exec", ErrAgentFailed,
			fmt.Errorf("the kill script for PID %d failed (exit %d, signal %d): %s", pid, res.ExitCode, res.Signal, strings.TrimSpace(string(res.Stderr))))
		return r
	}
	r.parse(string(res.Stdout))
	if r.Scope != KilledNothing {
		c.reap(ctx, pid)
	}
	r.Took = time.Since(start)
	return r
}

// parse reads the kill script's output into the report.
func (r *KillReport) parse(out string) {
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "killed":
			r.Killed = atoiAll(f[1:])
			if len(r.Killed) > 0 {
				r.Scope = KilledTree
			} else {
				r.Gone = true
			}
		case "alive":
			r.Alive = atoiAll(f[1:])
		case "direct":
			r.Scope, r.Killed = KilledDirectOnly, []int{r.PID}
		case "gone":
			r.Gone = true
		case "notours":
			r.Err = fmt.Errorf("PID %d has parent %s, not the agent: %w", r.PID, strings.Join(f[1:], " "), errNotAgentChild)
		default:
			r.Err = fmt.Errorf("unexpected output from the kill script for PID %d: %q", r.PID, line)
		}
	}
	if r.Scope == KilledNothing && !r.Gone && r.Err == nil {
		r.Err = fmt.Errorf("the kill script for PID %d said nothing about what it did (output %q)", r.PID, out)
	}
}

func atoiAll(fields []string) []int {
	out := make([]int, 0, len(fields))
	for _, f := range fields {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// reapPause is the pause between the status polls that wait for a killed
// process to be reaped.
const reapPause = 50 * time.Millisecond

// reapTimeout bounds the wait for the agent to see a killed process exit.
const reapTimeout = 2 * time.Second

// reap polls a killed process's status until the agent reports its exit,
// which also makes the agent forget it; bounded by ctx and reapTimeout.
func (c *Client) reap(ctx context.Context, pid int) {
	ctx, cancel := context.WithTimeout(ctx, reapTimeout)
	defer cancel()
	for ctx.Err() == nil {
		st, err := c.ExecStatus(ctx, pid)
		if err != nil || st.Exited {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(reapPause):
		}
	}
}
