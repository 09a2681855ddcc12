package qgaclient

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func frames(t *testing.T, in string) []string {
	t.Helper()
	f := newFrameReader(bufio.NewReader(bytes.NewReader([]byte(in))))
	var out []string
	for {
		b, err := f.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
}

func TestFrameReaderSplitsReplies(t *testing.T) {
	got := frames(t, "{\"return\": {}}\n{\"return\": \"a}b{\\\"c\"}\n  junk {\"error\": {\"class\": \"X\", \"desc\": \"[y]\"}}\n")
	want := []string{`{"return": {}}`, `{"return": "a}b{\"c"}`, `{"error": {"class": "X", "desc": "[y]"}}`}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestFrameReaderDropsPartialObjectAtSentinel(t *testing.T) {
	got := frames(t, "{\"return\": {\"half\": \"abc\xff{\"return\": 7}\n")
	if len(got) != 1 || got[0] != `{"return": 7}` {
		t.Fatalf("got %q", got)
	}
}

func TestSkipToSentinel(t *testing.T) {
	f := newFrameReader(bufio.NewReaderSize(bytes.NewReader(append(bytes.Repeat([]byte("x"), 10000), []byte("\xff{\"return\": 1}")...)), 16))
	if err := f.skipToSentinel(); err != nil {
		t.Fatal(err)
	}
	b, err := f.next()
	if err != nil || string(b) != `{"return": 1}` {
		t.Fatalf("%q %v", b, err)
	}
}

// FuzzFrameReader: any byte stream is split without panics, every frame is
// bounded, and a well-formed reply after a sentinel is always recovered.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("{\"return\": {}}\n"))
	f.Add([]byte("{\"a\": \"\\\"}\"}\xff{}"))
	f.Add([]byte("]]]}}}{{{\"\\"))
	f.Fuzz(func(t *testing.T, stale []byte) {
		in := append(append([]byte{}, stale...), []byte("\xff{\"return\": 424242}\n")...)
		fr := newFrameReader(bufio.NewReader(bytes.NewReader(in)))
		if err := fr.skipToSentinel(); err != nil {
			t.Fatal(err)
		}
		// After the first sentinel, keep skipping to the last one, as sync does
		// when it meets answers that are not its own.
		for {
			b, err := fr.next()
			if err != nil {
				t.Fatalf("lost the reply: %v", err)
			}
			var r reply
			if json.Unmarshal(b, &r) == nil && string(r.Return) == "424242" {
				return
			}
			if err := fr.skipToSentinel(); err != nil {
				t.Fatalf("lost the reply: %v", err)
			}
		}
	})
}

func TestFrameReaderLargeFrameSpansBlocks(t *testing.T) {
	payload := bytes.Repeat([]byte("QUJD"), 900_000) // 3.6 MB: four blocks
	first := `{"return": {"out-data": "` + string(payload) + `"}}`
	got := frames(t, first+"\n{\"return\": 1}\n")
	if len(got) != 2 || got[0] != first || got[1] != `{"return": 1}` {
		t.Fatalf("got %d frames, first %d bytes", len(got), len(got[0]))
	}
	var r struct {
		Return struct {
			Out string `json:"out-data"`
		} `json:"return"`
	}
	if err := json.Unmarshal([]byte(got[0]), &r); err != nil || len(r.Return.Out) != len(payload) {
		t.Fatalf("large frame does not decode: %v", err)
	}
}
