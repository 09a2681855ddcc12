package qgaclient

import (
	"bufio"
	"errors"
	"fmt"
)

// The direct-socket wire format: the client sends JSON commands; the agent
// answers each with one JSON object followed by a newline. guest-sync-delimited
// makes the agent write a 0xFF byte before its answer. 0xFF never occurs in
// UTF-8 JSON, so a reader that sees it drops whatever partial object it held:
// that is how a client gets past stale or half-written output left on the
// channel by an earlier client or an earlier timed-out command.

const sentinel = 0xFF

// maxFrame bounds one reply: guest-exec-status carries up to 2 x 16 MiB of
// output and guest-file-read up to 48 MiB, both base64-encoded.
const maxFrame = 96 << 20

var errFrameTooLarge = errors.New("agent reply exceeds the frame limit")

// frameReader splits the agent's byte stream into JSON objects.
type frameReader struct {
	r      *bufio.Reader
	buf    []byte   // the frame being read, or its last block
	blocks [][]byte // full blocks of a large frame, before buf
	size   int      // bytes in blocks
}

// frameBlock is the unit a large frame is read in: growing one buffer by
// doubling would hold up to three times the frame while it copies.
const frameBlock = 1 << 20

// add appends one byte of the frame being read.
func (f *frameReader) add(b byte) {
	if len(f.buf) == frameBlock {
		f.blocks = append(f.blocks, f.buf)
		f.size += len(f.buf)
		f.buf = make([]byte, 0, frameBlock)
	}
	f.buf = append(f.buf, b)
}

// frame returns the frame read, joined into one exact-size buffer when it
// spans blocks.
func (f *frameReader) frame() []byte {
	if len(f.blocks) == 0 {
		return f.buf
	}
	out := make([]byte, 0, f.size+len(f.buf))
	for _, b := range f.blocks {
		out = append(out, b...)
	}
	out = append(out, f.buf...)
	f.blocks, f.size, f.buf = nil, 0, nil
	return out
}

func newFrameReader(r *bufio.Reader) *frameReader { return &frameReader{r: r} }

// skipToSentinel discards bytes up to and including the next 0xFF.
func (f *frameReader) skipToSentinel() error {
	_, err := f.r.ReadSlice(sentinel)
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = f.r.ReadSlice(sentinel)
	}
	return err
}

// next returns the next complete JSON object. Bytes outside objects (the
// newlines between replies, stray garbage) are skipped; a 0xFF inside an
// object restarts the scan, since the agent only sends it at a fresh start.
// The returned slice belongs to the caller: the reader starts a new buffer
// for the next frame.
func (f *frameReader) next() ([]byte, error) {
	for {
		obj, restart, err := f.scanObject()
		if err != nil || !restart {
			if err == nil {
				f.handOff()
			}
			return obj, err
		}
	}
}

// handOff gives the current buffer away with the frame in it. The next
// frame starts in a fresh buffer of at most 64 KiB, so that one 22 MB reply
// does not pin 22 MB for the connection's life.
func (f *frameReader) handOff() {
	f.buf = make([]byte, 0, min(cap(f.buf), 64<<10))
}

func (f *frameReader) scanObject() (obj []byte, restart bool, err error) {
	// Skip to the opening brace.
	for {
		b, err := f.r.ReadByte()
		if err != nil {
			return nil, false, err
		}
		if b == '{' {
			break
		}
	}
	f.buf, f.blocks, f.size = append(f.buf[:0], '{'), nil, 0
	depth, inString, escaped := 1, false, false
	for depth > 0 {
		b, err := f.r.ReadByte()
		if err != nil {
			return nil, false, err
		}
		if b == sentinel {
			return nil, true, nil
		}
		f.add(b)
		if f.size+len(f.buf) > maxFrame {
			return nil, false, fmt.Errorf("%w (%d bytes)", errFrameTooLarge, maxFrame)
		}
		switch {
		case escaped:
			escaped = false
		case inString:
			switch b {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		}
	}
	return f.frame(), false, nil
}
