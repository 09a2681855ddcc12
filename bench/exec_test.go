package bench

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// oldPoll is the policy before the first-poll delay: 5% of the elapsed
// time from the first moment on, which is what the anchor does too.
var oldPoll = qgaclient.PollPolicy{Fraction: 0.05, Min: 200 * time.Microsecond, Max: time.Second, FirstFactor: -1}

// variant is one way of doing the measured thing; run returns one sample.
type variant struct {
	how string
	run func() float64
}

// interleave runs every variant once per round, rotating the order each
// round, and returns the samples per variant.
func interleave(n int, vs []variant) [][]float64 {
	out := make([][]float64, len(vs))
	for r := 0; r < n; r++ {
		for k := range vs {
			i := (r + k) % len(vs)
			out[i] = append(out[i], vs[i].run())
		}
	}
	return out
}

func execOnce(b *testing.B, c *qgaclient.Client, argv ...string) float64 {
	t0 := time.Now()
	res, err := c.Exec(ctxFor(b, time.Minute), qgaclient.ExecRequest{Path: argv[0], Args: argv[1:]})
	d := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if res.ExitCode != 0 {
		b.Fatalf("%v exited %d: %s", argv, res.ExitCode, res.Stderr)
	}
	return ms(d)
}

func anchorExec(b *testing.B, domain string, argv ...string) float64 {
	var out struct{ Ms []float64 }
	anchorCall(b, map[string]any{"op": "exec", "domain": domain, "argv": argv, "n": 1}, &out)
	return out.Ms[0]
}

func virshExec(b *testing.B, domain string, argv ...string) float64 {
	args := append([]string{filepath.Join(env.Root, "bench", "anchor_virsh.sh"), env.URI, domain, "1"}, argv...)
	out, err := exec.Command("bash", args...).Output()
	if err != nil {
		b.Fatalf("anchor_virsh.sh: %v", err)
	}
	us, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("anchor_virsh.sh printed %q", out)
	}
	return us / 1000
}

// BenchmarkExecTrue: /bin/true until its exit is seen, qgaclient through
// libvirt and through the direct socket, against the plugin's polling through
// libvirt-python and a virsh loop polling every 100 ms.
func BenchmarkExecTrue(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	lv := open(b, 0, false, qgaclient.Options{})
	lvOld := open(b, 0, false, qgaclient.Options{ExecPoll: oldPoll})
	so := open(b, 0, true, qgaclient.Options{})
	for range 3 { // warm: connections, guest-info, page cache in the guest
		execOnce(b, lv, "/bin/true")
		execOnce(b, so, "/bin/true")
		anchorExec(b, dom, "/bin/true")
	}
	vs := []variant{
		{"qgaclient, libvirt", func() float64 { return execOnce(b, lv, "/bin/true") }},
		{"qgaclient, socket", func() float64 { return execOnce(b, so, "/bin/true") }},
		{"anchor: libvirt-python, plugin polling", func() float64 { return anchorExec(b, dom, "/bin/true") }},
		{"anchor: virsh loop, 100 ms polling", func() float64 { return virshExec(b, dom, "/bin/true") }},
		{"qgaclient, libvirt, old policy (no first-poll delay)", func() float64 { return execOnce(b, lvOld, "/bin/true") }},
		// Output costs the libvirt wrapper a read back from its file (cheap
		// agent calls); the socket gets it in the status reply.
		{"qgaclient, libvirt, `echo hi` (output read back from a file)", func() float64 { return execOnce(b, lv, "/bin/echo", "hi") }},
		{"qgaclient, socket, `echo hi`", func() float64 { return execOnce(b, so, "/bin/echo", "hi") }},
	}
	res := interleave(rounds(60, 5), vs)
	anc := summarize(res[2])
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: fmt.Sprintf("1%c", 'a'+i), what: "exec `/bin/true` until exit", how: v.how, unit: "ms", s: s}
		if i != 2 {
			r.vs = ratio(s.Median, anc.Median)
		}
		if i < 2 {
			r.goal = "≤ 0.8x anchor"
			r.met = verdict(s.Median <= 0.8*anc.Median)
		}
		record(r)
		b.ReportMetric(s.Median, "ms-median-"+strconv.Itoa(i))
	}
}

