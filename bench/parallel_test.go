package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// hostCPU returns the machine's busy and total jiffies (/proc/stat).
func hostCPU(b *testing.B) (busy, total int64) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

// selfCPU is this process's CPU time in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// runPingJob is a child process's part of the 4-process control: its own
// libvirt connection, job.Pings pings, timed.
func runPingJob(job childJob) childResult {
	ctx := context.Background()
	c, err := qgaclient.Open(qgaclient.Target{URI: job.URI, Domain: job.Domain}, qgaclient.Options{})
	if err != nil {
		return childResult{Err: err.Error()}
	}
	if err := c.WaitForAgent(ctx, time.Minute, nil); err != nil {
		return childResult{Err: err.Error()}
	}
	t0 := time.Now()
	for range job.Pings {
		if err := c.Ping(ctx); err != nil {
			return childResult{Err: err.Error()}
		}
	}
	return childResult{Seconds: time.Since(t0).Seconds()}
}

// BenchmarkParallel: the same work on 1, 2 and 4 guests at once, all
// through one libvirt connection (benchPool shares one per URI, as the
// provider does when Terraform applies resources in parallel).
func BenchmarkParallel(b *testing.B) {
	need(b, 4)
	payload1, _ := payload(b, 1<<20)
	clients := make([]*qgaclient.Client, 4)
	for i := range clients {
		clients[i] = open(b, i, false, qgaclient.Options{})
	}
	// The work one resource-heavy apply does on a guest.
	work := func(c *qgaclient.Client) {
		for range 10 {
			execOnce(b, c, "/bin/true")
		}
		for range 20 {
			if err := c.Ping(ctxFor(b, time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
		upload(b, c, "/tmp/par", payload1)
	}
	pings := func(c *qgaclient.Client) {
		b.Helper()
		for range 200 {
			if err := c.Ping(ctxFor(b, time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
	}
	on := func(n int, f func(*qgaclient.Client)) func() float64 {
		return func() float64 {
			var wg sync.WaitGroup
			t0 := time.Now()
			for _, c := range clients[:n] {
				wg.Add(1)
				go func() { defer wg.Done(); f(c) }()
			}
			wg.Wait()
			return time.Since(t0).Seconds()
		}
	}
	for _, c := range clients { // warm every guest
		work(c)
	}

	// CPU: the guests' vCPU threads, the whole host, and this process.
	type cpuUse struct{ vcpu, host, hostSeconds, self float64 }
	use := map[int][]cpuUse{}
	measured := func(n int, f func(*qgaclient.Client)) func() float64 {
		run := on(n, f)
		return func() float64 {
			var ticks []int64
			for _, d := range env.Domains[:n] {
				ticks = append(ticks, vcpuTicks(b, d))
			}
			hb, ht := hostCPU(b)
			self := selfCPU()
			t0 := time.Now()
			s := run()
			wall := time.Since(t0).Seconds()
			var u cpuUse
			for i, d := range env.Domains[:n] {
				u.vcpu += float64(vcpuTicks(b, d)-ticks[i]) / 100 / wall * 100
			}
			hb2, ht2 := hostCPU(b)
			u.host = float64(hb2-hb) / float64(ht2-ht) * 100
			u.hostSeconds = float64(hb2-hb) / 100
			u.self = (selfCPU() - self) / (float64(hb2-hb) / 100) * 100
			use[n] = append(use[n], u)
			return s
		}
	}
	vs := []variant{
		{"1 guest", measured(1, work)},
		{"2 guests at once", measured(2, work)},
		{"4 guests at once", measured(4, work)},
	}
	// The machine's own load (other guests, other work) before the runs.
	bb, bt := hostCPU(b)
	time.Sleep(3 * time.Second)
	bb2, bt2 := hostCPU(b)
	bgCores := float64(bb2-bb) / float64(bt2-bt) * float64(numCPU())
	res := interleave(rounds(5, 2), vs)
	t1 := summarize(res[0])
	pick := func(n int, f func(cpuUse) float64) stats {
		var xs []float64
		for _, u := range use[n] {
			xs = append(xs, f(u))
		}
		return summarize(xs)
	}
	// A floor from the guests alone: four vCPU threads each as busy as the
	// one alone, on this machine's cores (before libvirtd, QEMU's I/O and the
	// machine's other load take their share).
	floor := max(1, 4*pick(1, func(u cpuUse) float64 { return u.vcpu }).Median/100/float64(numCPU()))
	// And from the whole host: 4 times the CPU seconds that one guest's
	// work took (libvirtd, QEMU's I/O threads and this process included),
	// on the cores that the other load leaves.
	work1 := pick(1, func(u cpuUse) float64 { return u.hostSeconds }).Median - bgCores*t1.Median
	hostFloor := max(1, 4*work1/(float64(numCPU())-bgCores)/t1.Median)
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: fmt.Sprintf("6%c", 'a'+i), what: "10 execs + 20 pings + 1 MiB upload per guest, one libvirt connection", how: v.how, unit: "s", s: s}
		if i > 0 {
			r.vs = ratio(s.Median, t1.Median) + " of 1 guest"
		}
		if i == 2 {
			r.goal = "≤ 1.5x 1 guest"
			r.met = verdict(s.Median <= 1.5*t1.Median)
			r.notes = fmt.Sprintf("CPU floor on %d cores: %sx from the vCPUs alone, %sx from all host CPU; other load before the run: %s cores", numCPU(), num(floor), num(hostFloor), num(bgCores))
		}
		record(r)
	}
	for i, n := range []int{1, 2, 4} {
		record(row{key: fmt.Sprintf("6%c", 'd'+i), what: "CPU during that work", how: map[int]string{1: "1 guest", 2: "2 guests at once", 4: "4 guests at once"}[n], unit: "% host busy", s: pick(n, func(u cpuUse) float64 { return u.host }),
			notes: fmt.Sprintf("vCPU threads %s%% of a core, this process %s%% of the busy time", num(pick(n, func(u cpuUse) float64 { return u.vcpu }).Median), num(pick(n, func(u cpuUse) float64 { return u.self }).Median))})
	}

	// Pings cost the guests little, the host not nothing: the same through
	// one connection in one process and through four processes.
	// Each child times its own pings (not its start and connect); the
	// slowest one counts.
	fourProcs := func() float64 {
		var mu sync.Mutex
		var wg sync.WaitGroup
		slowest := 0.0
		for _, d := range env.Domains[:4] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := runChild(b, childJob{URI: env.URI, Domain: d, Pings: 200})
				if r.Err != "" {
					b.Error(r.Err)
				}
				mu.Lock()
				slowest = max(slowest, r.Seconds)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return slowest
	}
	pv := []variant{{"1 guest", on(1, pings)}, {"4 guests at once", on(4, pings)}, {"4 guests at once, 4 processes with a connection each (control)", fourProcs}}
	pres := interleave(rounds(5, 2), pv)
	p1 := summarize(pres[0])
	for i, v := range pv {
		s := summarize(pres[i])
		r := row{key: fmt.Sprintf("6%c", 'g'+i), what: "200 pings per guest", how: v.how, unit: "s", s: s}
		if i > 0 {
			r.vs = ratio(s.Median, p1.Median) + " of 1 guest"
		}
		record(r)
	}
}

func numCPU() int { return runtime.NumCPU() }
