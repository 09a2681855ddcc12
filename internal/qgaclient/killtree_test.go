package qgaclient

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the kill script on this (Linux) host the way the agent
// runs it in a guest: as a child of the process that started the target,
// here the test process, there the agent. The real guest is exercised by
// run_integration_test.go.

// childrenProbe is the line of killTreeScript that picks the
// /proc/PID/task/*/children way; the tests also run the script without it.
const childrenProbe = `[ -r "/proc/$root/task/$root/children" ] && children=1`

// requireProcfs skips on hosts without a Linux /proc to run the script on.
func requireProcfs(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil || runtime.GOOS != "linux" {
		t.Skip("the kill script needs a Linux /proc: ", err)
	}
}

func scriptVariants(t *testing.T) map[string]string {
	requireProcfs(t)
	if !strings.Contains(killTreeScript, childrenProbe) {
		t.Fatal("killTreeScript no longer has the children probe line")
	}
	return map[string]string{
		"children files": killTreeScript,
		"stat scan":      strings.Replace(killTreeScript, childrenProbe, ":", 1),
	}
}

func runKillScript(t *testing.T, script string, pid int) KillReport {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", script, "qga-kill-tree", strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("kill script: %v: %s", err, out)
	}
	r := KillReport{PID: pid}
	r.parse(string(out))
	return r
}

