// Command qga-module is the Ansible collection qgatools.qga: one static
// binary that is every module of the collection (guest_exec,
// guest_ssh_keys, guest_user_password, guest_osinfo), speaking Ansible's
// binary-module protocol and reaching the guest through the QEMU guest
// agent with internal/qgaclient.
//
// Ansible runs it as AnsiballZ_<module> with the path of a JSON arguments
// file; it prints one JSON object and exits 0, or 1 when the task failed.
// It tells which module it is from _ansible_module_name, else from its own
// file name.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/qgatools/terraform-provider-qga/internal/connhelper"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// --version is for people; Ansible always passes an arguments file.
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Printf("qga-module (collection qgatools.qga) %s %s/%s\n", version, runtime.GOOS, runtime.GOARCH)
		return
	}
	// The helper modes of the connection and inventory plugins.
	if code, ok := connhelper.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(runModule(os.Args, os.Stdout))
}

// runModule is the whole program with its output and exit code exposed, so
// that tests run modules in-process. A panic becomes a failed result: an
// Ansible user should see a message, not a Go stack trace.
func runModule(argv []string, stdout io.Writer) (exitCode int) {
	run := &moduleRun{}
	var res result
	defer func() {
		if p := recover(); p != nil {
			res = failResult(fmt.Sprintf("internal error in the qgatools.qga module (%v); this is a bug, please report it with the task that caused it", p))
			run.attachInvocation(res)
		}
		if err := writeResult(stdout, res, run.secrets); err != nil {
			fmt.Fprintf(os.Stderr, "qga-module: %v\n", err)
			exitCode = 1
			return
		}
		if res.failed() {
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
	actx       ansibleContext
	moduleArgs map[string]any // for "invocation": raw until validated
	secrets    []string
	warnings   []string
}

func (run *moduleRun) execute(argv []string) result {
	if len(argv) < 2 {
		return failResult(fmt.Sprintf("usage: %s ARGS_FILE: Ansible runs this program as a binary module of the collection qgatools.qga; use it from a playbook, e.g. qgatools.qga.guest_exec", argv[0]))
	}
	all, err := readArgsFile(argv[1])
	if err != nil {
		return failResult(err.Error())
	}
	actx, options := splitAnsibleKeys(all)
	run.actx = actx
	run.moduleArgs = options

	name := actx.ModuleName
	if name == "" {
		name = moduleNameFromArgv0(argv[0])
	}
	mod, ok := modules[shortModuleName(name)]
	if !ok {
		return run.finish(failResult(fmt.Sprintf("this program implements the modules %s of qgatools.qga, not %q", strings.Join(moduleNames(), ", "), name)))
	}
	if actx.ModuleName == "" {
		run.actx.ModuleName = "qgatools.qga." + mod.Name
	}
	run.secrets = append(mod.Spec.secretValues(options), uriSecrets(options)...)

	validated, err := mod.Spec.validate(run.actx.ModuleName, options)
	if err != nil {
		return run.finish(failResult(err.Error()))
	}
	run.moduleArgs = validated.Params
	run.secrets = append(run.secrets, mod.Spec.secretValues(validated.Params)...)
	run.secrets = append(run.secrets, uriSecrets(validated.Params)...) // the default may come from LIBVIRT_DEFAULT_URI
	run.warnings = append(run.warnings, validated.Warnings...)

	req := &request{ansibleContext: run.actx, params: validated.Params, run: run}
	res, err := mod.Run(context.Background(), req)
	if err != nil {
		res = res.fail(err.Error())
	}
	return run.finish(res)
}

// finish adds what every result carries: warnings and the invocation.
func (run *moduleRun) finish(res result) result {
	if len(run.warnings) > 0 {
		res["warnings"] = run.warnings
	}
	run.attachInvocation(res)
	return res
}

// attachInvocation reports the module's arguments as AnsibleModule does,
// the URI redacted; writeResult then hides the secrets in them.
func (run *moduleRun) attachInvocation(res result) {
	if run.moduleArgs != nil {
		res["invocation"] = map[string]any{"module_args": withRedactedURI(run.moduleArgs)}
	}
}
