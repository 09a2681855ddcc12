package connhelper

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxRequestLine bounds one request (an exec's stdin, base64-encoded, is
// the largest part: a pipelined module is some hundreds of KiB).
const maxRequestLine = 256 << 20

// Serve answers requests from in on out until in ends or a close request,
// and returns the process's exit code. Nothing of a request (stdin may hold
// a become password) is ever written to errOut.
func Serve(ctx context.Context, in io.Reader, out, errOut io.Writer) int {
	r := bufio.NewReaderSize(in, 1<<20)
	s := &session{}
	defer s.close()
	for {
		line, err := readLine(r)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			return 0
		}
		if err != nil && !errors.Is(err, io.EOF) {
			_, _ = fmt.Fprintf(errOut, "qga-module --connection: reading a request: %v\n", err)
			return 1
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var req Request
		var resp Response
		if jerr := json.Unmarshal(line, &req); jerr != nil {
			// The message of a JSON error quotes no input, only offsets and types.
			resp = badRequest("the request is not valid JSON: " + jerr.Error())
		} else {
			resp = s.handle(ctx, req)
		}
		b, merr := encodeLine(resp)
		if merr != nil {
			b, _ = encodeLine(failure(fmt.Errorf("encoding the response: %w", merr)))
		}
		if _, werr := out.Write(b); werr != nil {
			return 1
		}
		if req.Op == "close" || errors.Is(err, io.EOF) {
			return 0
		}
	}
}

func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxRequestLine {
			return nil, fmt.Errorf("a request is longer than %d bytes", maxRequestLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}
