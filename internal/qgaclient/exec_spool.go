package qgaclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Through libvirt, an agent reply must stay small: libvirt drops a reply
// over 10 MiB ("No complete agent response") and then refuses the domain's
// agent, while the agent in the guest stays stuck writing the rest; and a
// reply over its 4 MiB RPC string ("Unable to encode message payload", about
// 3 MB of output) cannot reach the client. guest-exec-status sends all of a
// command's output in one reply, so a command run through libvirt is
// wrapped (spoolScript): its output goes to files in the guest, which the
// client reads back in chunks with guest-file-read.
//
// What the wrapper costs is the programs it starts (on a TCG guest each
// costs about as much as the command /bin/true itself; on KVM about a
// millisecond), so it starts as few as it can: mkfifo and two heads. The
// output files are read, then emptied, by the client (cheap agent calls);
// the wrapper removes them after the command's exit has been reported.

// replyLimited is implemented by transports that cannot carry a reply of
// any size; the libvirt transport does.
type replyLimited interface {
	// replyLimit is the largest command output (stdout plus stderr, before
	// base64) that one reply may carry.
	replyLimit() int
}

// Output at most this large (stdout plus stderr) may travel in the
// wrapper's own guest-exec-status reply (on guests where the client cannot
// read files: spoolSelf): 2.7 MB of JSON once base64-encoded, well under
// libvirt's 4 MiB RPC string.
const spoolInlineLimit = 2 << 20

func (t *libvirtTransport) replyLimit() int { return spoolInlineLimit }

// agentCaptureLimit is what qemu-ga keeps of each stream (16 MiB in 7.2):
// it then closes its end of the pipe, so the command's next write fails
// (SIGPIPE). The wrapper does the same, so that a command's output cannot
// fill the guest's /tmp either.
const agentCaptureLimit = 16 << 20

// spoolCleanupTimeout bounds removing a spool's files, on every path.
const spoolCleanupTimeout = 15 * time.Second

// Who reads the output files: the client, with guest-file-* (spoolHost);
// or, on a guest where those are disabled, the wrapper itself, which
// prints output up to the inline limit on the agent's pipes (spoolSelf).
const (
	spoolHost = "host"
	spoolSelf = "self"
)

// spoolKeep is how long the wrapper keeps output files that the client has
// not emptied yet (a client that died), in seconds; spoolEmptyBefore is the
// client's own bound, well before it, after which it no longer writes to
// the files' names (it removes them with rm instead): a name the wrapper
// removed could by then be something else.
const (
	spoolKeep        = "900"
	spoolEmptyBefore = 10 * time.Minute
)

