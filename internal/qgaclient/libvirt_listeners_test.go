package qgaclient_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// smokeTest is what every libvirt URI gets: connect, look the domain up,
// and run two agent commands (guest-get-host-name, guest-exec).
func smokeTest(t *testing.T, uri, domain, label string) {
	t.Helper()
	c := openReady(t, qgaclient.Target{URI: uri, Domain: domain})
	host, err := c.Hostname(ctx(t))
	if err != nil || host != "qga-testbed" {
		t.Fatalf("hostname over %s: %q, %v", qgaclient.RedactURI(uri), host, err)
	}
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/echo", Args: []string{"over", label}})
	if err != nil || string(res.Stdout) != "over "+label+"\n" {
		t.Fatalf("exec over %s: %+v, %v", qgaclient.RedactURI(uri), res, err)
	}
}

// TestTCPAndTLSURIs reaches a guest through libvirtd's own TCP and TLS
// listeners (the session daemon of testbed/session-libvirtd.sh: the shared
// system daemon is not reconfigured for tests).
func TestTCPAndTLSURIs(t *testing.T) {
	s := testbed.RequireSession(t)
	t.Run("tcp", func(t *testing.T) { smokeTest(t, s.TCPURI, s.Domain, "tcp") })
	t.Run("tls", func(t *testing.T) { smokeTest(t, s.TLSURI, s.Domain, "tls") })
	t.Run("tls no_verify with an unknown server CA", func(t *testing.T) {
		pki := mixPKI(t, s.OtherPKI, s.PKI)
		smokeTest(t, tlsURI(s, pki)+"&no_verify=1", s.Domain, "tls-no-verify")
	})
}

// TestTCPAndTLSFailures: a refused port and each wrong certificate end in a
// connection error that says what is wrong, within seconds, although the
// caller would wait a minute for the agent.
func TestTCPAndTLSFailures(t *testing.T) {
	s := testbed.RequireSession(t)
	for _, tc := range []struct {
		name, uri string
		want      []string
	}{
		{"refused tcp port", "qemu+tcp://127.0.0.1:1/session",
			[]string{"127.0.0.1:1", "connection refused", "nothing accepts connections"}},
		{"refused tls port", "qemu+tls://localhost:1/session?pkipath=" + s.PKI,
			[]string{"localhost:1", "connection refused", "nothing accepts connections"}},
		{"server certificate from an unknown CA", tlsURI(s, mixPKI(t, s.OtherPKI, s.PKI)),
			[]string{"certificate signed by unknown authority", "pkipath", "cacert.pem"}},
		{"client certificate libvirtd does not trust", tlsURI(s, mixPKI(t, s.PKI, s.OtherPKI)),
			[]string{"libvirtd refused", "clientcert.pem"}},
		{"no client certificate", tlsURI(s, t.TempDir()),
			[]string{"could not read tls client cert", "clientcert.pem", "pkipath"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := qgaclient.Open(qgaclient.Target{URI: tc.uri, Domain: s.Domain}, qgaclient.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			err = c.WaitForAgent(context.Background(), time.Minute, nil)
			took := time.Since(start)
			if !errors.Is(err, qgaclient.ErrConnection) {
				t.Fatalf("want a connection error, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if took > 5*time.Second {
				t.Errorf("the error took %s, want a few seconds at most: %v", took.Round(time.Millisecond), err)
			}
		})
	}
}

// tlsURI is the session daemon's TLS URI with another pkipath.
func tlsURI(s testbed.SessionEnv, pki string) string {
	return strings.Replace(s.TLSURI, "pkipath="+s.PKI, "pkipath="+pki, 1)
}

// mixPKI is a pkipath with the CA of caDir and the client certificate and
// key of clientDir.
func mixPKI(t *testing.T, caDir, clientDir string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct{ from, name string }{{caDir, "cacert.pem"}, {clientDir, "clientcert.pem"}, {clientDir, "clientkey.pem"}} {
		if err := copyFile(filepath.Join(f.from, f.name), filepath.Join(dir, f.name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sessionChildEnv marks the copy of this test binary that runs as the
// session user.
const sessionChildEnv = "QGA_TEST_SESSION_CHILD_DOMAIN"

// TestSessionURI runs the smoke test as a non-root user with plain
// qemu:///session: this test binary, copied where that user can run it,
// runs TestSessionURIAsUser as the user, with a login-like environment (no
// XDG_RUNTIME_DIR: the client must find ~/.cache/libvirt/libvirt-sock as
// libvirt does).
func TestSessionURI(t *testing.T) {
	s := testbed.RequireSession(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "qga-session-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "qgaclient.test")
	if err := copyFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, "runuser", "-u", s.User, "--", "env", "-i", "HOME="+s.Home, "PATH=/usr/bin:/bin",
		sessionChildEnv+"="+s.Domain, bin, "-test.run", "^TestSessionURIAsUser$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSessionURIAsUser") {
		t.Fatalf("as %s: %v\n%s", s.User, err, out)
	}
}

// TestSessionURIAsUser is TestSessionURI's half that runs as the session
// user; it skips anywhere else.
func TestSessionURIAsUser(t *testing.T) {
	domain := os.Getenv(sessionChildEnv)
	if domain == "" {
		t.Skip("runs only as the session user, started by TestSessionURI")
	}
	if os.Geteuid() == 0 {
		t.Fatal("qemu:///session must be tested as a non-root user")
	}
	smokeTest(t, "qemu:///session", domain, "session")
}

func copyFile(src, dst string, mode os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}
