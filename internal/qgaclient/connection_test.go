package qgaclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// withQuery returns uri with its query parameters changed.
func withQuery(t *testing.T, uri string, set map[string]string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// wrongKey is an ssh key the loopback sshd does not accept.
func wrongKey(t *testing.T) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "wrong_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return key
}

const uriPassword = "Pa55-w0rd-never-shown"

// TestConnectionFailuresFailFast: a libvirt connection that cannot work
// (refused, not authenticated, unknown host) ends WaitForAgent within
// seconds, though it may wait 2 minutes, with ErrConnection and a message
// that says the connection failed, not the agent, with ssh's own reason.
func TestConnectionFailuresFailFast(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	port := testbed.ClosedPort(t)
	sshPort := strings.Split(strings.Split(remote.SSH, "@127.0.0.1:")[1], "/")[0]
	for _, tc := range []struct {
		name, uri, reason string
	}{
		{"tcp refused", "qemu+tcp://127.0.0.1:" + port + "/system", "connection refused"},
		{"ssh refused", "qemu+ssh://root@127.0.0.1:" + port + "/system?no_verify=1", "Connection refused"},
		{"libssh refused", "qemu+libssh://root:" + uriPassword + "@127.0.0.1:" + port + "/system?known_hosts_verify=ignore&sshauth=password", "connection refused"},
		{"ssh wrong key", withQuery(t, remote.SSH, map[string]string{"keyfile": wrongKey(t)}), "Permission denied (publickey)"},
		{"libssh wrong password", "qemu+libssh://root:" + uriPassword + "@127.0.0.1:" + sshPort + "/system?known_hosts_verify=ignore&sshauth=password", "unable to authenticate"},
		{"ssh unknown host", "qemu+ssh://root@no-such-host.invalid/system?no_verify=1", "Could not resolve hostname"},
		{"tcp unknown host", "qemu+tcp://no-such-host.invalid/system", "no such host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := qgaclient.Open(qgaclient.Target{URI: tc.uri, Domain: env.Domain}, qgaclient.Options{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.WaitForAgent(ctx(t), 120*time.Second, nil)
			took := time.Since(start)
			t.Logf("failed in %s: %v", took.Round(time.Millisecond), err)
			if took > 8*time.Second {
				t.Errorf("took %s to fail, want a few seconds", took.Round(time.Millisecond))
			}
			if !errors.Is(err, qgaclient.ErrConnection) || errors.Is(err, qgaclient.ErrAgentUnavailable) {
				t.Fatalf("want ErrConnection, got %v", err)
			}
			msg := err.Error()
			for _, want := range []string{"libvirt connection", "the connection to libvirt failed, not the guest agent", tc.reason} {
				if !strings.Contains(msg, want) {
					t.Errorf("message does not say %q: %s", want, msg)
				}
			}
			for _, never := range []string{uriPassword, "qemu-guest-agent is installed"} {
				if strings.Contains(msg, never) {
					t.Errorf("message holds %q: %s", never, msg)
				}
			}
		})
	}
}

// sshChildren counts this process's ssh children (zombies included).
func sshChildren(t *testing.T) int {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	n := 0
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(s[close+1:]) // state, ppid, ...
		if s[open+1:close] == "ssh" && len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) {
			n++
		}
	}
	return n
}

func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// settles waits (bounded) until count() is at most want, and returns it.
// Generous: killed ssh processes may take seconds to be reaped on a loaded
// CI machine, and only what stays longer is a leak.
func settles(count func() int, want int) int {
	deadline := time.Now().Add(30 * time.Second)
	n := count()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		n = count()
	}
	return n
}

// silentLibvirtd is a unix socket that accepts connections and never
// answers: a libvirtd that hangs. It returns the socket's path.
func silentLibvirtd(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "silent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { // read what the client sends, answer nothing
				_, _ = io.Copy(io.Discard, conn)
				conn.Close()
			}()
		}
	}()
	return path
}