// spoolScript runs a command with its stdout and stderr in files named by
// the host: $1 and $2 (/tmp/qga-exec-<128 random bits> each, drawn apart,
// so that seeing one tells nothing of the other). $3 is the inline limit,
// $4 one byte more than the agent's capture limit, $5 "unset" when the
// caller's environment has no PWD (dash exports one of its own), $6
// spoolHost or spoolSelf, the rest the command's argv, passed as arguments
// and never spliced into the script.
//
// No name is reused or followed: the two files are created first, while
// nothing in /tmp hints at their names, under set -C (O_EXCL), and kept
// open; the FIFOs ($1.p and $2.p) are made by mkfifo, which fails on any
// name that is there; the heads write through the shell's descriptors and
// never open a name. The files are mode 600 (umask 077), owned by the
// agent's user.
//
// The shell execs the command, so the agent's child is the command itself:
// the agent reports its exact exit code or signal, a kill of the PID kills
// the command, and it gets the agent's stdin and the environment as the
// agent gave them. Its stdout and stderr go into two FIFOs, each read by a
// head that caps the stream at 16 MiB + 1 into its file (the command then
// gets SIGPIPE, as with the agent). A detached sweeper waits for both heads
// (they end when every writer has closed: the command and whatever
// inherited its output), then writes, as the last line of the agent's
// stdout, "$1 MODE O E": MODE "inline" (no output, or, with spoolSelf,
// output that came before this line on the agent's pipes) or "files" (the
// output is in the files; O and E are 1 for a file that is not empty). It
// then closes the agent's pipes, so the agent reports the command's exit,
// and removes the names: at once when nobody needs them, else when the
// client has emptied the files (it does once it has read them), or after
// spoolKeep seconds. A program that is not there or not executable is "$1
// notfound", with nothing created. Helpers are found on a fixed PATH: the
// command's environment may have none.
//
// The FIFOs' read ends are opened before the sweeper forks (a read-write
// open, replaced at once, keeps the opens from blocking), so no output is
// lost however late the heads start, and the heads see the end of the
// output even when the shell is killed before its exec. The command gets
// write-only ends: one that could also read would keep a FIFO open for
// reading after its head stopped at the cap, and the command would block
// on a full FIFO instead of getting SIGPIPE.
const spoolScript = `o=$1 e=$2 inline=$3 cap=$4 pwd=$5 mode=$6; shift 6
P=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case $1 in
*/*) [ -f "$1" ] && [ -x "$1" ] ;;
*) command -v -- "$1" >/dev/null 2>&1 ;;
esac || { printf '\n%s notfound\n' "$o"; exit 127; }
umask 077
set -C
exec 8>"$o" 9>"$e"
PATH=$P mkfifo -- "$o.p" "$e.p" || exit 125
exec 3<>"$o.p" 4<>"$e.p"
exec 5<"$o.p" 6<"$e.p"
exec 3>"$o.p" 4>"$e.p"
( (
	exec 3>&- 4>&-
	PATH=$P head -c "$cap" <&5 >&8 6<&- 9>&- &
	PATH=$P head -c "$cap" <&6 >&9 5<&- 8>&- &
	exec 5<&- 6<&- 8>&- 9>&-
	wait
	so=0 se=0 m=files
	[ -s "$o" ] && so=1
	[ -s "$e" ] && se=1
	if [ $((so + se)) -eq 0 ]; then
		m=inline
	elif [ "$mode" = self ]; then
		set -- $(PATH=$P wc -c -- "$o" "$e")
		if [ "$5" -le "$inline" ]; then
			PATH=$P cat -- "$o" && PATH=$P cat -- "$e" >&2 && m=inline so=0 se=0
		fi
	fi
	printf '\n%s %s %d %d\n' "$o" "$m" "$so" "$se"
	exec </dev/null >/dev/null 2>&1
	n=0
	while [ $((so + se)) -gt 0 ] && [ $n -lt ` + spoolKeep + ` ]; do
		PATH=$P sleep 1
		n=$((n + 1)) so=0 se=0
		[ -s "$o" ] && so=1
		[ -s "$e" ] && se=1
	done
	PATH=$P rm -f -- "$o.p" "$e.p" "$o" "$e"
) & )
exec 5<&- 6<&- 8>&- 9>&-
[ "$pwd" = keep ] || unset PWD
exec "$@" >&3 2>&4 3>&- 4>&-`

// spoolShell runs spoolScript; guests without it (Windows) get the plain
// guest-exec (see noShell).
const spoolShell = "/bin/sh"

// spoolJob is a command started through the wrapper.
type spoolJob struct {
	stdout, stderr string // the files in the guest, named by the host
	path           string // the program the caller asked for, for messages
}

// spoolName is a fresh name for a spool file.
func spoolName() string { return "/tmp/qga-exec-" + randomName() }

// spoolWrap returns the request to send and, when it wraps req, the job to
// remember once the agent answers with a PID. Only through a transport with
// a reply limit, and only when output is captured: uncaptured output is
// never sent.
func (c *Client) spoolWrap(ctx context.Context, req ExecRequest) (ExecRequest, *spoolJob) {
	lt, ok := c.t.(replyLimited)
	if !ok || req.NoCapture || req.Path == "" || req.ownScript {
		return req, nil
	}
	if c.guest.noShell.Load() {
		return req, nil
	}
	job := &spoolJob{stdout: spoolName(), stderr: spoolName(), path: req.Path}
	pwd := "keep"
	if len(req.Env) > 0 && !slices.ContainsFunc(req.Env, func(kv string) bool { return strings.HasPrefix(kv, "PWD=") }) {
		pwd = "unset"
	}
	// guest-info is cached: asking costs nothing after the first command.
	mode := spoolHost
	if c.Require(ctx, spoolFileCommands...) != nil {
		mode = spoolSelf
	}
	args := append([]string{"-c", spoolScript, "qga-exec", job.stdout, job.stderr, strconv.Itoa(lt.replyLimit()), strconv.Itoa(agentCaptureLimit + 1), pwd, mode, req.Path}, req.Args...)
	return ExecRequest{Path: spoolShell, Args: args, Env: req.Env, Stdin: req.Stdin}, job
}

