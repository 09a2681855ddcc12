package ansible

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteResultIsOneJSONObject(t *testing.T) {
	var buf bytes.Buffer
	if err := writeResult(&buf, Result{"changed": false, "msg": "<class 'str'> & more"}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<class 'str'> & more") {
		t.Errorf("HTML-escaped output: %s", buf.String())
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
}
