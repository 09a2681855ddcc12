package ansible

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Collection is a binary that is every module of an Ansible collection.
type Collection struct {
	Name    string // e.g. "qgatools.qga"
	Modules []*Module
	// Secrets, when set, lists more values to hide, found in the raw or
	// validated options (e.g. the password in a connection URI).
	Secrets func(params map[string]any) []string
	// Invocation, when set, rewrites the options reported as
	// invocation.module_args (e.g. a URI with its password redacted); it
	// must not change the map it is given.
	Invocation func(params map[string]any) map[string]any
}

// ModuleNames lists the modules' short names, sorted.
func (c *Collection) ModuleNames() []string {
	names := make([]string, 0, len(c.Modules))
	for _, m := range c.Modules {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return names
}

// Module returns the module of that short name, or nil.
func (c *Collection) Module(name string) *Module {
	for _, m := range c.Modules {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Main is the whole program with its output and exit code exposed, so that
// tests run modules in-process: argv is [program, arguments file]. It
// prints one JSON result and returns 0, or 1 when the task failed. A panic
// becomes a failed result: an Ansible user should see a message, not a Go
// stack trace.
func (c *Collection) Main(argv []string, stdout io.Writer) (exitCode int) {
	run := &moduleRun{collection: c}
	var res Result
	defer func() {
		if p := recover(); p != nil {
			res = FailResult(fmt.Sprintf("internal error in the %s module (%v); this is a bug, please report it with the task that caused it", c.Name, p))
			run.attachInvocation(res)
		}
		if err := writeResult(stdout, res, run.secrets); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
			exitCode = 1
			return
		}
		if res.Failed() {
			exitCode = 1
		}
	}()
	res = run.execute(argv)
	return 0
}

// moduleRun is one invocation of the binary: what is known so far, so that
// even an early failure or a panic reports the arguments with secrets
// hidden.
type moduleRun struct {
	collection *Collection
	actx       Context
	moduleArgs map[string]any // for "invocation": raw until validated
	secrets    []string
	warnings   []string
}

func (run *moduleRun) execute(argv []string) Result {
	c := run.collection
	if len(argv) < 2 {
		return FailResult(fmt.Sprintf("usage: %s ARGS_FILE: Ansible runs this program as a binary module of the collection %s; use it from a playbook, e.g. %s.%s",
			argv[0], c.Name, c.Name, c.ModuleNames()[0]))
	}
	all, err := readArgsFile(argv[1])
	if err != nil {
		return FailResult(err.Error())
	}
	actx, options := splitAnsibleKeys(all)
	run.actx = actx
	run.moduleArgs = options

	name := actx.ModuleName
	if name == "" {
		name = moduleNameFromArgv0(argv[0])
	}
	mod := c.Module(shortModuleName(name))
	if mod == nil {
		return run.finish(FailResult(fmt.Sprintf("this program implements the modules %s of %s, not %q", strings.Join(c.ModuleNames(), ", "), c.Name, name)))
	}
	if actx.ModuleName == "" {
		run.actx.ModuleName = c.Name + "." + mod.Name
	}
	run.secrets = append(mod.Spec.SecretValues(options), run.extraSecrets(options)...)

	validated, err := mod.Spec.Validate(run.actx.ModuleName, options)
	if err != nil {
		return run.finish(FailResult(err.Error()))
	}
	run.moduleArgs = validated.Params
	run.secrets = append(run.secrets, mod.Spec.SecretValues(validated.Params)...)
	run.secrets = append(run.secrets, run.extraSecrets(validated.Params)...) // defaults may hold some too
	run.warnings = append(run.warnings, validated.Warnings...)

	req := &Request{Context: run.actx, params: validated.Params, run: run}
	res, err := mod.Run(context.Background(), req)
	if err != nil {
		res = res.Fail(err.Error())
	}
	return run.finish(res)
}

func (run *moduleRun) extraSecrets(params map[string]any) []string {
	if run.collection.Secrets == nil {
		return nil
	}
	return run.collection.Secrets(params)
}

// finish adds what every result carries: warnings and the invocation.
func (run *moduleRun) finish(res Result) Result {
	if len(run.warnings) > 0 {
		res["warnings"] = run.warnings
	}
	run.attachInvocation(res)
	return res
}

// attachInvocation reports the module's arguments as AnsibleModule does;
// writeResult then hides the secrets in them.
func (run *moduleRun) attachInvocation(res Result) {
	if run.moduleArgs == nil {
		return
	}
	args := run.moduleArgs
	if run.collection.Invocation != nil {
		args = run.collection.Invocation(args)
	}
	res["invocation"] = map[string]any{"module_args": args}
}