// startTree starts sh -c script in the background and waits until it has
// started want processes in all (itself included).
func startTree(t *testing.T, want int, script string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Generous: a loaded CI machine runs several test packages at once.
	for deadline := time.Now().Add(30 * time.Second); len(descendants(cmd.Process.Pid))+1 < want; {
		if time.Now().After(deadline) {
			t.Fatalf("tree of %d has %d processes, want %d", cmd.Process.Pid, len(descendants(cmd.Process.Pid))+1, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cmd
}

// procState returns a process's state letter, "" when it is gone.
func procState(pid int) (state string, ppid int) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

// descendants lists the live processes below pid.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, pp := procState(p); st != "" && st != "Z" {
			parent[p] = pp
		}
	}
	var out []int
	for p := range parent {
		for a := parent[p]; a > 1; a = parent[a] {
			if a == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func alive(pid int) bool {
	st, _ := procState(pid)
	return st != "" && st != "Z"
}

func TestKillScriptKillsTree(t *testing.T) {
	// A program whose name has the characters that trip a naive parse of
	// /proc/PID/stat.
	odd := filepath.Join(t.TempDir(), "a) b (c")
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	trees := []struct {
		name   string
		script string
		want   int  // processes in the tree when it is killed
		exact  bool // else at least want-1 (a short-lived one may end first)
	}{
		{"children", `sleep 300 & sleep 300 & wait`, 3, true},
		{"grandchildren", `sh -c 'sleep 300 & sleep 300 & wait' & wait`, 4, true},
		{"odd names", `"$1" 300 & "$1" 300 & wait`, 3, true},
		{"forking", `n=0; while [ $n -lt 3000 ]; do sleep 300 & sleep 0.02; n=$((n + 1)); done`, 8, false}, // ends by itself
	}
	for variant, script := range scriptVariants(t) {
		for _, tc := range trees {
			t.Run(variant+"/"+tc.name, func(t *testing.T) {
				cmd := startTree(t, tc.want, tc.script, odd)
				before := append(descendants(cmd.Process.Pid), cmd.Process.Pid)
				start := time.Now()
				r := runKillScript(t, script, cmd.Process.Pid)
				took := time.Since(start)
				if r.Scope != KilledTree || r.Err != nil || len(r.Alive) > 0 || r.Killed[0] != cmd.Process.Pid ||
					tc.exact && len(r.Killed) != tc.want || len(r.Killed) < tc.want-1 {
					t.Fatalf("report %+v, want %d processes killed", r, tc.want)
				}
				cmd.Wait()
				for _, p := range append(before, r.Killed...) {
					if alive(p) {
						t.Errorf("PID %d still alive after the kill (report %+v)", p, r)
					}
				}
				t.Logf("killed %d in %s", len(r.Killed), took.Round(time.Millisecond))
			})
		}
	}
}

func TestKillScriptRefusesWhatIsNotOurs(t *testing.T) {
	requireProcfs(t)
	script := killTreeScript
	// PID 1 and the caller (the agent, in the guest) are never touched.
	for _, pid := range []int{1, os.Getpid()} {
		if r := runKillScript(t, script, pid); r.Scope != KilledNothing || r.Err == nil || len(r.Killed) > 0 {
			t.Errorf("PID %d: %+v", pid, r)
		}
	}
	// A process that is not the caller's child: a PID reused by someone
	// else looks like this.
	cmd := startTree(t, 2, `sleep 300 & wait`)
	kids := descendants(cmd.Process.Pid)
	r := runKillScript(t, script, kids[0])
	if r.Scope != KilledNothing || r.Err == nil || !strings.Contains(r.Err.Error(), strconv.Itoa(cmd.Process.Pid)) || !alive(kids[0]) {
		t.Errorf("grandchild %d: %+v (alive %v)", kids[0], r, alive(kids[0]))
	}
	// A process that has ended: nothing to kill.
	done := exec.Command("/bin/true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	if r := runKillScript(t, script, done.Process.Pid); !r.Gone || r.Scope != KilledNothing || r.Err != nil {
		t.Errorf("ended process: %+v", r)
	}
	for _, bad := range []string{"", "0", "-1", "12x", "1;true"} {
		out, _ := exec.Command("/bin/sh", "-c", script, "qga-kill-tree", bad).CombinedOutput()
		if strings.TrimSpace(string(out)) != "refused" {
			t.Errorf("PID %q: %q, want refused", bad, out)
		}
	}
}

func TestKillReportWords(t *testing.T) {
	for out, want := range map[string]string{
		"killed 10 11 12\n":      "killed 3 processes in the guest: its own (PID 10) and the 2 it had started (PIDs 11 12)",
		"killed 10\n":            "killed its process (PID 10) in the guest; it had started no other processes",
		"killed 10 11\nalive 11": "PIDs 11 were still there",
		"direct\n":               "killed only its own process (PID 10): the guest has no /proc",
		"gone\n":                 "had exited by the time it was to be killed; nothing was killed",
		"notours 77\n":           "nothing was killed: PID 10 has parent 77, not the agent: it is no longer the agent's child",
		"":                       "said nothing about what it did",
	} {
		r := KillReport{PID: 10}
		r.parse(out)
		if !strings.Contains(r.String(), want) {
			t.Errorf("%q: %q, want %q", out, r.String(), want)
		}
	}
	if got := atoiAll([]string{"1", "x", "3"}); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("atoiAll = %v", got)
	}
}

// TestKillScriptWithoutProc: a guest without /proc gives no way to find
// the command's children (nor its parent): the script kills the command's
// own process only, and says so.
func TestKillScriptWithoutProc(t *testing.T) {
	requireProcfs(t)
	// A private mount namespace with an empty /proc; exec keeps the PID, so
	// the script is still the test process's child, as it is the agent's.
	hide := `mount -t tmpfs none /proc && exec /bin/sh -c "$0" qga-kill-tree "$1"`
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs none /proc").CombinedOutput(); err != nil {
		t.Skipf("cannot hide /proc here (needs root and unshare): %v: %s", err, out)
	}
	cmd := startTree(t, 2, `sleep 300 & wait`)
	kids := descendants(cmd.Process.Pid)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", hide, killTreeScript, strconv.Itoa(cmd.Process.Pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r := KillReport{PID: cmd.Process.Pid}
	r.parse(string(out))
	if r.Scope != KilledDirectOnly || !strings.Contains(r.String(), "killed only its own process") || !strings.Contains(r.String(), "may still be running") {
		t.Fatalf("report %+v: %s", r, r)
	}
	cmd.Wait()
	if !alive(kids[0]) {
		t.Fatalf("the child %d was killed too: the script could not have found it", kids[0])
	}
	syscall.Kill(kids[0], syscall.SIGKILL) // the sleep this test started
}
