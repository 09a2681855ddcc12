package qgaclient

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// sshCommandDialer reaches a remote libvirtd the way libvirt's own client
// does for qemu+ssh://: it runs the ssh program (so ~/.ssh/config, agents and
// known_hosts work as users expect) and talks to libvirt over its stdio,
// through virt-ssh-helper on the remote side or, on old hosts, nc -U.
type sshCommandDialer struct {
	args   []string
	stderr *tailBuffer   // of the last ssh run, for error messages
	exited chan struct{} // closed when the last ssh run has exited
}

func newSSHCommandDialer(u *url.URL) *sshCommandDialer {
	args := []string{"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-e", "none"}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	if u.User != nil && u.User.Username() != "" {
		args = append(args, "-l", u.User.Username())
	}
	if k := u.Query().Get("keyfile"); k != "" {
		args = append(args, "-i", k)
	}
	if u.Query().Get("no_verify") == "1" {
		args = append(args, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null")
	}
	sock := u.Query().Get("socket")
	if sock == "" {
		sock = "/var/run/libvirt/libvirt-sock"
	}
	remote := fmt.Sprintf("qemu://%s", u.Path)
	// The same probe libvirt's client runs: prefer virt-ssh-helper.
	script := fmt.Sprintf(`sh -c 'if command -v virt-ssh-helper >/dev/null 2>&1; then exec virt-ssh-helper %q; else exec nc -U %q; fi'`, remote, sock)
	args = append(args, "--", u.Hostname(), script)
	return &sshCommandDialer{args: args}
}

func (d *sshCommandDialer) Dial() (net.Conn, error) {
	cmd := exec.Command("ssh", d.args...)
	d.stderr = &tailBuffer{}
	cmd.Stderr = d.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running ssh: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // also waits until ssh's stderr is copied
		close(exited)
	}()
	d.exited = exited
	return &cmdConn{cmd: cmd, w: stdin, r: stdout, exited: exited}, nil
}

// explain adds what ssh printed to a failed connection's error.
func (d *sshCommandDialer) explain(err error) error {
	if err == nil || d.stderr == nil {
		return err
	}
	// ssh's message ("Connection refused") may come a moment after the
	// connection failed: give it until ssh exits.
	select {
	case <-d.exited:
	case <-time.After(2 * time.Second):
	}
	if msg := strings.TrimSpace(d.stderr.String()); msg != "" {
		return fmt.Errorf("%w (ssh: %s)", err, msg)
	}
	return err
}

// tailBuffer keeps the last 2 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2048 {
		b.buf = b.buf[len(b.buf)-2048:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// cmdConn is a net.Conn over a child process's stdin and stdout.
type cmdConn struct {
	cmd    *exec.Cmd
	w      io.WriteCloser
	r      io.ReadCloser
	exited chan struct{}
}

func (c *cmdConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *cmdConn) Write(b []byte) (int, error) { return c.w.Write(b) }
func (c *cmdConn) Close() error {
	c.w.Close()
	c.r.Close()
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
	}
	return nil
}
func (c *cmdConn) LocalAddr() net.Addr              { return cmdAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr             { return cmdAddr{} }
func (c *cmdConn) SetDeadline(time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(time.Time) error { return nil }

type cmdAddr struct{}

func (cmdAddr) Network() string { return "ssh" }
func (cmdAddr) String() string  { return "ssh" }