// clockOffset is the guest clock minus the host clock, from the
// guest-get-time with the shortest round trip of five.
func clockOffset(b *testing.B, c *qgaclient.Client) time.Duration {
	best, off := time.Duration(1<<62), time.Duration(0)
	for range 5 {
		t0 := time.Now()
		g, err := c.GuestTime(ctxFor(b, 10*time.Second))
		t1 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		if rtt := t1.Sub(t0); rtt < best {
			best, off = rtt, g.Sub(t0.Add(rtt/2))
		}
	}
	return off
}

// oneSecond is a command that runs about 1 s and whose last act is printing
// the guest's clock: its real end, to compare with when the exit was seen.
var oneSecond = []string{"/bin/sh", "-c", "sleep 1; exec date +%s%N"}

// overshoot runs oneSecond and returns how long after its real end the exit
// was seen, and how long it ran (from guest-exec being sent to its end).
func overshoot(b *testing.B, c *qgaclient.Client) (over, run float64) {
	off := clockOffset(b, c)
	sent := time.Now()
	res, err := c.Exec(ctxFor(b, time.Minute), qgaclient.ExecRequest{Path: oneSecond[0], Args: oneSecond[1:]})
	seen := time.Now()
	if err != nil {
		b.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(res.Stdout)), 10, 64)
	if err != nil {
		b.Fatalf("date printed %q", res.Stdout)
	}
	end := time.Unix(0, ns).Add(-off)
	return ms(seen.Sub(end)), ms(end.Sub(sent))
}

// BenchmarkExecOneSecond: how long after a ~1 s command really ended its
// exit is seen.
func BenchmarkExecOneSecond(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	lv := open(b, 0, false, qgaclient.Options{})
	so := open(b, 0, true, qgaclient.Options{})
	runs := make([][]float64, 3)
	vs := []variant{
		{"qgaclient, libvirt", func() float64 { o, r := overshoot(b, lv); runs[0] = append(runs[0], r); return o }},
		{"qgaclient, socket", func() float64 { o, r := overshoot(b, so); runs[1] = append(runs[1], r); return o }},
		{"anchor: libvirt-python, plugin polling", func() float64 {
			var out struct {
				OvershootMs float64 `json:"overshoot_ms"`
				RunMs       float64 `json:"run_ms"`
			}
			anchorCall(b, map[string]any{"op": "overshoot", "domain": dom, "argv": oneSecond}, &out)
			runs[2] = append(runs[2], out.RunMs)
			return out.OvershootMs
		}},
	}
	res := interleave(rounds(8, 3), vs)
	anc := summarize(res[2])
	for i, v := range vs {
		s, run := summarize(res[i]), summarize(runs[i])
		r := row{key: fmt.Sprintf("2%c", 'a'+i), what: "~1 s command: exit seen after its real end", how: v.how, unit: "ms", s: s,
			notes: "run " + num(run.Median) + " ms"}
		if i != 2 {
			r.vs = ratio(s.Median, anc.Median)
		}
		r.goal = "≤ 5% of run"
		r.met = verdict(s.Median <= 0.05*run.Median)
		record(r)
	}
}

// BenchmarkPing: one guest-ping round trip.
func BenchmarkPing(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	lv := open(b, 0, false, qgaclient.Options{})
	so := open(b, 0, true, qgaclient.Options{})
	ping := func(c *qgaclient.Client) float64 {
		t0 := time.Now()
		if err := c.Ping(context.Background()); err != nil {
			b.Fatal(err)
		}
		return ms(time.Since(t0))
	}
	vs := []variant{
		{"qgaclient, libvirt", func() float64 { return ping(lv) }},
		{"qgaclient, socket", func() float64 { return ping(so) }},
		{"anchor: libvirt-python", func() float64 {
			var out struct{ Ms []float64 }
			anchorCall(b, map[string]any{"op": "ping", "domain": dom, "n": 1}, &out)
			return out.Ms[0]
		}},
	}
	interleave(5, vs) // warm
	res := interleave(rounds(100, 10), vs)
	anc := summarize(res[2])
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: fmt.Sprintf("3%c", 'a'+i), what: "agent round trip (guest-ping)", how: v.how, unit: "ms", s: s}
		if i != 2 {
			r.vs = ratio(s.Median, anc.Median)
		}
		record(r)
	}
}
