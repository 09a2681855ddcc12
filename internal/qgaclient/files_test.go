package qgaclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFiles gives a fakeAgent guest-file-open/write/seek/close on one
// in-memory file with a position, and lets a test break one write.
type fakeFiles struct {
	mu      sync.Mutex
	data    []byte
	pos     int
	writes  int
	seeks   []int
	sizes   []int
	failAt  int                                  // the write (1-based) that fails; 0: none
	failErr *AgentError                          // what it answers
	garbage func(chunk []byte) (n int, b []byte) // what the failing write leaves behind
}

func (f *fakeFiles) install(a *fakeAgent) {
	a.handle("guest-file-open", func(json.RawMessage) (any, *AgentError) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.data, f.pos = nil, 0
		return 7, nil
	})
	a.handle("guest-file-write", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Buf []byte `json:"buf-b64"`
		}
		json.Unmarshal(args, &in)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.writes++
		f.sizes = append(f.sizes, len(in.Buf))
		buf := in.Buf
		if f.writes == f.failAt {
			_, buf = f.garbage(in.Buf)
		}
		if end := f.pos + len(buf); end > len(f.data) {
			f.data = append(f.data, make([]byte, end-len(f.data))...)
		}
		copy(f.data[f.pos:], buf)
		f.pos += len(buf)
		if f.writes == f.failAt {
			return nil, f.failErr
		}
		return map[string]any{"count": len(in.Buf), "eof": false}, nil
	})
	a.handle("guest-file-seek", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Offset int    `json:"offset"`
			Whence string `json:"whence"`
		}
		json.Unmarshal(args, &in)
		f.mu.Lock()
		defer f.mu.Unlock()
		if in.Whence != "set" {
			return nil, &AgentError{Class: "GenericError", Desc: "unexpected whence " + in.Whence}
		}
		f.seeks = append(f.seeks, in.Offset)
		f.pos = in.Offset
		return map[string]any{"position": f.pos, "eof": false}, nil
	})
	a.handle("guest-file-close", func(json.RawMessage) (any, *AgentError) { return map[string]any{}, nil })
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// A chunk that arrives corrupted (what libvirt's resend of a partial write
// does) is answered with a JSON error after part of it, or garbage, may have
// been written: WriteFile seeks back, halves the chunk and finishes with
// the right content.
func TestWriteFileRecoversFromBrokenChunk(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeFiles{failAt: 2, failErr: &AgentError{Class: "GenericError", Desc: "QMP input member 'handle' is unexpected"},
		garbage: func(chunk []byte) (int, []byte) { return 0, bytes.Repeat([]byte("X"), len(chunk)/3) }}
	f.install(a)
	c := socketClient(t, a)
	c.SetFileChunk(64 << 10)
	data := pattern(300_000)
	if err := c.WriteFile(ctxT(t, 10*time.Second), "/tmp/x", data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.data, data) {
		t.Fatalf("the guest's file differs from the data (%d bytes, want %d)", len(f.data), len(data))
	}
	if len(f.seeks) != 1 || f.seeks[0] != 64<<10 {
		t.Fatalf("seeks %v, want one to %d", f.seeks, 64<<10)
	}
	if f.sizes[2] != 32<<10 || c.writeChunk() != 32<<10 {
		t.Fatalf("chunk sizes %v, remembered %d: want 32 KiB after the failure", f.sizes, c.writeChunk())
	}
}

// An answer about the file itself is not retried.
func TestWriteFileDoesNotRetryFileErrors(t *testing.T) {
	a := newFakeAgent(t)
	f := &fakeFiles{failAt: 1, failErr: &AgentError{Class: "GenericError", Desc: "failed to write to file: No space left on device"},
		garbage: func(chunk []byte) (int, []byte) { return 0, nil }}
	f.install(a)
	c := socketClient(t, a)
	err := c.WriteFile(ctxT(t, 10*time.Second), "/tmp/x", pattern(1000))
	var ae *AgentError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "No space left") || !strings.Contains(err.Error(), "after 0 of 1000 bytes") {
		t.Fatalf("err = %v", err)
	}
	if f.writes != 1 || len(f.seeks) != 0 {
		t.Fatalf("%d writes, seeks %v: want one write and no retry", f.writes, f.seeks)
	}
}

func TestChannelBroke(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{newError("t", "guest-file-write", ErrAgentUnavailable, errors.New("libvirt: Guest agent not available for now")), true},
		{newError("t", "guest-file-write", ErrTimeout, nil), true},
		{classifyAgentError("t", "guest-file-write", &AgentError{Desc: "JSON parse error, expecting value"}), true},
		{classifyAgentError("t", "guest-file-write", &AgentError{Desc: "QMP input member 'handle' is unexpected"}), true},
		{classifyAgentError("t", "guest-file-write", &AgentError{Desc: "handle '7' has not been found"}), false},
		{classifyAgentError("t", "guest-file-write", &AgentError{Desc: "failed to write to file"}), false},
	} {
		if got := channelBroke(c.err); got != c.want {
			t.Errorf("channelBroke(%v) = %v", c.err, got)
		}
	}
}
