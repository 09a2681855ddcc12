package qgaclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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
// wrapped (spoolScript): its output goes to files in a private directory in
// the guest, the wrapper prints them itself when they are small, and leaves
// them, to be read back in chunks with guest-file-read, when they are not.

// replyLimited is implemented by transports that cannot carry a reply of
// any size; the libvirt transport does.
type replyLimited interface {
	// replyLimit is the largest command output (stdout plus stderr, before
	// base64) that one reply may carry.
	replyLimit() int
}

// Output at most this large (stdout plus stderr) travels in the wrapper's
// own guest-exec-status reply: 2.7 MB of JSON once base64-encoded, well
// under libvirt's 4 MiB RPC string.
const spoolInlineLimit = 2 << 20

func (t *libvirtTransport) replyLimit() int { return spoolInlineLimit }

// agentCaptureLimit is what qemu-ga keeps of each stream (16 MiB in 7.2):
// it then closes its end of the pipe, so the command's next write fails
// (SIGPIPE). The wrapper does the same, so that a command's output cannot
// fill the guest's /tmp either.
const agentCaptureLimit = 16 << 20

// spoolCleanupTimeout bounds removing a spool directory, on every path.
const spoolCleanupTimeout = 15 * time.Second

// spoolScript runs a command with its stdout and stderr in files, in a
// directory the host named ($1, created here with mkdir, which fails when
// anything is there already: nothing is reused or followed). $2 is the
// inline limit, $3 one byte more than the agent's capture limit, $4
// "unset" when the caller's environment has no PWD (dash exports one of
// its own), the rest the command's argv, passed as arguments and never
// spliced into the script.
//
// The shell execs the command, so the agent's child is the command itself:
// the agent reports its exact exit code or signal, a kill of the PID kills
// the command, and it gets the agent's stdin and the environment as the
// agent gave them. Its stdout and stderr go into two FIFOs, each read by a
// head that caps the stream at 16 MiB + 1 into a file (the command then
// gets SIGPIPE, as with the agent). A detached sweeper waits for both heads
// (they end when every writer has closed: the command and whatever
// inherited its output), then writes, as the last line of the agent's
// stdout, "DIR MODE OUT ERR": MODE "inline" (the output came before this
// line, on the agent's pipes, and the directory is gone) or "files" (the
// output is in DIR/o and DIR/e); OUT and ERR are the files' sizes. The
// agent reports the command's exit only once the sweeper has closed the
// agent's pipes. A program that is not there or not executable is
// "DIR notfound", without a directory. Helpers are found on a fixed PATH:
// the command's environment may have none. Small output is removed even
// when cat fails: that is the agent gone (a broken pipe), and the output
// with it; nobody would come for the files.
//
// The FIFOs' read ends are opened before the sweeper forks (a read-write
// open, closed at once, keeps the opens from blocking), so no output is
// lost however late the heads start, and the heads see the end of the
// output even when the shell is killed before its exec. The command gets
// write-only ends: one that could also read would keep a FIFO open for
// reading after its head stopped at the cap, and the command would block
// on a full FIFO instead of getting SIGPIPE.
const spoolScript = `d=$1 inline=$2 cap=$3 pwd=$4; shift 4
P=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case $1 in
*/*) [ -f "$1" ] && [ -x "$1" ] ;;
*) command -v -- "$1" >/dev/null 2>&1 ;;
esac || { printf '\n%s notfound\n' "$d"; exit 127; }
umask 077
PATH=$P mkdir -m 700 -- "$d" && PATH=$P mkfifo -- "$d/po" "$d/pe" || exit 125
exec 7<>"$d/po" 8<>"$d/pe"
exec 5<"$d/po" 6<"$d/pe" 3>"$d/po" 4>"$d/pe" 7>&- 8>&-
( (
	exec 3>&- 4>&-
	PATH=$P head -c "$cap" <&5 >"$d/o" 6<&- &
	PATH=$P head -c "$cap" <&6 >"$d/e" 5<&- &
	exec 5<&- 6<&-
	wait
	o=0 e=0
	[ -s "$d/o" ] && o=$(PATH=$P wc -c <"$d/o")
	[ -s "$d/e" ] && e=$(PATH=$P wc -c <"$d/e")
	m=files
	if [ $((o + e)) -le "$inline" ]; then
		[ "$o" -eq 0 ] || PATH=$P cat -- "$d/o"
		[ "$e" -eq 0 ] || PATH=$P cat -- "$d/e" >&2
		PATH=$P rm -rf -- "$d" && m=inline
	fi
	printf '\n%s %s %d %d\n' "$d" "$m" "$o" "$e"
) & )
exec 5<&- 6<&-
[ "$pwd" = keep ] || unset PWD
exec "$@" >&3 2>&4 3>&- 4>&-`

