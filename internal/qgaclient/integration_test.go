package qgaclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// These tests run every call against the real test bed VM, through both
// transports. Each transport works on its own guest user so they can run
// side by side.

type transportCase struct {
	name   string
	target qgaclient.Target
	user   string
}

func transports(t *testing.T) []transportCase {
	env := testbed.Require(t)
	return []transportCase{
		{"libvirt", qgaclient.Target{URI: env.URI, Domain: env.Domain}, "alice"},
		{"socket", qgaclient.Target{AgentSocket: env.Socket}, "bob"},
	}
}

// testPool is shared by the tests' clients, as the provider's clients share
// its pool: the tests run in parallel, and QEMU's agent socket serves one
// connection at a time (a client of its own per test would queue for it).
var testPool = qgaclient.NewPool()

func openReady(t *testing.T, target qgaclient.Target) *qgaclient.Client {
	t.Helper()
	c, err := testPool.Open(target, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WaitForAgent(context.Background(), 3*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestRealVM(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openReady(t, tc.target)
			t.Run("info", func(t *testing.T) { testInfo(t, c) })
			t.Run("exec", func(t *testing.T) { testExec(t, c) })
			t.Run("files", func(t *testing.T) { testFiles(t, c, tc.name) })
			t.Run("sshkeys", func(t *testing.T) { testSSHKeys(t, c, tc.user) })
			t.Run("password", func(t *testing.T) { testPassword(t, c, tc.user) })
			t.Run("errors", func(t *testing.T) { testErrors(t, c) })
		})
	}
}

func testInfo(t *testing.T, c *qgaclient.Client) {
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.Version, "7.") {
		t.Errorf("agent version %q, want qemu-ga 7.x", info.Version)
	}
	if cmd, ok := info.Command("guest-exec"); !ok || !cmd.Enabled {
		t.Errorf("guest-exec not listed as enabled: %+v", cmd)
	}
	os, err := c.OSInfo(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if os.ID != "debian" || os.VersionID != "12" || os.Machine != "x86_64" || os.KernelRelease == "" || !strings.Contains(os.PrettyName, "bookworm") {
		t.Errorf("osinfo = %+v", os)
	}
	host, err := c.Hostname(ctx(t))
	if err != nil || host != "qga-testbed" {
		t.Errorf("hostname = %q, %v", host, err)
	}
	tz, err := c.Timezone(ctx(t))
	if err != nil || tz.Zone == "" {
		t.Errorf("timezone = %+v, %v", tz, err)
	}
	if _, err := c.Users(ctx(t)); err != nil {
		t.Errorf("users: %v", err)
	}
	ifaces, err := c.Interfaces(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ifaces, func(i qgaclient.Interface) bool {
		return i.Name == "lo" && slices.ContainsFunc(i.IPAddresses, func(a qgaclient.IPAddress) bool { return a.Address == "127.0.0.1" && a.Type == "ipv4" })
	}) {
		t.Errorf("no lo with 127.0.0.1 in %+v", ifaces)
	}
}

func testExec(t *testing.T, c *qgaclient.Client) {
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/echo", Args: []string{"hello", "world"}})
	if err != nil || res.ExitCode != 0 || string(res.Stdout) != "hello world\n" {
		t.Fatalf("echo: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "echo oops >&2; exit 3"}})
	if err != nil || res.ExitCode != 3 || string(res.Stderr) != "oops\n" {
		t.Fatalf("exit 3: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/cat", Stdin: []byte("from stdin\n")})
	if err != nil || string(res.Stdout) != "from stdin\n" {
		t.Fatalf("stdin: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/usr/bin/env", Env: []string{"QGA_TEST=yes"}})
	if err != nil || !strings.Contains(string(res.Stdout), "QGA_TEST=yes") {
		t.Fatalf("env: %+v, %v", res, err)
	}
	res, err = c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "kill -9 $$"}})
	if err != nil || res.Signal != 9 {
		t.Fatalf("signal: %+v, %v", res, err)
	}
	// The deadline must leave time for the start, so that the error names
	// the PID: a loaded CI guest forked only twice in 2 s. Past the
	// deadline Exec returns at once (the margin is for a loaded host);
	// were it not honoured, Exec would wait for the sleep's 20 s.
	const deadline = 5 * time.Second
	short, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	_, err = c.Exec(short, qgaclient.ExecRequest{Path: "/bin/sleep", Args: []string{"20"}})
	if !errors.Is(err, qgaclient.ErrTimeout) || !strings.Contains(err.Error(), "PID") {
		t.Fatalf("sleep past deadline: %v", err)
	}
	if d := time.Since(start); d > deadline+10*time.Second {
		t.Fatalf("deadline of %s honoured only after %s", deadline, d)
	}
	_, err = c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/no/such/program"})
	if !errors.Is(err, qgaclient.ErrAgentFailed) || !strings.Contains(err.Error(), "/no/such/program") {
		t.Fatalf("missing program: %v", err)
	}
}

func testFiles(t *testing.T, c *qgaclient.Client, name string) {
	data := make([]byte, 3<<20+17) // several chunks on either transport
	rand.Read(data)
	path := "/tmp/qgaclient-" + name
	if err := c.WriteFile(ctx(t), path, data); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadFile(ctx(t), path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d of %d bytes, err %v", len(got), len(data), err)
	}
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/usr/bin/sha256sum", Args: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", sha256.Sum256(data)); !strings.HasPrefix(string(res.Stdout), want) {
		t.Fatalf("guest sha256 %q, want %s", res.Stdout, want)
	}
	_, err = c.ReadFile(ctx(t), "/nonexistent/file")
	if !errors.Is(err, qgaclient.ErrAgentFailed) || !strings.Contains(err.Error(), "/nonexistent/file") {
		t.Fatalf("missing file: %v", err)
	}
}

