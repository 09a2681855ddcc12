// Package testbed gives tests the real virtual machine they run against: a
// Debian guest with the real qemu-ga, started by a real libvirtd. It reuses
// a running test bed (QGA_TEST_* variables, or the one testbed/up.sh left)
// and otherwise starts it with testbed/up.sh, once per test process.
package testbed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Env says where the test bed guest is.
type Env struct {
	URI    string // libvirt URI, e.g. qemu:///system
	Domain string // libvirt domain of the guest
	Socket string // host path of the guest's second agent channel, for the direct transport
	Root   string // the repository's root directory
}

var (
	once    sync.Once
	env     Env
	upError error
)

// upTimeout bounds bringing the test bed up from nothing: installing
// packages, building the guest and booting it took under 4 minutes here.
const upTimeout = 20 * time.Minute

// Require returns the test bed, starting it if needed. When it cannot be
// started the test fails, or, outside CI and when not root (so nothing can
// be installed), it is skipped with the reason.
func Require(t testing.TB) Env {
	t.Helper()
	if testing.Short() {
		t.Skip("test bed: skipped in -short mode (it needs the real VM)")
	}
	once.Do(func() { env, upError = bringUp() })
	if upError != nil {
		if os.Getenv("CI") == "" && os.Geteuid() != 0 {
			t.Skipf("TEST BED UNAVAILABLE, real-VM test skipped: %v (run as root, or run testbed/up.sh first)", upError)
		}
		t.Fatalf("test bed: %v", upError)
	}
	return env
}

func bringUp() (Env, error) {
	root, err := repoRoot()
	if err != nil {
		return Env{}, err
	}
	if e, ok := fromEnviron(root); ok {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "testbed", "up.sh"))
	cmd.Stderr = os.Stderr // progress: building, booting, waiting for the agent
	out, err := cmd.Output()
	if err != nil {
		return Env{}, fmt.Errorf("testbed/up.sh: %w", err)
	}
	e := parseEnv(out)
	e.Root = root
	if e.Domain == "" || e.Socket == "" {
		return Env{}, fmt.Errorf("testbed/up.sh printed no QGA_TEST_DOMAIN/QGA_TEST_SOCKET: %q", out)
	}
	return e, nil
}

func fromEnviron(root string) (Env, bool) {
	e := Env{URI: os.Getenv("QGA_TEST_URI"), Domain: os.Getenv("QGA_TEST_DOMAIN"), Socket: os.Getenv("QGA_TEST_SOCKET"), Root: root}
	if e.URI == "" {
		e.URI = "qemu:///system"
	}
	return e, e.Domain != "" && e.Socket != ""
}

// parseEnv reads the NAME=value lines testbed/up.sh prints.
func parseEnv(out []byte) Env {
	vars := parseLines(out)
	e := Env{URI: vars["QGA_TEST_URI"], Domain: vars["QGA_TEST_DOMAIN"], Socket: vars["QGA_TEST_SOCKET"]}
	if e.URI == "" {
		e.URI = "qemu:///system"
	}
	return e
}

// parseLines reads NAME=value lines.
func parseLines(out []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			vars[k] = v
		}
	}
	return vars
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "testbed", "up.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no testbed/up.sh above the working directory")
		}
		dir = parent
	}
}

// RemoteURIs are libvirt URIs that reach this machine's libvirtd over SSH
// (a loopback sshd started by testbed/ssh-loopback.sh).
type RemoteURIs struct {
	SSH    string // qemu+ssh://: runs the ssh program
	LibSSH string // qemu+libssh://: go-libvirt's own SSH client
}

var sshScript scriptOnce

// RequireRemote starts the loopback sshd once per process and returns the
// URIs; the same rules as Require apply when it cannot.
func RequireRemote(t testing.TB) RemoteURIs {
	t.Helper()
	v := sshScript.require(t, "ssh-loopback.sh", 5*time.Minute, "LOOPBACK SSHD UNAVAILABLE, remote-URI test skipped", "QGA_TEST_SSH_URI")
	return RemoteURIs{SSH: v["QGA_TEST_SSH_URI"], LibSSH: v["QGA_TEST_LIBSSH_URI"]}
}

// SessionEnv is a second, real libvirtd started by
// testbed/session-libvirtd.sh: the per-user daemon of a non-root user, with
// its own test-bed guest, listening on loopback with TCP (no
// authentication) and TLS (certificates made by the script).
type SessionEnv struct {
	User     string // the non-root user whose qemu:///session it is
	Home     string // that user's home directory
	Domain   string // the guest's domain in that daemon
	TCPURI   string // qemu+tcp://127.0.0.1/session (:PORT when not the default)
	TLSURI   string // qemu+tls://localhost/session?pkipath=PKI (:PORT when not the default)
	PKI      string // the test client's pkipath: cacert.pem, clientcert.pem, clientkey.pem
	OtherPKI string // the same files from a CA that libvirtd does not trust
}

