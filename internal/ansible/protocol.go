package ansible

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Ansible runs a binary module with one argument, the path of a file that
// holds one JSON object: the task's options plus Ansible's own keys, all
// starting with "_ansible_" (see /work/shared/ANSIBLE.md for what
// ansible-core 2.14 sends).

// Context is what Ansible tells the module besides its options.
type Context struct {
	ModuleName string // as the task named it: "qgatools.qga.guest_exec", or "guest_exec"
	CheckMode  bool   // --check: report what would change, change nothing
	Diff       bool   // --diff: return before/after
}

const ansibleKeyPrefix = "_ansible_"

// readArgsFile reads the arguments file. Numbers stay json.Number so that
// an int option is not first rounded through float64.
func readArgsFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the module arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		return nil, fmt.Errorf("the module arguments in %s are not a JSON object: %w", path, err)
	}
	if args == nil {
		args = map[string]any{}
	}
	return args, nil
}

// splitAnsibleKeys separates Ansible's own keys from the task's options.
// Unknown _ansible_ keys (newer Ansible versions add some) are ignored, as
// AnsibleModule does.
func splitAnsibleKeys(all map[string]any) (Context, map[string]any) {
	var actx Context
	options := map[string]any{}
	for key, value := range all {
		if !strings.HasPrefix(key, ansibleKeyPrefix) {
			options[key] = value
			continue
		}
		switch strings.TrimPrefix(key, ansibleKeyPrefix) {
		case "module_name":
			actx.ModuleName, _ = value.(string)
		case "check_mode":
			actx.CheckMode = asBool(value)
		case "diff":
			actx.Diff = asBool(value)
		}
	}
	return actx, options
}

func asBool(value any) bool {
	if value == nil {
		return false
	}
	b, err := convertValue(TypeBool, "", value)
	return err == nil && b.(bool)
}

// moduleNameFromArgv0 gives the module name from the program's own name:
// Ansible copies a binary module to the target as AnsiballZ_<name>.
func moduleNameFromArgv0(argv0 string) string {
	base := filepath.Base(argv0)
	base = strings.TrimPrefix(base, "AnsiballZ_")
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// shortModuleName is the last part of a dotted name, so that
// "qgatools.qga.guest_exec", "ansible.legacy.guest_exec" and "guest_exec"
// all name the same module.
func shortModuleName(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return name
}