const (
	key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl qga-test-1"
	key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDVZmUwvsHJ8rAf2lXmCSfE3tvSdl9oRkqsUvtn6Nh7v qga-test-2"
)

func testSSHKeys(t *testing.T, c *qgaclient.Client, user string) {
	file := "/home/" + user + "/.ssh/authorized_keys"
	if _, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/rm", Args: []string{"-f", file}}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.SSHKeys(ctx(t), user)
	if err != nil || len(keys) != 0 {
		t.Fatalf("no authorized_keys file: %v, %v (want no keys, no error)", keys, err)
	}
	if err := c.SetSSHKeys(ctx(t), user, []string{key1}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddSSHKeys(ctx(t), user, []string{key2, key1}); err != nil {
		t.Fatal(err)
	}
	keys, err = c.SSHKeys(ctx(t), user)
	slices.Sort(keys) // the agent decides the order in the file
	if err != nil || !slices.Equal(keys, slices.Sorted(slices.Values([]string{key1, key2}))) {
		t.Fatalf("after add: %q, %v", keys, err)
	}
	if err := c.RemoveSSHKeys(ctx(t), user, []string{key1}); err != nil {
		t.Fatal(err)
	}
	content, err := c.ReadFile(ctx(t), file)
	if err != nil || strings.TrimSpace(string(content)) != key2 {
		t.Fatalf("authorized_keys in the guest = %q, %v", content, err)
	}
	_, err = c.SSHKeys(ctx(t), "nosuchuser")
	if err == nil || !strings.Contains(err.Error(), `"nosuchuser"`) {
		t.Fatalf("unknown user: %v", err)
	}
}

func shadowEntry(t *testing.T, c *qgaclient.Client, user string) string {
	t.Helper()
	shadow, err := c.ReadFile(ctx(t), "/etc/shadow")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(shadow), "\n") {
		if f := strings.Split(line, ":"); len(f) > 1 && f[0] == user {
			return f[1]
		}
	}
	t.Fatalf("no %s in /etc/shadow", user)
	return ""
}

func testPassword(t *testing.T, c *qgaclient.Client, user string) {
	before := shadowEntry(t, c, user)
	if err := c.SetUserPassword(ctx(t), user, "correct horse battery", false); err != nil {
		t.Fatal(err)
	}
	after := shadowEntry(t, c, user)
	if after == before || !strings.HasPrefix(after, "$y$") {
		t.Fatalf("shadow hash %q (before %q): want a new yescrypt hash", after, before)
	}
	const hash = "$6$qgatest$LcC1R1R9o8Q0bJ1cTq1cW5bTt8nYdE3c3wOeQ1tXbJcqgH0tPz3cYcqK0jF2bq7pAaZ8m6h6bq3V6k1Yb8wZ/"
	if err := c.SetUserPassword(ctx(t), user, hash, true); err != nil {
		t.Fatal(err)
	}
	if got := shadowEntry(t, c, user); got != hash {
		t.Fatalf("crypted: shadow has %q, want %q", got, hash)
	}
	err := c.SetUserPassword(ctx(t), "nosuchuser", "s3cret-not-to-leak", false)
	if err == nil || !strings.Contains(err.Error(), `"nosuchuser"`) || strings.Contains(err.Error(), "s3cret-not-to-leak") {
		t.Fatalf("unknown user: %v", err)
	}
}

func testErrors(t *testing.T, c *qgaclient.Client) {
	if !strings.Contains(c.Target(), "domain") {
		return
	}
	env := testbed.Require(t)
	nd, err := qgaclient.Open(qgaclient.Target{URI: env.URI, Domain: "no-such-domain-qga"}, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = nd.WaitForAgent(ctx(t), time.Minute, nil)
	if !errors.Is(err, qgaclient.ErrDomainNotFound) || !strings.Contains(err.Error(), "no-such-domain-qga") {
		t.Fatalf("unknown domain: %v", err)
	}
}

// TestRemoteURIs reaches the test bed through the remote transports, over a
// loopback sshd: our ssh-program dialer (qemu+ssh) and go-libvirt's own
// SSH client (qemu+libssh).
func TestRemoteURIs(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	for name, uri := range map[string]string{"ssh": remote.SSH, "libssh": remote.LibSSH} {
		t.Run(name, func(t *testing.T) { smokeTest(t, uri, env.Domain, name) })
	}
	t.Run("unreachable", func(t *testing.T) {
		c, err := qgaclient.Open(qgaclient.Target{URI: "qemu+ssh://root@127.0.0.1:1/system?no_verify=1", Domain: env.Domain}, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Ping(ctx(t))
		if !errors.Is(err, qgaclient.ErrConnection) || !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "Connection refused") {
			t.Fatalf("unreachable host: %v", err)
		}
	})
}

// TestPlainQEMU boots the guest without libvirt and talks to its agent on
// QEMU's own chardev socket, the way users without libvirt run it.
func TestPlainQEMU(t *testing.T) {
	sock := testbed.StartPlainQEMU(t)
	c := openReady(t, qgaclient.Target{AgentSocket: sock})
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/cat", Args: []string{"/etc/hostname"}})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "qga-testbed" {
		t.Fatalf("exec on the plain QEMU guest: %+v, %v", res, err)
	}
	os, err := c.OSInfo(ctx(t))
	if err != nil || os.ID != "debian" {
		t.Fatalf("osinfo: %+v, %v", os, err)
	}
}