// spoolFileCommands are what the client needs to read output files back.
var spoolFileCommands = []string{"guest-file-open", "guest-file-read", "guest-file-seek", "guest-file-close"}

// startSpooled starts the wrapped request, or req itself on a guest that
// has no spoolShell.
func (c *Client) startSpooled(ctx context.Context, req, wrapped ExecRequest, job *spoolJob, about string) (int, error) {
	pid, err := c.execStart(ctx, wrapped, about)
	if err != nil && shellMissing(err) {
		c.guest.noShell.Store(true)
		return c.execStart(ctx, req, about)
	}
	if err != nil {
		return 0, err
	}
	c.guest.hasShell.Store(true)
	c.spools.Store(pid, job)
	return pid, nil
}

// learnShell finds out, once per guest, whether it has spoolShell, by
// starting it with nothing to do; a guest that ran a wrapped command has
// it. What needs the shell before any command ran asks first, so that
// nothing is written to a guest where the shell will then be missing.
func (c *Client) learnShell(ctx context.Context, about string) error {
	if c.guest.hasShell.Load() || c.guest.noShell.Load() {
		return nil
	}
	_, err := c.Run(ctx, ExecRequest{Path: spoolShell, Args: []string{"-c", ":"}, NoCapture: true}, DefaultCallTimeout)
	switch {
	case shellMissing(err):
		c.guest.noShell.Store(true)
	case err != nil:
		return fmt.Errorf("checking that the guest has %s for %s: %w", spoolShell, about, err)
	default:
		c.guest.hasShell.Store(true)
	}
	return nil
}

// shellMissing: the agent could not start spoolShell at all (a Windows
// guest, or one without a POSIX shell).
func shellMissing(err error) bool {
	var ae *AgentError
	return errors.As(err, &ae) && strings.Contains(ae.Desc, spoolShell)
}

// finishSpool turns the wrapper's final status into the command's: its
// output (inline, or read back from the files), its exit code or signal,
// the truncation flags; and has the files removed. st is returned as it is
// for a process that was not started through the wrapper.
func (c *Client) finishSpool(ctx context.Context, pid int, st *ExecStatus) (*ExecStatus, error) {
	v, ok := c.spools.LoadAndDelete(pid)
	if !ok {
		return st, nil
	}
	seen := time.Now()
	job := v.(*spoolJob)
	tr, ok := parseSpoolTrailer(st.Stdout, job.stdout)
	switch {
	case ok && tr.notFound:
		e := newError(c.t.Target(), "guest-exec", ErrAgentFailed, errors.New("the program was not found in the guest, or is not an executable file"))
		e.About = "command " + strconv.Quote(job.path)
		return nil, e
	case !ok:
		// No report: the shell was killed before it ran the command (a
		// timeout's kill), or it could not create its FIFOs or files.
		c.removeSpool(ctx, job)
		if st.Signal != 0 {
			return &ExecStatus{Exited: true, Signal: st.Signal}, nil
		}
		return nil, newError(c.t.Target(), "guest-exec", ErrAgentFailed,
			fmt.Errorf("running %q through %s to keep its output out of libvirt's reply limit failed (exit %d): %s",
				job.path, spoolShell, st.ExitCode, bytes.TrimSpace(st.Stderr)))
	}
	out := &ExecStatus{Exited: true, ExitCode: st.ExitCode, Signal: st.Signal}
	if !tr.files {
		out.Stdout, out.Stderr = st.Stdout[:tr.at], st.Stderr
		return out, nil
	}
	var err error
	if out.Stdout, out.StdoutTruncated, err = c.readSpoolFile(ctx, job, job.stdout, tr.stdout); err == nil {
		out.Stderr, out.StderrTruncated, err = c.readSpoolFile(ctx, job, job.stderr, tr.stderr)
	}
	if err != nil || !c.emptySpool(ctx, job, tr, seen) {
		c.removeSpool(ctx, job)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readSpoolFile reads one stream back, at most agentCaptureLimit bytes of
// it, as the agent would have kept; truncated says there was more.
func (c *Client) readSpoolFile(ctx context.Context, job *spoolJob, path string, present bool) ([]byte, bool, error) {
	if !present {
		return nil, false, nil
	}
	data, more, err := c.readFileUpTo(ctx, path, agentCaptureLimit)
	if err != nil {
		return nil, false, c.outputLost(err, job)
	}
	return data, more, nil
}

// emptySpool empties the files it has read, which tells the wrapper to
// remove them (and drops the output from the guest's memory at once). Only
// well within the time the wrapper keeps them: after that, the names may
// no longer be the wrapper's files. False when the caller should remove the
// files itself.
func (c *Client) emptySpool(ctx context.Context, job *spoolJob, tr spoolTrailer, seen time.Time) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), spoolCleanupTimeout)
	defer cancel()
	for _, f := range []struct {
		path    string
		present bool
	}{{job.stdout, tr.stdout}, {job.stderr, tr.stderr}} {
		if !f.present {
			continue
		}
		if time.Since(seen) > spoolEmptyBefore {
			return false
		}
		h, err := c.FileOpen(ctx, f.path, "w")
		if err != nil {
			return false
		}
		c.closeQuietly(ctx, h)
	}
	return true
}

