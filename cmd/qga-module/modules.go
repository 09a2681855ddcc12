package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-viper/mapstructure/v2"
)

// module is one Ansible module of the collection.
type module struct {
	Name string // the short name; the FQCN is qgatools.qga.<Name>
	Spec argSpec
	// Run does the work. Returning an error fails the task with its text as
	// msg, keeping what the result already holds.
	Run func(ctx context.Context, req *request) (result, error)
}

// modules are all the modules this binary is, by short name.
var modules = byName(guestExecModule, guestSSHKeysModule, guestUserPasswordModule, guestOSInfoModule)

func byName(list ...*module) map[string]*module {
	m := map[string]*module{}
	for _, mod := range list {
		m[mod.Name] = mod
	}
	return m
}

func moduleNames() []string {
	var names []string
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// request is one run of a module: its validated options and what Ansible
// said about the task.
type request struct {
	ansibleContext
	params map[string]any
	run    *moduleRun
}

// decode fills a module's options struct from the validated options.
// Every option must have a field and every field an option: a mismatch is a
// bug in this program, caught by its tests.
func (r *request) decode(out any) error {
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
	if err := dec.Decode(r.params); err != nil {
		return fmt.Errorf("internal error decoding the options: %w", err)
	}
	return nil
}

// warn adds a warning Ansible shows with the task's result.
func (r *request) warn(format string, args ...any) {
	r.run.warnings = append(r.run.warnings, fmt.Sprintf(format, args...))
}

// hide adds a secret found while running, to be removed from the output.
func (r *request) hide(secret string) {
	r.run.secrets = append(r.run.secrets, secret)
}
