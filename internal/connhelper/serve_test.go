package connhelper

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveLines runs Serve over the request lines and returns the responses.
func serveLines(t *testing.T, lines ...string) ([]Response, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Serve(context.Background(), strings.NewReader(strings.Join(lines, "\n")), &out, &errOut); code != 0 {
		t.Fatalf("Serve exited %d: %s", code, errOut.String())
	}
	var resps []Response
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r Response
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("response %q: %v", l, err)
		}
		resps = append(resps, r)
	}
	return resps, errOut.String()
}

// Bad requests get one clear answer each, the session goes on, and nothing
// of the requests (stdin may be a become password) reaches stderr.
func TestServeAnswersBadRequests(t *testing.T) {
	secret := "s3cret-become-pw"
	resps, stderr := serveLines(t,
		`{"op":"exec","shell":"true","stdin":"czNjcmV0LWJlY29tZS1wdw=="}`,
		`not json `+secret,
		`{"op":"frobnicate"}`,
		`{"op":"open"}`,
		`{"op":"open","socket":"/nonexistent/qga.sock","agent_timeout":0.2}`,
		`{"op":"close"}`,
		`{"op":"exec","shell":"never read"}`,
	)
	want := []struct{ kind, text string }{
		{KindBadRequest, "exec before open"},
		{KindBadRequest, "not valid JSON"},
		{KindBadRequest, `unknown op "frobnicate"`},
		{KindBadRequest, "name the guest"},
		{"", "/nonexistent/qga.sock"},
		{"", ""},
	}
	if len(resps) != len(want) {
		t.Fatalf("%d responses, want %d (close ends the session): %+v", len(resps), len(want), resps)
	}
	for i, w := range want {
		r := resps[i]
		if w.text == "" {
			if !r.OK {
				t.Errorf("response %d: %+v, want ok", i, r)
			}
			continue
		}
		if r.OK || (w.kind != "" && r.Kind != w.kind) || !strings.Contains(r.Error, w.text) {
			t.Errorf("response %d: %+v, want kind %q and %q", i, r, w.kind, w.text)
		}
		if strings.Contains(r.Error, secret) {
			t.Errorf("response %d repeats the request's secret: %s", i, r.Error)
		}
	}
	if resps[4].Kind == KindBadRequest || resps[4].Kind == KindOther {
		t.Errorf("a missing agent socket: kind %q, want a connection kind", resps[4].Kind)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
}

// fetch never leaves a partial destination when the session has no guest,
// and put names a missing local file.
func TestLocalFileErrors(t *testing.T) {
	r := failure(localError{os.ErrNotExist})
	if r.Kind != KindLocalFile {
		t.Errorf("kind %q", r.Kind)
	}
	dest := filepath.Join(t.TempDir(), "x")
	resps, _ := serveLines(t, `{"op":"fetch","src":"/etc/hostname","dest":"`+dest+`"}`)
	if resps[0].OK {
		t.Fatal("fetch without open succeeded")
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("dest exists after a failed fetch: %v", err)
	}
}
