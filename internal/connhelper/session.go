package connhelper

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Defaults for the open request's timeouts, in seconds.
const (
	defaultAgentTimeout = 120 // a guest still booting answers within a minute or two
	defaultCallTimeout  = 30
	defaultExecTimeout  = 3600
)

// The agent commands each operation needs; checked (with the cached
// guest-info) before the first use, so a guest that blocks them (RHEL's
// qemu-ga blocks guest-exec and guest-file-* by default) gets an error
// naming the command and the guest setting, not a failure halfway.
var (
	execCommands  = []string{"guest-exec", "guest-exec-status"}
	writeCommands = []string{"guest-file-open", "guest-file-write", "guest-file-close"}
	readCommands  = []string{"guest-file-open", "guest-file-read", "guest-file-close"}
)

// session is one Ansible connection: one guest, one client.
type session struct {
	client      *qgaclient.Client
	callTimeout time.Duration
}

func (s *session) close() {
	if s.client != nil {
		_ = s.client.Close()
		s.client = nil
	}
}

func (s *session) handle(ctx context.Context, req Request) Response {
	switch req.Op {
	case "open":
		return s.open(ctx, req)
	case "close":
		s.close()
		return Response{OK: true}
	case "exec", "put", "fetch":
		if s.client == nil {
			return badRequest(req.Op + " before open: the plugin must open the guest first")
		}
	default:
		return badRequest(fmt.Sprintf("unknown op %q (want open, exec, put, fetch or close)", req.Op))
	}
	switch req.Op {
	case "exec":
		return s.exec(ctx, req)
	case "put":
		return s.put(ctx, req)
	default:
		return s.fetch(ctx, req)
	}
}

func seconds(v, def float64) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v * float64(time.Second))
}

func (s *session) open(ctx context.Context, req Request) Response {
	if s.client != nil {
		return badRequest("open: the session already has a guest")
	}
	target := qgaclient.Target{Domain: req.Domain, AgentSocket: req.Socket}
	if req.Domain != "" {
		target.URI = req.URI
	}
	if target.Domain == "" && target.AgentSocket == "" {
		return badRequest("open: name the guest by a libvirt domain (ansible_host) or an agent socket (ansible_qga_socket)")
	}
	s.callTimeout = seconds(req.CallTimeout, defaultCallTimeout)
	c, err := qgaclient.Open(target, qgaclient.Options{CallTimeout: s.callTimeout})
	if err != nil {
		return failure(fmt.Errorf("opening the guest: %w", err))
	}
	if err := c.WaitForAgent(ctx, seconds(req.AgentTimeout, defaultAgentTimeout), nil); err != nil {
		_ = c.Close()
		return failure(err)
	}
	s.client = c
	return Response{OK: true, Target: c.Target()}
}

func (s *session) exec(ctx context.Context, req Request) Response {
	var er qgaclient.ExecRequest
	switch {
	case len(req.Argv) > 0 && req.Shell != "":
		return badRequest("exec: give argv or shell, not both")
	case len(req.Argv) > 0:
		er = qgaclient.ExecRequest{Path: req.Argv[0], Args: req.Argv[1:]}
	case req.Shell != "":
		// The agent's environment may have no HOME (a systemd service has
		// none), and Ansible asks the shell for ~ to find its remote
		// temporary directory: fall back to root's, the agent's user.
		er = qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", ": \"${HOME:=/root}\"; export HOME\n" + req.Shell}}
	default:
		return badRequest("exec: no command (argv or shell)")
	}
	er.Stdin = req.Stdin
	if err := s.client.Require(ctx, execCommands...); err != nil {
		return failure(err)
	}
	// Input too large for one guest-exec through libvirt (a pipelined
	// module) goes through a guest file: qgaclient's ExecStart does it.
	res, err := s.client.Run(ctx, er, seconds(req.Timeout, defaultExecTimeout))
	if err != nil {
		return failure(err)
	}
	rc := res.ExitCode
	if res.Signal != 0 {
		rc = 128 + res.Signal // as a shell reports a command killed by a signal
	}
	return Response{OK: true, RC: &rc, Stdout: res.Stdout, Stderr: res.Stderr,
		OutputTruncated: res.StdoutTruncated || res.StderrTruncated}
}

func (s *session) put(ctx context.Context, req Request) Response {
	if req.Src == "" || req.Dest == "" {
		return badRequest("put: src and dest are required")
	}
	f, err := os.Open(req.Src)
	if err != nil {
		return failure(localError{fmt.Errorf("put: opening the local file: %w", err)})
	}
	defer func() { _ = f.Close() }()
	if err := s.client.Require(ctx, writeCommands...); err != nil {
		return failure(err)
	}
	n, err := s.client.WriteFileFrom(ctx, req.Dest, f)
	if err != nil {
		return failure(err)
	}
	return Response{OK: true, Bytes: n}
}

// fetch writes the guest's file to a temporary file next to dest and
// renames it, so that a failed transfer never leaves a partial dest.
func (s *session) fetch(ctx context.Context, req Request) Response {
	if req.Src == "" || req.Dest == "" {
		return badRequest("fetch: src and dest are required")
	}
	if err := s.client.Require(ctx, readCommands...); err != nil {
		return failure(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(req.Dest), "."+filepath.Base(req.Dest)+".qga-*")
	if err != nil {
		return failure(localError{fmt.Errorf("fetch: creating the local file: %w", err)})
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	n, err := s.client.ReadFileTo(ctx, req.Src, tmp)
	if err != nil {
		return failure(err)
	}
	if err := tmp.Close(); err != nil {
		return failure(localError{fmt.Errorf("fetch: writing the local file: %w", err)})
	}
	if err := os.Rename(tmp.Name(), req.Dest); err != nil {
		return failure(localError{fmt.Errorf("fetch: %w", err)})
	}
	done = true
	return Response{OK: true, Bytes: n}
}