// TestFailedConnectionsLeakNothing: failed and abandoned dials leave no
// ssh process and no open file behind.
func TestFailedConnectionsLeakNothing(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	badKey := withQuery(t, remote.SSH, map[string]string{"keyfile": wrongKey(t)})
	// The handshake hangs: ssh works, nc reaches a socket that never answers.
	hanging := withQuery(t, remote.SSH, map[string]string{"proxy": "netcat", "socket": silentLibvirtd(t)})

	sshBefore, filesBefore := sshChildren(t), openFiles(t)
	for i := 0; i < 4; i++ {
		c, err := qgaclient.Open(qgaclient.Target{URI: badKey, Domain: env.Domain}, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitForAgent(ctx(t), time.Minute, nil); !errors.Is(err, qgaclient.ErrConnection) {
			t.Fatalf("wrong key: %v", err)
		}
		c, err = qgaclient.Open(qgaclient.Target{URI: hanging, Domain: env.Domain}, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		start := time.Now()
		err = c.Ping(short)
		cancel()
		// Past the 1.5 s the ping returns at once: the margin is for a
		// loaded CI machine (a handshake that hangs would hang forever).
		if err == nil || time.Since(start) > 10*time.Second {
			t.Fatalf("ping over a hanging libvirtd: %v after %s", err, time.Since(start))
		}
		if i == 0 {
			t.Logf("abandoned dial: %v", err)
		}
	}
	if n := settles(func() int { return sshChildren(t) }, sshBefore); n != sshBefore {
		t.Errorf("%d ssh processes before, %d after 8 failed connections", sshBefore, n)
	}
	if n := settles(func() int { return openFiles(t) }, filesBefore); n > filesBefore {
		t.Errorf("%d open files before, %d after 8 failed connections", filesBefore, n)
	}
}

// TestSSHHostileURIOverRealSSH: through the loopback sshd, hostile values
// in the socket path and the remote URI reach the remote side as data: the
// connection fails cleanly (or, where virt-ssh-helper ignores socket=,
// works) and nothing runs on the host.
func TestSSHHostileURIOverRealSSH(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	dir := t.TempDir()
	mark := filepath.Join(dir, "injected")
	for _, tc := range []struct {
		name   string
		set    map[string]string
		path   string
		works  bool
		reason string
	}{
		{"issue 11 socket, default proxy", map[string]string{"socket": "/var/run/libvirt/libvirt-sock';touch " + mark + ";'"}, "", true, ""},
		{"socket through nc", map[string]string{"proxy": "netcat", "socket": "/var/run/libvirt/libvirt-sock';touch " + mark + ";'"}, "", false, "No such file or directory"},
		{"subst in socket", map[string]string{"proxy": "netcat", "socket": "/x$(touch${IFS}" + mark + ")`touch " + mark + "`"}, "", false, "File name too long"},
		{"subst in path", nil, "/system$(touch${IFS}" + mark + ")';touch " + mark + ";'", false, "unexpected qemu URI path"},
		{"subst in name", map[string]string{"name": "qemu:///system$(touch${IFS}" + mark + ")';touch " + mark + ";'"}, "", false, "virt-ssh-helper: cannot parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(withQuery(t, remote.SSH, tc.set))
			if err != nil {
				t.Fatal(err)
			}
			if tc.path != "" {
				u.Path = tc.path
			}
			uri := u.String()
			c, err := qgaclient.Open(qgaclient.Target{URI: uri, Domain: env.Domain}, qgaclient.Options{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.WaitForAgent(ctx(t), time.Minute, nil)
			// A socket that is not there gets libvirtd's restart grace, plus
			// the attempts around it, each of which starts ssh: 16.2 s in
			// all when idle, so the margin is for a loaded CI machine,
			// where one attempt takes seconds. The wait would be a minute.
			if took := time.Since(start); took > qgaclient.DefaultWait.DaemonDownGrace+15*time.Second {
				t.Errorf("took %s to fail cleanly", took.Round(time.Millisecond))
			}
			t.Logf("%s: %v", uri, err)
			switch {
			case tc.works && err != nil:
				t.Errorf("ping: %v", err)
			case !tc.works && !errors.Is(err, qgaclient.ErrConnection):
				t.Errorf("want a clean ErrConnection, got %v", err)
			case !tc.works && !strings.Contains(err.Error(), tc.reason):
				t.Errorf("error does not say %q: %v", tc.reason, err)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatalf("the URI ran a command on the host: %s exists", mark)
			}
		})
	}
}

// TestConnectionErrorsHideURIPassword: whatever way the connection fails,
// no error text holds the URI's password or secret parameters, in any form.
// It needs no test bed (nothing listens on the port), so it runs always.
func TestConnectionErrorsHideURIPassword(t *testing.T) {
	const password = "s3cr%21t-pw" // "s3cr!t-pw" decoded
	forms := []string{password, "s3cr!t-pw"}
	port := testbed.ClosedPort(t)
	for _, uri := range []string{
		"qemu+libssh://root:" + password + "@127.0.0.1:" + port + "/system?known_hosts_verify=ignore&sshauth=password",
		"qemu+libssh://root:" + password + "@no-such-host.invalid/system?known_hosts_verify=ignore",
		"qemu+tcp://root:" + password + "@127.0.0.1:" + port + "/system",
		"qemu+tls://root:" + password + "@127.0.0.1:" + port + "/system?no_verify=1",
		"qemu+ssh://root:" + password + "@127.0.0.1:" + port + "/system",
		"qemu+libssh://root:%zz" + password + "@127.0.0.1/system",
		"qemu+libssh://root:" + password + "@127.0.0.1:" + port + "/system?sshauth=bogus",
		"qemu+tcp://127.0.0.1:" + port + "/system?token=" + password,
		"qemu+tcp://127.0.0.1:" + port + "/system?name=" + url.QueryEscape("qemu:///system?x="+password),
		"qemu:///system?mode=bogus&secret=" + password,
		"not a URI root:" + password + "@host",
	} {
		var err error
		start := time.Now()
		c, openErr := qgaclient.Open(qgaclient.Target{URI: uri, Domain: "d"}, qgaclient.Options{})
		if err = openErr; err == nil {
			err = c.WaitForAgent(ctx(t), 20*time.Second, nil)
		}
		if err == nil {
			t.Fatalf("%s: no error", qgaclient.RedactURI(uri))
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %s to fail: %v", qgaclient.RedactURI(uri), took.Round(time.Millisecond), err)
		}
		for _, form := range forms {
			if strings.Contains(err.Error(), form) {
				t.Errorf("error holds the secret %q: %v", form, err)
			}
		}
	}
}

// TestSlowDialIsNotCutByPingDeadline: an ssh that takes longer to connect
// than one ping's deadline (5 s) still connects: WaitForAgent dials under
// its whole wait. Before, each attempt's dial was cut at 5 s and started
// again, and the wait ran out reporting the agent.
func TestSlowDialIsNotCutByPingDeadline(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	realSSH, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	slow := "#!/bin/sh\nsleep 6\nexec " + realSSH + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(slow), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	// A URI of its own, so that no connection shared with other tests is reused.
	uri := withQuery(t, remote.SSH, map[string]string{"proxy": "auto"})
	c, err := qgaclient.Open(qgaclient.Target{URI: uri, Domain: env.Domain}, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.WaitForAgent(ctx(t), 30*time.Second, nil); err != nil {
		t.Fatalf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	t.Logf("connected through a 6 s ssh in %s", time.Since(start).Round(time.Millisecond))
}

// reappearingLibvirtd makes libvirtd's socket appear at a new path after
// delay, forwarding to the real one: a libvirtd that is restarting.
func reappearingLibvirtd(t *testing.T, delay time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "libvirt-sock")
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		select {
		case <-time.After(delay):
		case <-stop:
			return
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Error(err)
			return
		}
		go func() { <-stop; l.Close() }()
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer client.Close()
				daemon, err := net.Dial("unix", "/var/run/libvirt/libvirt-sock")
				if err != nil {
					return
				}
				defer daemon.Close()
				go func() { _, _ = io.Copy(daemon, client); daemon.Close() }()
				_, _ = io.Copy(client, daemon)
			}()
		}
	}()
	return path
}

// TestLibvirtdDownGetsAShortGrace: a local libvirtd socket that is missing
// is waited for a little (libvirtd restarting), not for the whole wait.
func TestLibvirtdDownGetsAShortGrace(t *testing.T) {
	env := testbed.Require(t)
	if env.URI != "qemu:///system" {
		t.Skipf("the test bed's libvirtd is not qemu:///system's (%s)", env.URI)
	}
	t.Run("back after 2 s", func(t *testing.T) {
		uri := "qemu:///system?socket=" + url.QueryEscape(reappearingLibvirtd(t, 2*time.Second))
		c, err := qgaclient.Open(qgaclient.Target{URI: uri, Domain: env.Domain}, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := c.WaitForAgent(ctx(t), 120*time.Second, nil); err != nil {
			t.Fatalf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
		}
		t.Logf("connected %s after the socket went missing", time.Since(start).Round(time.Millisecond))
	})
	t.Run("never back", func(t *testing.T) {
		uri := "qemu:///system?socket=" + url.QueryEscape(filepath.Join(t.TempDir(), "libvirt-sock"))
		c, err := qgaclient.Open(qgaclient.Target{URI: uri, Domain: env.Domain}, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = c.WaitForAgent(ctx(t), 120*time.Second, nil)
		took := time.Since(start)
		t.Logf("failed in %s: %v", took.Round(time.Millisecond), err)
		if !errors.Is(err, qgaclient.ErrConnection) || !strings.Contains(err.Error(), "libvirtd is not running") {
			t.Fatalf("want ErrConnection saying libvirtd is not running, got %v", err)
		}
		if grace := qgaclient.DefaultWait.DaemonDownGrace; took > grace+2*time.Second || took < grace/2 {
			t.Errorf("gave up after %s, want about the grace of %s", took.Round(time.Millisecond), grace)
		}
	})
}