var sessionScript scriptOnce

// RequireSession starts the session libvirtd and its guest once per
// process; the same rules as Require apply when it cannot (it needs root,
// to create the user).
func RequireSession(t testing.TB) SessionEnv {
	t.Helper()
	v := sessionScript.require(t, "session-libvirtd.sh", 10*time.Minute,
		"SESSION LIBVIRTD UNAVAILABLE, qemu:///session, qemu+tcp and qemu+tls tests skipped", "QGA_TEST_TLS_URI", "QGA_TEST_SESSION_USER")
	return SessionEnv{User: v["QGA_TEST_SESSION_USER"], Home: v["QGA_TEST_SESSION_HOME"], Domain: v["QGA_TEST_SESSION_DOMAIN"],
		TCPURI: v["QGA_TEST_TCP_URI"], TLSURI: v["QGA_TEST_TLS_URI"], PKI: v["QGA_TEST_PKI"], OtherPKI: v["QGA_TEST_PKI_OTHER"]}
}

// scriptOnce runs a script of testbed/ that starts something once per
// process and keeps the NAME=value lines it printed.
type scriptOnce struct {
	once sync.Once
	vars map[string]string
	err  error
}

// require returns the script's lines, running it the first time; when it
// fails the test fails, or, outside CI and when not root, is skipped with
// the reason. The lines named in want must be there.
func (s *scriptOnce) require(t testing.TB, script string, timeout time.Duration, skipReason string, want ...string) map[string]string {
	t.Helper()
	env := Require(t)
	s.once.Do(func() {
		out, err := runScript(env, timeout, script)
		if err != nil {
			s.err = err
			return
		}
		s.vars = parseLines(out)
		for _, name := range want {
			if s.vars[name] == "" {
				s.err = fmt.Errorf("testbed/%s printed no %s: %q", script, name, out)
			}
		}
	})
	if s.err != nil {
		if os.Getenv("CI") == "" && os.Geteuid() != 0 {
			t.Skipf("%s: %v", skipReason, s.err)
		}
		t.Fatal(s.err)
	}
	return s.vars
}

// runScript runs a script of testbed/ and returns what it printed.
func runScript(env Env, timeout time.Duration, script string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(env.Root, "testbed", script)}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("testbed/%s: %w", script, err)
	}
	return out, nil
}

// StartPlainQEMU boots the test bed guest with plain qemu-system-x86_64 (no
// libvirt) and returns its agent socket; the guest is stopped when the test
// ends.
func StartPlainQEMU(t testing.TB) string {
	t.Helper()
	env := Require(t)
	script := filepath.Join(env.Root, "testbed", "qemu-direct.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "start")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testbed/qemu-direct.sh start: %v", err)
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", script, "stop")
		stop.Stderr = os.Stderr
		if err := stop.Run(); err != nil {
			t.Errorf("testbed/qemu-direct.sh stop: %v", err)
		}
	})
	sock := parseLines(out)["QGA_TEST_SOCKET"]
	if sock == "" {
		t.Fatalf("testbed/qemu-direct.sh printed no QGA_TEST_SOCKET: %q", out)
	}
	return sock
}

var (
	extraMu   sync.Mutex
	extraEnvs = map[string]Env{}
)

// Extra brings up (once per process) another test bed domain of the same
// guest, e.g. for fault tests that kill agents or reboot the guest without
// disturbing tests running on the shared one. cmdline adds kernel
// command-line words: "qga1_args=--block-rpcs=guest-exec" starts the second
// agent (the direct socket's) with guest-exec disabled.
func Extra(t testing.TB, domain, cmdline string) Env {
	t.Helper()
	e, _ := extraDomain(t, domain, "QGA_TESTBED_CMDLINE="+cmdline)
	return e
}

// Variant brings up a test bed domain that boots a variant of the guest
// image (testbed/build-guest.sh's QGA_TESTBED_VARIANT, e.g. "python": with
// python3 and sudo, for Ansible's Python modules), with extra kernel
// command-line words as for Extra, and takes the domain down when the test
// that brought it up ends: the image is larger and only some tests need it.
func Variant(t testing.TB, domain, variant, cmdline string) Env {
	t.Helper()
	e, fresh := extraDomain(t, domain, "QGA_TESTBED_VARIANT="+variant, "QGA_TESTBED_CMDLINE="+cmdline)
	if fresh {
		t.Cleanup(func() {
			extraMu.Lock()
			delete(extraEnvs, domain)
			extraMu.Unlock()
			if _, err := runScriptWithEnv(e.Root, "down.sh", "QGA_TESTBED_DOMAIN="+domain); err != nil {
				t.Errorf("taking the test bed domain %s down: %v", domain, err)
			}
		})
	}
	return e
}