// spoolShell runs spoolScript; guests without it (Windows) get the plain
// guest-exec (see noShell).
const spoolShell = "/bin/sh"

// spoolJob is a command started through the wrapper.
type spoolJob struct {
	dir  string // the private directory in the guest, named by the host
	path string // the program the caller asked for, for messages
}

// spoolWrap returns the request to send and, when it wraps req, the job to
// remember once the agent answers with a PID. Only through a transport with
// a reply limit, and only when output is captured: uncaptured output is
// never sent.
func (c *Client) spoolWrap(req ExecRequest) (ExecRequest, *spoolJob) {
	lt, ok := c.t.(replyLimited)
	if !ok || req.NoCapture || req.Path == "" {
		return req, nil
	}
	if c.guest.noShell.Load() {
		return req, nil
	}
	var name [16]byte
	if _, err := rand.Read(name[:]); err != nil {
		return req, nil // cannot happen on Linux; the plain exec still works for small output
	}
	job := &spoolJob{dir: "/tmp/qga-exec-" + hex.EncodeToString(name[:]), path: req.Path}
	pwd := "keep"
	if len(req.Env) > 0 && !slices.ContainsFunc(req.Env, func(kv string) bool { return strings.HasPrefix(kv, "PWD=") }) {
		pwd = "unset"
	}
	args := append([]string{"-c", spoolScript, "qga-exec", job.dir, strconv.Itoa(lt.replyLimit()), strconv.Itoa(agentCaptureLimit + 1), pwd, req.Path}, req.Args...)
	return ExecRequest{Path: spoolShell, Args: args, Env: req.Env, Stdin: req.Stdin}, job
}

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
	c.spools.Store(pid, job)
	return pid, nil
}

// shellMissing: the agent could not start spoolShell at all (a Windows
// guest, or one without a POSIX shell).
func shellMissing(err error) bool {
	var ae *AgentError
	return errors.As(err, &ae) && strings.Contains(ae.Desc, spoolShell)
}

