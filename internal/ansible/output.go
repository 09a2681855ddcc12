package ansible

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Result is a module's answer, with Ansible's keys: changed, failed, msg,
// skipped, diff, warnings, ansible_facts, invocation, plus the module's own.
type Result map[string]any

func FailResult(msg string) Result {
	return Result{"failed": true, "changed": false, "msg": msg}
}

// fail marks r as failed with msg, keeping what r already reports (a failed
// command still returns its rc and output).
func (r Result) Fail(msg string) Result {
	if r == nil {
		r = Result{"changed": false}
	}
	r["failed"] = true
	r["msg"] = msg
	if _, ok := r["changed"]; !ok {
		r["changed"] = false
	}
	return r
}

func (r Result) Failed() bool {
	f, _ := r["failed"].(bool)
	return f
}

// writeResult prints r as the one JSON object Ansible reads, with every
// secret removed. It goes through a JSON round trip first so that structs
// and typed slices become plain values removeSecrets can walk.
func writeResult(w io.Writer, r Result, secrets []string) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("decoding the result: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "<class 'str'>" should read as Ansible prints it
	return enc.Encode(removeSecrets(generic, secrets))
}