// extraDomain runs testbed/up.sh for domain with the environment words
// given, once per process; fresh says this call brought it up.
func extraDomain(t testing.TB, domain string, env ...string) (e Env, fresh bool) {
	t.Helper()
	base := Require(t)
	extraMu.Lock()
	defer extraMu.Unlock()
	if e, ok := extraEnvs[domain]; ok {
		return e, false
	}
	out, err := runScriptWithEnv(base.Root, "up.sh", append(env, "QGA_TESTBED_DOMAIN="+domain)...)
	if err != nil {
		t.Fatalf("test bed domain %s (%s): testbed/up.sh: %v", domain, strings.Join(env, " "), err)
	}
	e = parseEnv(out)
	e.Root = base.Root
	extraEnvs[domain] = e
	return e, true
}

// runScriptWithEnv runs a testbed/ script with extra environment words,
// bounded by upTimeout, and returns its stdout; its log goes to the test's
// stderr.
func runScriptWithEnv(root, name string, env ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "testbed", name))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return cmd.Output()
}

// TransientGuest starts the test bed's kernel and guest image in a
// throwaway libvirt domain, destroyed when the test ends. With channel false
// the domain has no guest agent channel at all; with true it has one, and
// its agent answers only some seconds after boot (never within 3 s).
func TransientGuest(t testing.TB, name string, channel bool) {
	t.Helper()
	env := Require(t)
	virsh := func(args ...string) ([]byte, error) {
		return exec.Command("virsh", append([]string{"-q", "-c", env.URI}, args...)...).CombinedOutput()
	}
	dump, err := virsh("dumpxml", env.Domain)
	if err != nil {
		t.Fatalf("virsh dumpxml %s: %v: %s", env.Domain, err, dump)
	}
	between := func(a, b string) string {
		s := string(dump)
		i, j := strings.Index(s, a), strings.Index(s, b)
		if i < 0 || j < i {
			t.Fatalf("no %s in the test bed's domain XML", a)
		}
		return s[i+len(a) : j]
	}
	ch := ""
	if channel {
		ch = `<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>`
	}
	xml := fmt.Sprintf(`<domain type='qemu'><name>%s</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><kernel>%s</kernel><initrd>%s</initrd><cmdline>console=ttyS0</cmdline></os>
<devices>%s<serial type='pty'/></devices>
<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel></domain>`,
		name, between("<kernel>", "</kernel>"), between("<initrd>", "</initrd>"), ch)
	file := filepath.Join(t.TempDir(), name+".xml")
	if err := os.WriteFile(file, []byte(xml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _ = virsh("destroy", name) // a leftover of an interrupted run
	if out, err := virsh("create", file); err != nil {
		t.Fatalf("virsh create %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _, _ = virsh("destroy", name) })
}

// The guest of Blocked: a domain of its own whose agents block commands the
// way distributions ship them.
const (
	BlockedDomain = "qga-blocked"
	// RHELBlockedCommands are what RHEL's qemu-guest-agent package (and
	// CentOS, AlmaLinux, Rocky) disables by default in /etc/sysconfig/qemu-ga.
	RHELBlockedCommands = "guest-exec,guest-exec-status,guest-file-open,guest-file-close,guest-file-read,guest-file-write,guest-file-seek,guest-file-flush"
	// SSHKeyCommands are the ssh-key commands, which the Windows agent lacks.
	SSHKeyCommands = "guest-ssh-get-authorized-keys,guest-ssh-add-authorized-keys,guest-ssh-remove-authorized-keys"
)

// Blocked brings up (once per process; the domain stays up for the other
// packages, and make test takes it down) the domain qga-blocked: through
// libvirt its agent blocks RHELBlockedCommands, like a RHEL guest; on the
// direct socket (Env.Socket) its agent blocks SSHKeyCommands, like a Windows
// guest, and can do everything else (the tests read the guest through it).
func Blocked(t testing.TB) Env {
	t.Helper()
	return Extra(t, BlockedDomain, "qga0_args=--block-rpcs="+RHELBlockedCommands+" qga1_args=--block-rpcs="+SSHKeyCommands)
}