// finishSpool turns the wrapper's final status into the command's: its
// output (inline, or read back from the files), its exit code or signal,
// the truncation flags; and removes the directory. st is returned as it is
// for a process that was not started through the wrapper.
func (c *Client) finishSpool(ctx context.Context, pid int, st *ExecStatus) (*ExecStatus, error) {
	v, ok := c.spools.LoadAndDelete(pid)
	if !ok {
		return st, nil
	}
	job := v.(*spoolJob)
	tr, ok := parseSpoolTrailer(st.Stdout, job.dir)
	switch {
	case ok && tr.notFound:
		e := newError(c.t.Target(), "guest-exec", ErrAgentFailed, errors.New("the program was not found in the guest, or is not an executable file"))
		e.About = "command " + strconv.Quote(job.path)
		return nil, e
	case !ok:
		// No report: the shell was killed before it ran the command (a
		// timeout's kill), or it could not create its directory or FIFOs.
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
	defer c.removeSpool(ctx, job)
	var err error
	if out.Stdout, out.StdoutTruncated, err = c.readSpoolFile(ctx, job, "o", tr.outSize); err != nil {
		return nil, err
	}
	if out.Stderr, out.StderrTruncated, err = c.readSpoolFile(ctx, job, "e", tr.errSize); err != nil {
		return nil, err
	}
	return out, nil
}

// readSpoolFile reads one stream back, at most agentCaptureLimit bytes of
// it, as the agent would have kept; truncated says there was more.
func (c *Client) readSpoolFile(ctx context.Context, job *spoolJob, name string, size int64) ([]byte, bool, error) {
	if size == 0 {
		return nil, false, nil
	}
	path := job.dir + "/" + name
	data, more, err := c.readFileUpTo(ctx, path, agentCaptureLimit, size)
	if err != nil {
		return nil, false, c.outputLost(err, job, size)
	}
	return data, more || size > agentCaptureLimit, nil
}

// outputLost reports a failed read of a finished command's output. Its kind
// is never one after which polling the status again would help (the agent
// has forgotten the process): the agent's answer (a blocked command) is
// kept, a failure of the channel becomes ErrAgentFailed.
func (c *Client) outputLost(err error, job *spoolJob, size int64) error {
	kind := ErrAgentFailed
	hint := "the command has run; its output is lost"
	switch {
	case errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrCommandUnsupported):
		kind = ErrCommandDisabled
		hint = fmt.Sprintf("%d bytes of output are too many for one libvirt reply and are read with guest-file-open/read/close: "+
			"enable them in the guest agent, or use its direct socket (agent_socket)", size)
	case errors.Is(err, ErrTimeout):
		hint += ": the deadline came while it was read back"
	}
	e := newError(c.t.Target(), "guest-file-read", kind, errors.New(err.Error()))
	e.About, e.Hint = fmt.Sprintf("the output of %q", job.path), hint
	return e
}

// removeSpool removes the job's directory (which the host named and the
// wrapper created), whatever the caller's ctx says: an interrupted apply
// must not leave output in the guest.
func (c *Client) removeSpool(ctx context.Context, job *spoolJob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), spoolCleanupTimeout)
	defer cancel()
	rm := ExecRequest{Path: spoolShell, Args: []string{"-c", `PATH=/usr/sbin:/usr/bin:/sbin:/bin rm -rf -- "$1"`, "qga-exec-cleanup", job.dir}}
	pid, err := c.execStart(ctx, rm, "removing "+job.dir)
	if err == nil {
		_, _ = c.ExecWait(ctx, pid)
	}
}

// spoolTrailer is the wrapper's last line.
type spoolTrailer struct {
	at               int // where the line starts in stdout
	notFound, files  bool
	outSize, errSize int64
}

// parseSpoolTrailer finds the wrapper's report at the end of stdout. The
// command's own output comes before it and may hold anything, including a
// copy of the line: only the last line counts.
func parseSpoolTrailer(stdout []byte, dir string) (spoolTrailer, bool) {
	at := bytes.LastIndex(stdout, []byte("\n"+dir+" "))
	if at < 0 || !bytes.HasSuffix(stdout, []byte("\n")) {
		return spoolTrailer{}, false
	}
	f := strings.Fields(string(stdout[at+1+len(dir) : len(stdout)-1]))
	tr := spoolTrailer{at: at}
	if len(f) == 1 && f[0] == "notfound" {
		tr.notFound = true
		return tr, true
	}
	if len(f) != 3 || (f[0] != "inline" && f[0] != "files") {
		return spoolTrailer{}, false
	}
	tr.files = f[0] == "files"
	var err1, err2 error
	tr.outSize, err1 = strconv.ParseInt(f[1], 10, 64)
	tr.errSize, err2 = strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || tr.outSize < 0 || tr.errSize < 0 {
		return spoolTrailer{}, false
	}
	return tr, true
}
