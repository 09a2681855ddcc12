package provider

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// fakeFileGuest answers qgaclient's file scripts (guestfile_scripts.go) the
// way a guest whose directories are all root's would, over the fake
// agent's files: enough for the resource's CRUD without a VM. The scripts
// themselves are tested on a real sh (qgaclient's TestFileScripts) and
// on the VM.
type fakeFileGuest struct {
	a     *qgatest.Agent
	mu    sync.Mutex
	modes map[string]string // path → octal mode
}

func (g *fakeFileGuest) exec(e qgatest.Exec) qgatest.ExecResult {
	if e.Path != "/bin/sh" || len(e.Args) < 3 {
		return qgatest.ExecResult{}
	}
	script, args := e.Args[1], e.Args[3:]
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case strings.Contains(script, "stage-unsafe") && args[0] == "plan":
		return qgatest.ExecResult{Stdout: "root\n"}
	case strings.Contains(script, "stage-unsafe"): // install: phase, path, dir, mk, mode, owner, group, content, tmp, cleanup, hash
		p, mode, content := args[1], strings.TrimPrefix(args[4], "0"), args[7]
		data, _ := g.a.File(content)
		g.a.RemoveFile(content)
		what := "absent"
		if _, ok := g.a.File(p); ok {
			what = "file"
		}
		g.a.SetFile(p, data)
		switch {
		case mode != "":
			g.modes[p] = mode
		case what == "absent":
			g.modes[p] = "644"
		}
		return qgatest.ExecResult{Stdout: "done " + what + " -1\n" + g.stat(p, args[10] == "hash")}
	case strings.Contains(script, "echo removed"): // remove: path, dir
		if _, ok := g.a.File(args[0]); !ok {
			return qgatest.ExecResult{Stdout: "absent\n"}
		}
		g.a.RemoveFile(args[0])
		return qgatest.ExecResult{Stdout: "removed\n"}
	case strings.Contains(script, "sha256sum"): // stat: path, hash
		if _, ok := g.a.File(args[0]); !ok {
			return qgatest.ExecResult{Stdout: "absent\n"}
		}
		return qgatest.ExecResult{Stdout: g.stat(args[0], args[1] == "hash")}
	}
	return qgatest.ExecResult{ExitCode: 1, Stderr: "unexpected script"}
}

// stat is statFileScript's answer for the file at p.
func (g *fakeFileGuest) stat(p string, hash bool) string {
	data, _ := g.a.File(p)
	out := fmt.Sprintf("regular file\n%d\n%s\n0\n0\nroot\nroot\n", len(data), g.modes[p])
	if hash {
		sum := sha256.Sum256(data)
		out += hex.EncodeToString(sum[:]) + "  -\n"
	}
	return out
}

// TestUnitGuestFile: create writes the file; a change in the guest is put
// back; new content updates it; destroy removes it.
func TestUnitGuestFile(t *testing.T) {
	a := qgatest.New(t)
	g := &fakeFileGuest{a: a, modes: map[string]string{}}
	a.SetExec(g.exec)
	const p = "/etc/app.conf"
	config := func(content string) string {
		return unitConfig(a, `resource "qga_guest_file" "test" {
  agent_socket = %[1]q
  path         = "`+p+`"
  content      = "`+content+`"
  mode         = "0640"
}`)
	}
	fileIs := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got, ok := a.File(p)
			if !ok && want == "" || ok && string(got) == want {
				return nil
			}
			return fmt.Errorf("guest file %q (exists %v), want %q", got, ok, want)
		}
	}
	res := "qga_guest_file.test"
	unitTest(t, resource.TestCase{
		CheckDestroy: fileIs(""),
		Steps: []resource.TestStep{
			{
				Config: config("one"),
				Check: resource.ComposeTestCheckFunc(fileIs("one"),
					resource.TestCheckResourceAttr(res, "sha256", sha256Hex("one")),
					resource.TestCheckResourceAttr(res, "mode", "0640"),
					resource.TestCheckResourceAttr(res, "owner", "root")),
			},
			{
				PreConfig: func() { a.SetFile(p, []byte("tampered")) },
				Config:    config("one"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: fileIs("one"),
			},
			{
				Config: config("two"),
				Check:  resource.ComposeTestCheckFunc(fileIs("two"), resource.TestCheckResourceAttr(res, "size", "3")),
			},
			{
				ResourceName: res, ImportState: true, ImportStateId: a.Socket() + ":" + p,
				ImportStateVerify: true, ImportStateVerifyIgnore: []string{"content", "create_directories"},
			},
		},
	})
}

// TestUnitGuestFileSource: a source file of several write chunks is
// streamed to the guest whole, with its sha256 and size; a changed source
// is copied again.
func TestUnitGuestFileSource(t *testing.T) {
	a := qgatest.New(t)
	g := &fakeFileGuest{a: a, modes: map[string]string{}}
	a.SetExec(g.exec)
	const p = "/srv/big.bin"
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 5<<20+123)
	_, _ = rand.Read(data)
	config := unitConfig(a, `resource "qga_guest_file" "test" {
  agent_socket = %[1]q
  path         = "`+p+`"
  source       = "`+src+`"
}`)
	put := func(b []byte) func() {
		return func() {
			if err := os.WriteFile(src, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(want []byte) resource.TestCheckFunc {
		return resource.ComposeTestCheckFunc(
			func(*terraform.State) error {
				if got, _ := a.File(p); !bytes.Equal(got, want) {
					return fmt.Errorf("the guest has %d bytes, not the source's %d", len(got), len(want))
				}
				return nil
			},
			resource.TestCheckResourceAttr("qga_guest_file.test", "sha256", sha256Hex(string(want))),
			resource.TestCheckResourceAttr("qga_guest_file.test", "size", strconv.Itoa(len(want))))
	}
	changed := append([]byte{}, data[:len(data)-1]...)
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{PreConfig: put(data), Config: config, Check: check(data)},
			{PreConfig: put(changed), Config: config, Check: check(changed)},
		},
	})
}
