package testbed

import (
	"net"
	"strconv"
	"testing"
)

// ClosedPort is a TCP port on 127.0.0.1 where nothing listens: a connection
// to it is refused at once, which tests use for a connection that cannot heal.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
