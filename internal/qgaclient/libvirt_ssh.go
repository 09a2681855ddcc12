package qgaclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/digitalocean/go-libvirt"
)

// sshCommandDialer reaches a remote libvirtd the way libvirt's own client
// does for qemu+ssh://: it runs the ssh program (so ~/.ssh/config, agents and
// known_hosts work as users expect) and talks to libvirt over its stdio,
// through virt-ssh-helper on the remote side or, on old hosts, nc -U.
type sshCommandDialer struct {
	args []string

	mu      sync.Mutex
	conn    *cmdConn // of the last ssh run
	aborted bool     // no more runs: the dial was given up
}

// defaultRemoteSocket is where libvirtd listens on the remote host.
const defaultRemoteSocket = "/var/run/libvirt/libvirt-sock"

func newSSHCommandDialer(u *url.URL) (*sshCommandDialer, error) {
	uri := RedactURI(u.String())
	host := u.Hostname()
	if err := checkSSHWord(uri, "host name", host); err != nil {
		return nil, err
	}
	args := []string{"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-e", "none"}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return nil, fmt.Errorf("libvirt URI %s: qemu+ssh:// runs the ssh program, which takes no password from the URI: "+
				"use a key (keyfile=... or an ssh agent), or qemu+libssh://...?sshauth=password", uri)
		}
		if user := u.User.Username(); user != "" {
			if err := checkSSHWord(uri, "user name", user); err != nil {
				return nil, err
			}
			args = append(args, "-l", user)
		}
	}
	q := u.Query()
	if k := q.Get("keyfile"); k != "" {
		args = append(args, "-i", k)
	}
	if q.Get("no_verify") == "1" {
		args = append(args, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null")
	}
	command, err := remoteProxyCommand(u, uri)
	if err != nil {
		return nil, err
	}
	args = append(args, "--", host, command)
	return &sshCommandDialer{args: args}, nil
}

// remoteProxyCommand is the command ssh runs on the remote host to reach
// libvirtd: the probe libvirt's client runs (prefer virt-ssh-helper, fall
// back to nc -U), or the one the URI's proxy= parameter asks for. Two
// shells read it: the remote user's login shell, to which sshd hands the
// command string, and the sh -c it starts. Every value from the URI is
// quoted for both, so it reaches virt-ssh-helper or nc as one unchanged
// argument whatever it holds.
func remoteProxyCommand(u *url.URL, redacted string) (string, error) {
	q := u.Query()
	sock := q.Get("socket")
	if sock == "" {
		sock = defaultRemoteSocket
	}
	remote := string(libvirt.RemoteURI(u))
	for what, v := range map[string]string{"socket path": sock, "remote URI": remote} {
		if strings.ContainsRune(v, 0) {
			return "", fmt.Errorf("libvirt URI %s: the %s holds a NUL byte (%%00), which no program can receive: fix the URI", redacted, what)
		}
	}
	helper := "exec " + shellCommand("virt-ssh-helper", remote)
	netcat := "exec " + shellCommand("nc", "-U", sock)
	var inner string
	switch proxy := q.Get("proxy"); proxy {
	case "", "auto":
		inner = "if command -v virt-ssh-helper >/dev/null 2>&1; then " + helper + "; else " + netcat + "; fi"
	case "native":
		inner = helper
	case "netcat":
		inner = netcat
	default:
		return "", fmt.Errorf("libvirt URI %s: proxy=%q is not one of auto, native (virt-ssh-helper) or netcat (nc -U the socket= path): fix the URI", redacted, proxy)
	}
	return shellCommand("sh", "-c", inner), nil
}

// checkSSHWord rejects a host or user name that ssh would misread: empty,
// taken for an option (a leading '-'), or split or ended by whitespace or
// a control character.
func checkSSHWord(redactedURI, what, value string) error {
	switch {
	case value == "":
		return fmt.Errorf("libvirt URI %s has no %s: write it as qemu+ssh://user@host/system", redactedURI, what)
	case strings.HasPrefix(value, "-"):
		return fmt.Errorf("libvirt URI %s: the %s %q starts with '-', which ssh would take for an option: fix the %s in the URI", redactedURI, what, value, what)
	case strings.IndexFunc(value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("libvirt URI %s: the %s %q holds whitespace or control characters: fix the %s in the URI", redactedURI, what, value, what)
	}
	return nil
}

// Dial runs ssh and returns its stdio as the connection.
func (d *sshCommandDialer) Dial() (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.aborted {
		return nil, errors.New("the connection attempt was given up")
	}
	cmd := exec.Command("ssh", d.args...)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
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
	d.conn = &cmdConn{cmd: cmd, w: stdin, r: stdout, exited: exited, stderr: stderr}
	return d.conn, nil
}

// abort ends the connection attempt: ssh is killed (which ends a
// handshake waiting on it) and is not started again.
func (d *sshCommandDialer) abort() {
	d.mu.Lock()
	d.aborted = true
	conn := d.conn
	d.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// failed closes the ssh run of a connection attempt that failed, and
// returns err with what ssh printed. go-libvirt does not always close a
// connection whose handshake failed, and ssh's message ("Connection
// refused") may come a moment after: it is given until ssh exits.
func (d *sshCommandDialer) failed(err error) error {
	d.mu.Lock()
	conn := d.conn
	d.mu.Unlock()
	if conn == nil {
		return err
	}
	var le libvirt.Error
	if !errors.As(err, &le) { // libvirt answered: ssh itself worked
		select {
		case <-conn.exited:
		case <-time.After(2 * time.Second):
		}
	}
	_ = conn.Close()
	if msg := strings.TrimPrefix(strings.TrimSpace(conn.stderr.String()), "ssh: "); msg != "" {
		return &sshError{err: err, stderr: msg}
	}
	return err
}

// sshError is a failed connection with what the ssh program printed.
type sshError struct {
	err    error
	stderr string
}

func (e *sshError) Error() string { return fmt.Sprintf("ssh: %s (libvirt: %v)", e.stderr, e.err) }
func (e *sshError) Unwrap() error { return e.err }
