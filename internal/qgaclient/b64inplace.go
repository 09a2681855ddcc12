package qgaclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// base64InPlace decodes a base64 JSON string into the memory of the JSON
// text itself, which Client.call's callers own (every Transport returns a
// reply of its own). guest-exec-status carries up to 2 x 16 MiB of output as
// about 45 MB of base64: decoding in place saves allocating the decoded copy
// while the reply is still alive, a third of the peak memory of a large
// output (see docs/BENCHMARKS.md). The decoded bytes keep the reply's memory
// alive, about 4/3 of their size.
type base64InPlace []byte

func (b *base64InPlace) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*b = nil
		return nil
	}
	// qemu-ga writes base64 without escapes; anything else takes the
	// ordinary (copying) way.
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' || bytes.IndexByte(data, '\\') >= 0 {
		var plain []byte
		if err := json.Unmarshal(data, &plain); err != nil {
			return err
		}
		*b = plain
		return nil
	}
	src := data[1 : len(data)-1]
	// Decoding never writes ahead of what it has read (3 bytes out for
	// every 4 in), so src can be its own destination; a unit test holds
	// encoding/base64 to that.
	n, err := base64.StdEncoding.Decode(src, src)
	if err != nil {
		return err
	}
	*b = src[:n:n]
	return nil
}
