package ansible

import (
	"context"
	"fmt"

	"github.com/go-viper/mapstructure/v2"
)

// Module is one module of a collection.
type Module struct {
	Name string // the short name; the FQCN is <collection>.<Name>
	Spec ArgSpec
	// Run does the work. Returning an error fails the task with its text as
	// msg, keeping what the result already holds.
	Run func(ctx context.Context, req *Request) (Result, error)
}

// Request is one run of a module: its validated options and what Ansible
// said about the task.
type Request struct {
	Context
	params map[string]any
	run    *moduleRun
}

// Decode fills a module's options struct from the validated options.
func (r *Request) Decode(out any) error {
	return Decode(r.params, out)
}

// Decode fills an options struct (mapstructure tags) from validated
// options. Every option must have a field and every field an option: a
// mismatch is a bug in the module, which its tests catch by decoding a
// spec's option names (see the modules' TestSpecsMatchOptionStructs).
func Decode(params map[string]any, out any) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           out,
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		ErrorUnset:       true,
		Squash:           true,
	})
	if err != nil {
		return fmt.Errorf("internal error: %w", err)
	}
	if err := dec.Decode(params); err != nil {
		return fmt.Errorf("internal error decoding the options: %w", err)
	}
	return nil
}

// Warn adds a warning Ansible shows with the task's result.
func (r *Request) Warn(format string, args ...any) {
	r.run.warnings = append(r.run.warnings, fmt.Sprintf(format, args...))
}

// Hide adds a secret found while running, to be removed from the output.
func (r *Request) Hide(secret string) {
	r.run.secrets = append(r.run.secrets, secret)
}
