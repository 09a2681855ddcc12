package qgaclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"testing"
)

func TestBase64InPlace(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096, 1 << 20} {
		want := make([]byte, n)
		rng.Read(want)
		reply := []byte(`{"exited":true,"out-data":"` + base64.StdEncoding.EncodeToString(want) + `","err-data":"` + base64.StdEncoding.EncodeToString(want[:n/2]) + `"}`)
		var out struct {
			OutData base64InPlace `json:"out-data"`
			ErrData base64InPlace `json:"err-data"`
			Exited  bool          `json:"exited"`
		}
		if err := json.Unmarshal(reply, &out); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(out.OutData, want) || !bytes.Equal(out.ErrData, want[:n/2]) || !out.Exited {
			t.Fatalf("%d bytes: decoded wrong", n)
		}
	}
	// Escaped and invalid input.
	var b base64InPlace
	if err := json.Unmarshal([]byte(`"YW\/j"`), &b); err != nil || string(b) != "ao\xe3" {
		t.Fatalf("escaped: %q, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`"not base64!"`), &b); err == nil {
		t.Fatal("invalid base64 accepted")
	}
	if err := json.Unmarshal([]byte(`null`), &b); err != nil || b != nil {
		t.Fatalf("null: %q, %v", b, err)
	}
}
