package qgatest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestWireProtocol: half a command dropped by 0xFF, the sync answer after a
// 0xFF of the agent's own, then a command answered on one line.
func TestWireProtocol(t *testing.T) {
	a := New(t)
	conn, err := net.Dial("unix", a.Socket())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = conn.Write([]byte(`{"execute":"guest-pi` + "\xff" + `{"execute":"guest-sync-delimited","arguments":{"id":42}}{"execute":"guest-get-host-name"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	if b, err := r.ReadByte(); err != nil || b != 0xFF {
		t.Fatalf("first byte %x, %v: want the 0xFF sentinel", b, err)
	}
	for _, want := range []string{`{"return":42}`, `{"return":{"host-name":"fakeguest"}}`} {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(line) != want {
			t.Fatalf("got %q, %v; want %s", line, err, want)
		}
	}
	if a.Calls("guest-ping") != 0 || a.Calls("guest-get-host-name") != 1 {
		t.Fatalf("calls: ping %d, host name %d", a.Calls("guest-ping"), a.Calls("guest-get-host-name"))
	}
}
