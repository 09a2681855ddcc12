package qgaclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// tlsFailure tells whether a qemu+tls:// dial failed on a certificate, and
// says so in the error: waiting cannot fix a certificate, so such a
// failure must end the wait at once with the file to check.
func tlsFailure(err error) (*connError, bool) {
	var verr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &verr) || errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &invalid) {
		return &connError{failure: connFailureServerCert, err: err}, true
	}
	// libvirtd checks the client's certificate after the handshake and
	// then writes one status byte: 1 when it accepted it. When it did not,
	// it closes the connection instead (libvirt 9.0), or writes another
	// byte, which go-libvirt reports with libvirt's own words.
	var alert tls.AlertError
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &alert) || strings.Contains(err.Error(), "server verification (of our certificate") {
		return &connError{failure: connFailureClientCert,
			err: fmt.Errorf("libvirtd refused the TLS client certificate (it closed the connection after the handshake): %w", err)}, true
	}
	return nil, false
}
