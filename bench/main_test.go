// Package bench measures qgaclient and the provider against the anchors on
// the real test bed guests: `make bench` (bench/run.sh) brings up its own
// domains, runs these benchmarks once each (-benchtime 1x: every benchmark
// takes its own samples, interleaving ours with the anchors round by round so
// that both see the same guest and the same machine load) and prints one
// table. Without the QGA_BENCH_* environment of run.sh the benchmarks skip.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// env is the bench run's guests, from run.sh.
type benchEnv struct {
	URI     string
	Domains []string // qga-bench-1 .. qga-bench-4
	Sockets []string // the direct agent socket of each domain, same order
	Root    string   // repository root
	Scale   float64  // multiplies the number of samples (QGA_BENCH_SCALE)
}

var env benchEnv

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runAsChild())
	}
	env = benchEnv{URI: os.Getenv("QGA_BENCH_URI"), Scale: 1}
	if env.URI == "" {
		env.URI = "qemu:///system"
	}
	if d := os.Getenv("QGA_BENCH_DOMAINS"); d != "" {
		env.Domains = strings.Split(d, ",")
	}
	if s := os.Getenv("QGA_BENCH_SOCKETS"); s != "" {
		env.Sockets = strings.Split(s, ",")
	}
	if f, err := strconv.ParseFloat(os.Getenv("QGA_BENCH_SCALE"), 64); err == nil && f > 0 {
		env.Scale = f
	}
	env.Root, _ = filepath.Abs("..")
	code := m.Run()
	stopAnchor()
	if len(rows) > 0 {
		table := renderTable()
		fmt.Print("\n" + table)
		if p := os.Getenv("QGA_BENCH_TABLE"); p != "" {
			if err := os.WriteFile(p, []byte(table), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// need skips unless run.sh brought up at least n guests.
func need(b *testing.B, n int) {
	b.Helper()
	if len(env.Domains) < n || len(env.Sockets) < n {
		b.Skipf("needs %d bench guests: run `make bench` (bench/run.sh), which starts them", n)
	}
}

// rounds scales a sample count by QGA_BENCH_SCALE, at least min.
func rounds(n, least int) int { return max(least, int(math.Round(float64(n)*env.Scale))) }

func ctxFor(b *testing.B, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	b.Cleanup(cancel)
	return ctx
}

// benchPool shares one libvirt connection per URI among the benchmarks'
// clients, as the provider's pool does.
var benchPool = qgaclient.NewPool()

// open returns a ready client for bench guest i, through libvirt or the
// guest's direct socket.
func open(b *testing.B, i int, socket bool, opts qgaclient.Options) *qgaclient.Client {
	b.Helper()
	t := qgaclient.Target{URI: env.URI, Domain: env.Domains[i]}
	if socket {
		t = qgaclient.Target{AgentSocket: env.Sockets[i]}
	}
	c, err := benchPool.Open(t, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.WaitForAgent(ctxFor(b, 3*time.Minute), 3*time.Minute, nil); err != nil {
		b.Fatal(err)
	}
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ---- statistics -----------------------------------------------------------

type stats struct {
	N                          int
	Median, P25, P75, Min, Max float64
}

func summarize(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 {
		pos := p * float64(len(s)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(s)-1)
		return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
	}
	return stats{N: len(s), Median: q(0.5), P25: q(0.25), P75: q(0.75), Min: s[0], Max: s[len(s)-1]}
}

// spread is the interquartile range for 10 samples and more, else min..max.
func (s stats) spread() string {
	if s.N >= 10 {
		return "IQR " + num(s.P25) + "–" + num(s.P75)
	}
	return "range " + num(s.Min) + "–" + num(s.Max)
}

func num(x float64) string {
	switch a := math.Abs(x); {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

// ---- the result table -----------------------------------------------------

type row struct {
	key   string // sort key: section, then order within it
	what  string
	how   string
	unit  string
	s     stats
	text  string // instead of s, for rows that are not a statistic
	vs    string // ratio to the anchor
	goal  string
	met   string // "yes", "**no**" or ""
	notes string
}

var (
	rowsMu sync.Mutex
	rows   []row
)

// record adds (or replaces, when a benchmark runs again) a row of the table.
func record(r row) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	for i := range rows {
		if rows[i].key == r.key {
			rows[i] = r
			return
		}
	}
	rows = append(rows, r)
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func ratio(ours, anchor float64) string { return num(ours/anchor) + "x" }

// compareKeys orders row keys by their section number, then the rest:
// "9g" before "10a".
func compareKeys(a, b string) int {
	num := func(k string) (int, string) {
		i := 0
		for i < len(k) && k[i] >= '0' && k[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(k[:i])
		return n, k[i:]
	}
	an, ar := num(a)
	bn, br := num(b)
	if an != bn {
		return an - bn
	}
	return strings.Compare(ar, br)
}

func renderTable() string {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	slices.SortStableFunc(rows, func(a, b row) int { return compareKeys(a.key, b.key) })
	var sb strings.Builder
	sb.WriteString("| # | measurement | through | median | spread | n | vs anchor | goal | met |\n")
	sb.WriteString("|---|---|---|---:|---|---:|---:|---|---|\n")
	for _, r := range rows {
		med, spread, n := r.text, "", ""
		if r.text == "" {
			med = num(r.s.Median) + " " + r.unit
			spread = r.s.spread()
			n = strconv.Itoa(r.s.N)
		}
		how := r.how
		if r.notes != "" {
			how += " (" + r.notes + ")"
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.key, r.what, how, med, spread, n, r.vs, r.goal, r.met)
	}
	return sb.String()
}

// ---- the libvirt-python anchor worker --------------------------------------

type anchorWorker struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

var anchor anchorWorker

// anchorCall sends one request to bench/anchor_libvirt.py (started once)
// and decodes its answer into out.
func anchorCall(b *testing.B, req map[string]any, out any) {
	b.Helper()
	anchor.mu.Lock()
	defer anchor.mu.Unlock()
	if anchor.cmd == nil {
		cmd := exec.Command("/usr/bin/python3", filepath.Join(env.Root, "bench", "anchor_libvirt.py"))
		cmd.Env = append(os.Environ(), "QGA_BENCH_URI="+env.URI)
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatalf("starting the libvirt-python anchor (needs Debian's python3-libvirt): %v", err)
		}
		anchor.cmd, anchor.in, anchor.out = cmd, in, bufio.NewReader(stdout)
	}
	line, _ := json.Marshal(req)
	if _, err := anchor.in.Write(append(line, '\n')); err != nil {
		b.Fatalf("anchor: %v", err)
	}
	resp, err := anchor.out.ReadBytes('\n')
	if err != nil {
		b.Fatalf("anchor: %v", err)
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(resp, &e) == nil && e.Error != "" {
		b.Fatalf("anchor %v: %s", req["op"], e.Error)
	}
	if err := json.Unmarshal(resp, out); err != nil {
		b.Fatalf("anchor: %v: %s", err, resp)
	}
}

func stopAnchor() {
	anchor.mu.Lock()
	defer anchor.mu.Unlock()
	if anchor.cmd != nil {
		anchor.in.Close()
		_ = anchor.cmd.Wait()
		anchor.cmd = nil
	}
}
