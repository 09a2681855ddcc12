package ansible

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// OptionType names an option's type as Ansible's argument specs do, so that
// messages read like those of Python modules ("unable to convert to int").
type OptionType string

const (
	TypeStr  OptionType = "str"
	TypeBool OptionType = "bool"
	TypeInt  OptionType = "int"
	TypeList OptionType = "list" // a list of strings
	TypeDict OptionType = "dict" // a mapping of strings to strings
	TypePath OptionType = "path" // a string with ~ and $VARS expanded on the host running the module
	// TypeRaw keeps the value as given (a string, a json.Number, a bool,
	// ...), for options whose meaning depends on the type, like a file
	// mode: 420 from YAML's 0644 and the string "0644" are the same mode.
	TypeRaw OptionType = "raw"
)

// Option is one entry of a module's argument spec: the Go counterpart of an
// entry in a Python module's argument_spec, and of an option in its docs
// (a test checks the two agree through ansible-doc).
type Option struct {
	Name     string
	Type     OptionType
	Required bool
	Default  any
	// DefaultFunc computes a default at run time, like Ansible's env
	// fallback; it is used when Default is nil.
	DefaultFunc func() any
	Choices     []string
	Aliases     []string
	// NoLog marks a secret: its value is replaced in everything the module
	// prints, as Ansible does for no_log options.
	NoLog bool
	// NoLogWhen names a bool option that, when true, makes this one secret
	// (guest_exec's stdin with stdin_sensitive).
	NoLogWhen string
	// ListSeparator splits a list option given as one string. Ansible splits
	// on commas; ssh keys may contain commas, so that option splits lines.
	ListSeparator string
}

// RequiredIf is Ansible's required_if: when Option has Value, Requires
// must all be set.
type RequiredIf struct {
	Option   string
	Value    any
	Requires []string
}

// ArgSpec is everything a module accepts.
type ArgSpec struct {
	Options           []Option
	MutuallyExclusive [][]string
	RequiredOneOf     [][]string
	RequiredIf        []RequiredIf
}

// argError is a validation failure with Ansible's wording.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

// ValidatedArgs is the outcome of validation: every option of the spec, set
// to its converted value, its default, or nil.
type ValidatedArgs struct {
	Params   map[string]any
	Warnings []string
}

func (s ArgSpec) Lookup(name string) (Option, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// canonicalName maps an option name or alias to the option's name.
func (s ArgSpec) canonicalName(key string) (string, bool) {
	for _, o := range s.Options {
		if o.Name == key || slices.Contains(o.Aliases, key) {
			return o.Name, true
		}
	}
	return "", false
}

// Validate checks raw module arguments (the _ansible_ keys already removed)
// against the spec, in the order Ansible's ArgumentSpecValidator does, and
// reports the first problem the way Ansible would. moduleName is the name
// the task used, for the "Unsupported parameters for (...)" message.
func (s ArgSpec) Validate(moduleName string, raw map[string]any) (*ValidatedArgs, error) {
	out := &ValidatedArgs{Params: map[string]any{}}
	var unsupported []string
	for key, value := range raw {
		name, ok := s.canonicalName(key)
		if !ok {
			unsupported = append(unsupported, key)
			continue
		}
		if name != key {
			if _, both := raw[name]; both {
				out.Warnings = append(out.Warnings, fmt.Sprintf("Both option %s and its alias %s are set.", name, key))
			}
		}
		if _, seen := out.Params[name]; !seen || name != key {
			// An alias wins over the option's own name, as in Ansible.
			out.Params[name] = value
		}
	}
	if err := s.checkMutuallyExclusive(out.Params); err != nil {
		return nil, err
	}
	// Like Ansible, defaults are in place before the checks, so that
	// required_if sees them and they are converted like given values.
	s.setDefaults(out.Params)
	if err := s.checkRequired(out.Params); err != nil {
		return nil, err
	}
	if err := s.convertAll(out.Params); err != nil {
		return nil, err
	}
	if err := s.checkChoices(out.Params); err != nil {
		return nil, err
	}
	if err := s.checkRequiredOneOf(out.Params); err != nil {
		return nil, err
	}
	if err := s.checkRequiredIf(out.Params); err != nil {
		return nil, err
	}
	// Ansible reports unknown options only after every other check.
	if len(unsupported) > 0 {
		return nil, &argError{fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s.",
			moduleName, strings.Join(sorted(unsupported), ", "), s.supportedList())}
	}
	return out, nil
}

