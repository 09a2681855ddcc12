// Package ansible is the Go counterpart of Ansible's AnsibleModule
// (ansible.module_utils.basic): what any binary module needs to behave
// like a Python one, so that a module written with it only decodes its
// options, does its work and fills in its result.
//
//   - the protocol (protocol.go): the JSON arguments file, Ansible's own
//     _ansible_* keys (check mode, diff, module name), the module's name
//     from AnsiballZ_<name>;
//   - the argument spec (argspec.go): options, types, defaults, choices,
//     aliases, required/required_one_of/required_if/mutually_exclusive,
//     checked in AnsibleModule's order and reported in its words;
//   - type conversion (convert.go): Ansible's weak typing ("yes" is a bool,
//     "a,b" a list, "A=1 B=2" a dict);
//   - no_log (nolog.go): every secret masked in the whole output, as
//     remove_values does;
//   - the result (output.go): one JSON object with changed, failed, msg,
//     warnings and invocation;
//   - running a module (module.go, run.go): Collection.Main is the whole
//     program for a binary that is every module of a collection.
//
// It knows nothing of guests: the qgatools.qga modules live in
// cmd/qga-module.
package ansible
