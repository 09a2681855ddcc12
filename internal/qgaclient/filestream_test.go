package qgaclient

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/iotest"
	"time"
)

// A stream longer than one buffer, from a reader that returns little at a
// time, with a chunk broken in the second buffer: the recovery seeks back to
// the absolute offset and the guest's file is the stream.
func TestWriteFileFromRecoversInLaterBuffer(t *testing.T) {
	a := newFakeAgent(t)
	chunk := 64 << 10
	failAt := streamBuffer/chunk + 2 // the second chunk of the second buffer
	f := &fakeFiles{failAt: failAt, failErr: &AgentError{Class: "GenericError", Desc: "JSON parse error"},
		garbage: func(chunk []byte) (int, []byte) { return 0, bytes.Repeat([]byte("X"), len(chunk)/2) }}
	f.install(a)
	c := socketClient(t, a)
	c.SetFileChunk(chunk)
	data := pattern(2*streamBuffer + 12345)
	n, err := c.WriteFileFrom(ctxT(t, 10*time.Second), "/tmp/x", iotest.HalfReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) || !bytes.Equal(f.data, data) {
		t.Fatalf("wrote %d bytes, guest file %d bytes, equal %v; want %d", n, len(f.data), bytes.Equal(f.data, data), len(data))
	}
	if want := streamBuffer + chunk; len(f.seeks) != 1 || f.seeks[0] != want {
		t.Fatalf("seeks %v, want one to %d", f.seeks, want)
	}
}

// ReadFileTo copies every chunk until the agent says EOF.
func TestReadFileToCopiesAllChunks(t *testing.T) {
	a := newFakeAgent(t)
	data := pattern(3*socketReadChunk + 5)
	pos := 0
	a.handle("guest-file-open", func(json.RawMessage) (any, *AgentError) { return 3, nil })
	a.handle("guest-file-close", func(json.RawMessage) (any, *AgentError) { return map[string]any{}, nil })
	a.handle("guest-file-read", func(args json.RawMessage) (any, *AgentError) {
		var in struct{ Count int }
		json.Unmarshal(args, &in)
		end := min(pos+in.Count, len(data))
		out := data[pos:end]
		pos = end
		return map[string]any{"count": len(out), "buf-b64": out, "eof": pos == len(data)}, nil
	})
	c := socketClient(t, a)
	var got bytes.Buffer
	n, err := c.ReadFileTo(ctxT(t, 10*time.Second), "/tmp/x", &got)
	if err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("n %d, err %v, equal %v; want %d bytes", n, err, bytes.Equal(got.Bytes(), data), len(data))
	}
}
