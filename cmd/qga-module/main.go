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
	"fmt"
	"io"
	"os"
	"runtime"

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
// that tests run modules in-process.
func runModule(argv []string, stdout io.Writer) int {
	return collection.Main(argv, stdout)
}
