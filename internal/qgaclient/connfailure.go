package qgaclient

import (
	"errors"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"github.com/digitalocean/go-libvirt"
)

// connFailure is why a connection to libvirt failed, as far as the error
// tells: it decides whether waiting can help and what to tell the user.
type connFailure int

const (
	// connFailureOther: a timeout, a dropped connection; trying again may help.
	connFailureOther connFailure = iota
	// connFailureDaemonDown: libvirtd's unix socket is missing or refuses
	// (locally, or on the remote host behind ssh): libvirtd is stopped or
	// restarting. Worth a short wait, not a long one.
	connFailureDaemonDown
	// connFailureRefused: the host refuses the TCP connection.
	connFailureRefused
	// connFailureAuth: the credentials were refused.
	connFailureAuth
	// connFailureUnknownHost: the host name does not resolve.
	connFailureUnknownHost
	// connFailureHostKey: the ssh host key is unknown or has changed.
	connFailureHostKey
	// connFailureConfig: the URI asks for something the host cannot give.
	connFailureConfig
	// connFailureServerCert: libvirtd's TLS certificate is not trusted.
	connFailureServerCert
	// connFailureClientCert: libvirtd did not accept our TLS certificate.
	connFailureClientCert
)

// permanent tells whether waiting cannot heal this failure.
func (f connFailure) permanent() bool {
	return f != connFailureOther && f != connFailureDaemonDown
}

// hint is what the user can do, always saying that the connection failed,
// not the guest agent.
func (f connFailure) hint() string {
	const prefix = "the connection to libvirt failed, not the guest agent: "
	switch f {
	case connFailureDaemonDown:
		return prefix + "libvirtd is not running on the host (or is restarting): start it, or check the socket= path of the URI"
	case connFailureRefused:
		return prefix + "nothing accepts connections at the URI's host and port: check the port, and that libvirtd (or sshd, for qemu+ssh) listens there"
	case connFailureAuth:
		return prefix + "the host refused the credentials: check the user name and the key (keyfile=, or an ssh agent), e.g. with ssh -i KEY USER@HOST, or libvirtd's access rules"
	case connFailureUnknownHost:
		return prefix + "the host name does not resolve: check the host in the URI"
	case connFailureHostKey:
		return prefix + "the host's ssh key is not known or has changed: check it and add it to known_hosts (ssh-keyscan), or set known_hosts= in the URI"
	case connFailureConfig:
		return prefix + "libvirt refused the URI, or something it names is missing: check the URI's path (e.g. /system), its parameters, and the files they name (keyfile=, pkipath=)"
	case connFailureServerCert:
		return prefix + "libvirtd's TLS certificate is not trusted: it must be signed by the CA in cacert.pem of the URI's pkipath= " +
			"(default /etc/pki/CA/cacert.pem; ~/.pki/libvirt/ when not root) and name the URI's host; no_verify=1 skips this check"
	case connFailureClientCert:
		return prefix + "libvirtd did not accept the client certificate, clientcert.pem (and clientkey.pem) of the URI's pkipath= " +
			"(default /etc/pki/libvirt/; ~/.pki/libvirt/ when not root): it must be signed by a CA of libvirtd's ca_file, " +
			"be meant for client authentication, and match libvirtd's tls_allowed_dn_list when that is set"
	}
	return prefix + "check the URI, the network, and that libvirtd runs on the host"
}

// connError is a failed connection to libvirt, classified.
type connError struct {
	failure connFailure
	err     error
}

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// connFailureOf returns the class of a connection error (connFailureOther
// when err is no classified connection error).
func connFailureOf(err error) connFailure {
	var ce *connError
	if errors.As(err, &ce) {
		return ce.failure
	}
	return connFailureOther
}

// sshMessage is a line ssh prints, and what it means.
type sshMessage struct {
	text    string
	failure connFailure
}

// remoteProxyFailure reads what virt-ssh-helper or nc printed on the remote
// host, once ssh itself worked: virt-ssh-helper says "Failed to connect
// socket to '...': No such file or directory", netcat-openbsd
// "nc: PATH: Connection refused".
func remoteProxyFailure(stderr string) (connFailure, bool) {
	nc := strings.HasPrefix(stderr, "nc: ")
	switch {
	case strings.Contains(stderr, "Failed to connect socket"),
		nc && (strings.Contains(stderr, "No such file or directory") || strings.Contains(stderr, "Connection refused")):
		return connFailureDaemonDown, true
	case nc, strings.HasPrefix(stderr, "virt-ssh-helper: "), strings.Contains(stderr, "not found"):
		return connFailureConfig, true // a bad socket= or remote URI; no proxy program there
	}
	return connFailureOther, false
}

// sshProgramMessages are OpenSSH's own.
var sshProgramMessages = []sshMessage{
	{"Permission denied", connFailureAuth},
	{"Too many authentication failures", connFailureAuth},
	{"Could not resolve hostname", connFailureUnknownHost},
	{"Name or service not known", connFailureUnknownHost},
	{"Host key verification failed", connFailureHostKey},
	{"REMOTE HOST IDENTIFICATION HAS CHANGED", connFailureHostKey},
	{"Connection refused", connFailureRefused},
}

// classifyConnError tells why dialing libvirt failed.
func classifyConnError(err error) connFailure {
	var se *sshError
	if errors.As(err, &se) {
		if f, ok := remoteProxyFailure(se.stderr); ok {
			return f
		}
		for _, m := range sshProgramMessages {
			if strings.Contains(se.stderr, m.text) {
				return m.failure
			}
		}
	}
	var le libvirt.Error
	if errors.As(err, &le) {
		// libvirtd answered the handshake and refused: asking again gets
		// the same answer.
		switch libvirt.ErrorNumber(le.Code) {
		case libvirt.ErrAuthFailed, libvirt.ErrAuthCancelled, libvirt.ErrAuthUnavailable, libvirt.ErrAccessDenied:
			return connFailureAuth
		}
		return connFailureConfig
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return connFailureUnknownHost
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Net == "unix" {
		switch {
		case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
			return connFailureDaemonDown
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
			return connFailureAuth
		}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return connFailureRefused
	}
	if opErr == nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
		return connFailureConfig // a certificate or key file, not the network
	}
	text := err.Error()
	switch {
	case strings.Contains(text, "unable to authenticate"):
		return connFailureAuth // golang.org/x/crypto/ssh, for qemu+libssh
	case strings.Contains(text, "knownhosts:"):
		return connFailureHostKey
	}
	return connFailureOther
}