func (s ArgSpec) supportedList() string {
	var names, aliases []string
	for _, o := range s.Options {
		names = append(names, o.Name)
		aliases = append(aliases, o.Aliases...)
	}
	list := strings.Join(sorted(names), ", ")
	if len(aliases) > 0 {
		list += " (" + strings.Join(sorted(aliases), ", ") + ")"
	}
	return list
}

func (s ArgSpec) checkMutuallyExclusive(params map[string]any) error {
	for _, group := range s.MutuallyExclusive {
		if countSet(group, params) > 1 {
			return &argError{"parameters are mutually exclusive: " + strings.Join(group, "|")}
		}
	}
	return nil
}

func (s ArgSpec) checkRequired(params map[string]any) error {
	var missing []string
	for _, o := range s.Options {
		if o.Required && params[o.Name] == nil {
			missing = append(missing, o.Name)
		}
	}
	if len(missing) > 0 {
		return &argError{"missing required arguments: " + strings.Join(sorted(missing), ", ")}
	}
	return nil
}

func (s ArgSpec) convertAll(params map[string]any) error {
	for _, o := range s.Options {
		value := params[o.Name]
		if value == nil {
			continue
		}
		converted, err := convertValue(o.Type, o.ListSeparator, value)
		if err != nil {
			return &argError{fmt.Sprintf("argument '%s' is of type %s and we were unable to convert to %s: %v",
				o.Name, pythonTypeName(value), o.Type, err)}
		}
		params[o.Name] = converted
	}
	return nil
}

func (s ArgSpec) checkChoices(params map[string]any) error {
	for _, o := range s.Options {
		value, ok := params[o.Name].(string)
		if len(o.Choices) == 0 || !ok {
			continue
		}
		if !slices.Contains(o.Choices, value) {
			return &argError{fmt.Sprintf("value of %s must be one of: %s, got: %s", o.Name, strings.Join(o.Choices, ", "), value)}
		}
	}
	return nil
}

func (s ArgSpec) checkRequiredOneOf(params map[string]any) error {
	for _, group := range s.RequiredOneOf {
		if countSet(group, params) == 0 {
			return &argError{"one of the following is required: " + strings.Join(group, ", ")}
		}
	}
	return nil
}

func (s ArgSpec) checkRequiredIf(params map[string]any) error {
	for _, r := range s.RequiredIf {
		if params[r.Option] != r.Value {
			continue
		}
		var missing []string
		for _, name := range r.Requires {
			if params[name] == nil {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return &argError{fmt.Sprintf("%s is %v but all of the following are missing: %s", r.Option, r.Value, strings.Join(missing, ", "))}
		}
	}
	return nil
}

// setDefaults gives unset options their default, or nil: the validated
// arguments name every option, as Ansible's invocation output does.
func (s ArgSpec) setDefaults(params map[string]any) {
	for _, o := range s.Options {
		if params[o.Name] != nil {
			continue
		}
		def := o.Default
		if def == nil && o.DefaultFunc != nil {
			def = o.DefaultFunc()
		}
		params[o.Name] = def
	}
}

// SecretValues lists the values to hide in output: those of no_log options,
// and of options made secret by another option. It works on raw arguments
// as well as validated ones, so that a failed validation hides them too.
func (s ArgSpec) SecretValues(params map[string]any) []string {
	var secrets []string
	for key, value := range params {
		name, ok := s.canonicalName(key)
		if !ok || value == nil {
			continue
		}
		o, _ := s.Lookup(name)
		if o.NoLog || (o.NoLogWhen != "" && s.flagMayBeTrue(params, o.NoLogWhen)) {
			secrets = append(secrets, leafStrings(value)...)
		}
	}
	return secrets
}

// flagMayBeTrue reads a bool option that decides secrecy. A value that is
// not a valid boolean counts as true: when in doubt, hide.
func (s ArgSpec) flagMayBeTrue(params map[string]any, flag string) bool {
	for key, value := range params {
		if name, _ := s.canonicalName(key); name != flag || value == nil {
			continue
		}
		b, err := convertValue(TypeBool, "", value)
		return err != nil || b.(bool)
	}
	if o, ok := s.Lookup(flag); ok && o.Default == true {
		return true
	}
	return false
}

func countSet(names []string, params map[string]any) int {
	n := 0
	for _, name := range names {
		if params[name] != nil {
			n++
		}
	}
	return n
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}
