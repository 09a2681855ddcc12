package qgaclient

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestTLSFailureClasses: certificate failures are final, with the file to
// check; other errors are left to classifyConnError.
func TestTLSFailureClasses(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want connFailure
		ok   bool
	}{
		{fmt.Errorf("failed to connect to libvirt: %w", x509.UnknownAuthorityError{}), connFailureServerCert, true},
		{fmt.Errorf("failed to connect to libvirt: %w", x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}), connFailureServerCert, true},
		{fmt.Errorf("failed to connect to libvirt: %w", io.EOF), connFailureClientCert, true},
		{errors.New("failed to connect to libvirt: server verification (of our certificate or IP address) failed"), connFailureClientCert, true},
		{errors.New("failed to connect to libvirt: i/o timeout"), connFailureOther, false},
	} {
		ce, ok := tlsFailure(tc.err)
		if ok != tc.ok || (ok && (ce.failure != tc.want || !ce.failure.permanent())) {
			t.Errorf("%v: got %+v, %v; want class %d, %v", tc.err, ce, ok, tc.want, tc.ok)
		}
	}
}
