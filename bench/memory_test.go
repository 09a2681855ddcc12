package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// The memory benchmark runs each exec in a fresh process (this test binary,
// re-executed with childEnv set), so that the peak RSS it reads is that
// exec's alone; the parallelism benchmark's control runs pings that way.
const childEnv = "QGA_BENCH_CHILD"

type childJob struct {
	URI, Domain, Socket string
	Bytes               int
	Pings               int // instead: this many pings, timed (parallel_test.go)
	// Instead: "upload" (host file Local to guest file Guest) or
	// "download" (Guest to Local), files_test.go.
	FileOp, Local, Guest string
}

type childResult struct {
	BaselineKB, PeakKB int
	Got                int
	Seconds            float64
	Err                string
}

// runAsChild runs the childJob of childEnv and prints a childResult.
func runAsChild() int {
	var job childJob
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &job); err != nil {
		fmt.Println(err)
		return 2
	}
	var res childResult
	switch {
	case job.Pings > 0:
		res = runPingJob(job)
	case job.FileOp != "":
		res = runFileJob(job)
	default:
		res = runMemJob(job)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return 0
}

// childClient opens the child's guest and waits for its agent.
func childClient(ctx context.Context, job childJob) (*qgaclient.Client, error) {
	t := qgaclient.Target{URI: job.URI, Domain: job.Domain, AgentSocket: job.Socket}
	c, err := qgaclient.Open(t, qgaclient.Options{CallTimeout: 2 * time.Minute})
	if err != nil {
		return nil, err
	}
	return c, c.WaitForAgent(ctx, time.Minute, nil)
}

// resetPeakRSS frees what can be freed and makes VmHWM the current RSS.
func resetPeakRSS() error {
	runtime.GC()
	debug.FreeOSMemory()
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func runMemJob(job childJob) childResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := childClient(ctx, job)
	if err != nil {
		return childResult{Err: err.Error()}
	}
	// Warm: the connection, guest-info, the code paths.
	if _, err := c.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/true"}); err != nil {
		return childResult{Err: err.Error()}
	}
	if err := resetPeakRSS(); err != nil {
		return childResult{Err: err.Error()}
	}
	base := procStatusKB("VmRSS")
	start := time.Now()
	res, err := c.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "head -c " + strconv.Itoa(job.Bytes) + " /dev/zero"}})
	took := time.Since(start)
	peak := procStatusKB("VmHWM")
	r := childResult{BaselineKB: base, PeakKB: peak, Seconds: took.Seconds()}
	if err != nil {
		r.Err = err.Error()
	} else {
		r.Got = len(res.Stdout)
	}
	return r
}

func procStatusKB(field string) int { return statusKB("/proc/self/status", field) }

// statusKB reads a field in kB of a /proc/PID/status file (-1 if none).
func statusKB(status, field string) int {
	f, err := os.Open(status)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}

func runChild(b *testing.B, job childJob) childResult {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	spec, _ := json.Marshal(job)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("memory child: %v: %s", err, out)
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("memory child printed %q", out)
	}
	return r
}

const outputBytes = 16 << 20

// BenchmarkMemory: peak RSS above the baseline of a process that runs one
// command printing 16 MiB (the agent's capture limit) and receives its
// output, and the time and peak RSS for 8 MiB through either transport.
// Through libvirt the output comes back through files in the guest
// (qgaclient's exec_spool.go): libvirt cannot carry it in one reply.
func BenchmarkMemory(b *testing.B) {
	need(b, 1)
	mib := func(kb int) float64 { return float64(kb) / 1024 }
	type samples struct {
		rss, secs stats
		last      childResult
	}
	sample := func(job childJob, n int) samples {
		var rss, secs []float64
		var last childResult
		for range n {
			last = runChild(b, job)
			if last.Err != "" {
				b.Fatal(last.Err)
			}
			if last.Got != job.Bytes {
				b.Fatalf("got %d bytes of output, want %d", last.Got, job.Bytes)
			}
			rss = append(rss, mib(last.PeakKB-last.BaselineKB))
			secs = append(secs, last.Seconds)
		}
		return samples{summarize(rss), summarize(secs), last}
	}
	n := rounds(3, 1)
	socket := childJob{Socket: env.Sockets[0]}
	libvirt := childJob{URI: env.URI, Domain: env.Domains[0]}
	baseline := func(s samples) string { return "baseline " + num(mib(s.last.BaselineKB)) + " MiB" }

	socket.Bytes = outputBytes
	s := sample(socket, n)
	record(row{key: "7a", what: "peak RSS above baseline, exec printing 16 MiB", how: "qgaclient, socket", unit: "MiB", s: s.rss,
		notes: baseline(s), goal: "< 64 MiB", met: verdict(s.rss.Max < 64)})
	libvirt.Bytes = outputBytes
	s = sample(libvirt, n)
	record(row{key: "7b", what: "peak RSS above baseline, exec printing 16 MiB", how: "qgaclient, libvirt (output read back from files in the guest)", unit: "MiB", s: s.rss,
		notes: baseline(s), goal: "< 64 MiB", met: verdict(s.rss.Max < 64)})

	for i, job := range []childJob{libvirt, socket} {
		how := []string{"qgaclient, libvirt (output read back from files in the guest)", "qgaclient, socket"}[i]
		job.Bytes = 8 << 20
		s := sample(job, n)
		record(row{key: "7" + string(rune('c'+i)), what: "exec printing 8 MiB: time until the output is in", how: how, unit: "s", s: s.secs})
		record(row{key: "7" + string(rune('e'+i)), what: "exec printing 8 MiB: peak RSS above baseline", how: how, unit: "MiB", s: s.rss,
			notes: baseline(s), goal: "< 64 MiB", met: verdict(s.rss.Max < 64)})
	}
}