// outputLost reports a failed read of a finished command's output. Its kind
// is never one after which polling the status again would help (the agent
// has forgotten the process): the agent's answer (a blocked command) is
// kept, a failure of the channel becomes ErrAgentFailed.
func (c *Client) outputLost(err error, job *spoolJob) error {
	kind := ErrAgentFailed
	hint := "the command has run; its output is lost"
	switch {
	case errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrCommandUnsupported):
		kind = ErrCommandDisabled
		hint = fmt.Sprintf("its output is more than the %d bytes one libvirt reply can carry, and is read with %s: "+
			"enable them in the guest agent, or use its direct socket (agent_socket)", spoolInlineLimit, strings.Join(spoolFileCommands, "/"))
	case errors.Is(err, ErrTimeout):
		hint += ": the deadline came while it was read back"
	}
	e := newError(c.t.Target(), "guest-file-read", kind, errors.New(err.Error()))
	e.About, e.Hint = fmt.Sprintf("the output of %q", job.path), hint
	return e
}

// removeSpool removes the job's FIFOs and files (whose names the host
// chose), whatever the caller's ctx says: an interrupted apply must not
// leave output in the guest. rm never follows a name.
func (c *Client) removeSpool(ctx context.Context, job *spoolJob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), spoolCleanupTimeout)
	defer cancel()
	rm := ExecRequest{Path: spoolShell, Args: []string{"-c", `PATH=/usr/sbin:/usr/bin:/sbin:/bin rm -f -- "$1.p" "$2.p" "$1" "$2"`, "qga-exec-cleanup", job.stdout, job.stderr}}
	pid, err := c.execStart(ctx, rm, "removing "+job.stdout)
	if err == nil {
		_, _ = c.ExecWait(ctx, pid)
	}
}

// spoolTrailer is the wrapper's last line.
type spoolTrailer struct {
	at             int // where the line starts in stdout
	notFound       bool
	files          bool // the output is in files, to be read back
	stdout, stderr bool // which files hold output
}

// parseSpoolTrailer finds the wrapper's report, which starts with the
// stdout file's name, at the end of stdout. The
// command's own output may come before it (spoolSelf) and hold anything,
// including a copy of the line: only the last line counts.
func parseSpoolTrailer(stdout []byte, name string) (spoolTrailer, bool) {
	at := bytes.LastIndex(stdout, []byte("\n"+name+" "))
	if at < 0 || !bytes.HasSuffix(stdout, []byte("\n")) {
		return spoolTrailer{}, false
	}
	f := strings.Fields(string(stdout[at+1+len(name) : len(stdout)-1]))
	tr := spoolTrailer{at: at}
	if len(f) == 1 && f[0] == "notfound" {
		tr.notFound = true
		return tr, true
	}
	flag := func(s string) (bool, bool) { return s == "1", s == "0" || s == "1" }
	if len(f) != 3 || (f[0] != "inline" && f[0] != "files") {
		return spoolTrailer{}, false
	}
	var ok1, ok2 bool
	tr.files = f[0] == "files"
	tr.stdout, ok1 = flag(f[1])
	tr.stderr, ok2 = flag(f[2])
	if !ok1 || !ok2 || (tr.files && !tr.stdout && !tr.stderr) {
		return spoolTrailer{}, false
	}
	return tr, true
}
