package provider

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// ranLog records the commands the fake guest ran, as "path arg...".
type ranLog struct {
	mu  sync.Mutex
	ran [][]string
}

func (l *ranLog) record(e qgatest.Exec) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ran = append(l.ran, append([]string{e.Path}, e.Args...))
}

// expectRuns checks how many times each program ran: path, count, ...
func expectRuns(l *ranLog, pathsAndCounts ...any) error {
	for i := 0; i < len(pathsAndCounts); i += 2 {
		path, want := pathsAndCounts[i].(string), pathsAndCounts[i+1].(int)
		if got := l.count(path); got != want {
			return fmt.Errorf("%s ran %d times, want %d", path, got, want)
		}
	}
	return nil
}

func (l *ranLog) count(path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(slices.DeleteFunc(slices.Clone(l.ran), func(r []string) bool { return r[0] != path }))
}

// TestUnitGuestExec: create runs the command with its input and keeps its
// output; a changed trigger runs it again (replace: destroy_path first);
// destroy runs destroy_path.
func TestUnitGuestExec(t *testing.T) {
	a := qgatest.New(t)
	var log ranLog
	a.SetExec(func(e qgatest.Exec) qgatest.ExecResult {
		log.record(e)
		if e.Path == "/bin/cat" {
			return qgatest.ExecResult{Stdout: "got " + string(e.Input), Stderr: "warn\n"}
		}
		return qgatest.ExecResult{}
	})
	config := func(trigger string) string {
		return unitConfig(a, `resource "qga_guest_exec" "test" {
  agent_socket = %[1]q
  path         = "/bin/cat"
  input        = "hello"
  triggers     = { run = "`+trigger+`" }
  destroy_path = "/bin/true"
}`)
	}
	res := "qga_guest_exec.test"
	unitTest(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error { return expectRuns(&log, "/bin/cat", 2, "/bin/true", 2) },
		Steps: []resource.TestStep{
			{
				Config: config("1"),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(res, "stdout", "got hello"),
					resource.TestCheckResourceAttr(res, "stderr", "warn\n"),
					resource.TestCheckResourceAttr(res, "exit_code", "0"),
					resource.TestCheckResourceAttr(res, "pid", "101"),
					resource.TestCheckResourceAttr(res, "id", a.Socket()+"/101"),
				),
			},
			{
				Config: config("2"),
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return expectRuns(&log, "/bin/cat", 2, "/bin/true", 1) },
					resource.TestCheckResourceAttr(res, "pid", "103"),
				),
			},
		},
	})
}

// TestUnitGuestExecFailure: an exit code not in ok_exit_codes fails the
// apply with the command's stderr.
func TestUnitGuestExecFailure(t *testing.T) {
	a := qgatest.New(t)
	a.SetExec(func(qgatest.Exec) qgatest.ExecResult { return qgatest.ExecResult{ExitCode: 3, Stderr: "bad thing\n"} })
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: unitConfig(a, `resource "qga_guest_exec" "test" {
  agent_socket = %[1]q
  path         = "/bin/false"
}`),
			ExpectError: regexp.MustCompile(`(?s)exited\s+with\s+code\s+3.*bad\s+thing`),
		}},
	})
}
