package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// maxInlineStdin is the most standard input sent inside the guest-exec
// command itself (input-data) through a transport with a reply limit
// (libvirt). There a whole agent command must fit in the send buffer of
// libvirtd's socket to the agent (about 212 KB, see libvirtWriteChunk); a
// larger guest-exec breaks the domain's agent channel until libvirtd is
// restarted. Larger input (a pipelined Ansible module, a big stdin of
// qga_guest_exec) is written to a guest file first, with the chunked,
// self-recovering WriteFile, and the command reads it from there.
const maxInlineStdin = 96 << 10

// stdinStageScript runs the command with its input from the staged file
// ($0), which it removes before the command runs: nothing of the input
// stays in the guest once the command has it. The shell only redirects and
// execs, so the command keeps its PID, its exit code and its signal. A
// program that is not there fails as the shell reports it (127).
const stdinStageScript = `exec <"$0" || exit 125
rm -f -- "$0"
exec "$@"`

// stageStdin returns the request to send: req itself when its input is
// small enough to go inline or the transport has no limit, else the request
// reading its input from a guest file written now, and a cleanup that
// removes that file should the command not start. The file's name is random
// (no other user of the guest can guess it in advance to put a link there)
// and qemu-ga creates files with mode 0600.
func (c *Client) stageStdin(ctx context.Context, req ExecRequest, about string) (ExecRequest, func(), error) {
	if _, limited := c.t.(replyLimited); !limited || len(req.Stdin) <= maxInlineStdin {
		return req, func() {}, nil
	}
	const command = "guest-exec"
	if err := c.learnShell(ctx, about); err != nil {
		return req, nil, err
	}
	if c.guest.noShell.Load() {
		return req, nil, withAbout(newError(c.t.Target(), command, nil, fmt.Errorf(
			"the input is %d bytes; through libvirt at most %d bytes go with guest-exec, and more needs /bin/sh in the guest, which it lacks: send less input, or use the agent socket (agent_socket) instead of libvirt",
			len(req.Stdin), maxInlineStdin)), about)
	}
	if strings.HasPrefix(req.Path, "-") {
		// The staging shell would read it as an option of exec.
		return req, nil, withAbout(newError(c.t.Target(), command, nil, errors.New("a program path that starts with '-' cannot be given large input: use an absolute path")), about)
	}
	name := "/tmp/qga-stdin-" + randomName()
	cleanup := func() {
		rm := ExecRequest{Path: "/bin/rm", Args: []string{"-f", "--", name}}
		cctx, cancel := c.bounded(context.WithoutCancel(ctx))
		defer cancel()
		_, _ = c.Run(cctx, rm, DefaultCallTimeout)
	}
	if err := c.WriteFile(ctx, name, req.Stdin); err != nil {
		cleanup() // a part of the input may be there, and it may be secret
		return req, nil, fmt.Errorf("writing the input of %s to the guest (%d bytes, too large to send with guest-exec through libvirt): %w", about, len(req.Stdin), err)
	}
	args := append([]string{"-c", stdinStageScript, name, req.Path}, req.Args...)
	return ExecRequest{Path: spoolShell, Args: args, Env: req.Env, NoCapture: req.NoCapture}, cleanup, nil
}
