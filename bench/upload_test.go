package bench

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

const uploadBytes = 8 << 20

// payload is incompressible: what moves is what counts.
func payload(b *testing.B, n int) ([]byte, string) {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

// guestSHA256 checks what landed in the guest.
func guestSHA256(b *testing.B, c *qgaclient.Client, path string) string {
	res, err := c.Exec(ctxFor(b, 2*time.Minute), qgaclient.ExecRequest{Path: "sha256sum", Args: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	sum, _, _ := strings.Cut(string(res.Stdout), " ")
	return sum
}

func mibps(n int, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }

func upload(b *testing.B, c *qgaclient.Client, path string, data []byte) float64 {
	t0 := time.Now()
	if err := c.WriteFile(ctxFor(b, 5*time.Minute), path, data); err != nil {
		b.Fatal(err)
	}
	return mibps(len(data), time.Since(t0))
}

// vcpuTicks is the CPU time (clock ticks) of a domain's vCPU thread.
func vcpuTicks(b *testing.B, domain string) int64 {
	pid, err := os.ReadFile("/run/libvirt/qemu/" + domain + ".pid")
	if err != nil {
		b.Fatal(err)
	}
	tasks, _ := filepath.Glob("/proc/" + strings.TrimSpace(string(pid)) + "/task/*")
	for _, t := range tasks {
		comm, _ := os.ReadFile(t + "/comm")
		if !strings.HasPrefix(string(comm), "CPU 0/") {
			continue
		}
		stat, err := os.ReadFile(t + "/stat")
		if err != nil {
			b.Fatal(err)
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
		st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
		return ut + st
	}
	b.Fatalf("no vCPU thread for %s", domain)
	return 0
}

// busy runs f and returns the share of a core the domain's vCPU used.
func busy(b *testing.B, domain string, f func()) float64 {
	a, t0 := vcpuTicks(b, domain), time.Now()
	f()
	return float64(vcpuTicks(b, domain)-a) / 100 / time.Since(t0).Seconds() * 100
}

// BenchmarkUpload: an 8 MiB file into the guest, qgaclient's WriteFile
// against the plugin's put_file (64 KiB guest-file-write chunks through
// libvirt); then chunk sizes per transport, what the guest's vCPU does, and
// a chunk that breaks libvirt's channel.
func BenchmarkUpload(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	lv := open(b, 0, false, qgaclient.Options{})
	so := open(b, 0, true, qgaclient.Options{})
	data, sum := payload(b, uploadBytes)
	file := filepath.Join(b.TempDir(), "payload")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	anchorUpload := func() float64 {
		var out struct{ S float64 }
		anchorCall(b, map[string]any{"op": "upload", "domain": dom, "file": file, "dest": "/tmp/up-anchor"}, &out)
		return float64(len(data)) / (1 << 20) / out.S
	}
	vs := []variant{
		{"qgaclient, libvirt, 128 KiB chunks", func() float64 { return upload(b, lv, "/tmp/up-libvirt", data) }},
		{"qgaclient, socket, 1 MiB chunks", func() float64 { return upload(b, so, "/tmp/up-socket", data) }},
		{"anchor: libvirt-python put_file, 64 KiB chunks", anchorUpload},
	}
	res := interleave(rounds(5, 2), vs)
	for _, p := range []string{"/tmp/up-libvirt", "/tmp/up-socket", "/tmp/up-anchor"} {
		if got := guestSHA256(b, so, p); got != sum {
			b.Fatalf("%s in the guest has sha256 %s, want %s", p, got, sum)
		}
	}
	anc := summarize(res[2])
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: fmt.Sprintf("4%c", 'a'+i), what: "upload 8 MiB (WriteFile)", how: v.how, unit: "MiB/s", s: s}
		if i != 2 {
			r.vs = ratio(s.Median, anc.Median)
			r.goal = "≥ 2x anchor"
			r.met = verdict(s.Median >= 2*anc.Median)
		}
		record(r)
	}

	// Chunk sizes, 4 MiB each, interleaved.
	small := data[:4<<20]
	type sweep struct {
		c     *qgaclient.Client
		how   string
		chunk int
	}
	var sw []sweep
	for _, k := range []int{64, 128, 160} {
		sw = append(sw, sweep{lv, "libvirt", k << 10})
	}
	for _, k := range []int{256, 1024, 4096} {
		sw = append(sw, sweep{so, "socket", k << 10})
	}
	var svs []variant
	for _, s := range sw {
		svs = append(svs, variant{"", func() float64 {
			s.c.SetFileChunk(s.chunk)
			defer s.c.SetFileChunk(0)
			return upload(b, s.c, "/tmp/up-sweep", small)
		}})
	}
	sres := interleave(rounds(3, 1), svs)
	for i, s := range sw {
		record(row{key: fmt.Sprintf("5%c", 'a'+i), what: "upload 4 MiB, chunk size sweep", how: fmt.Sprintf("qgaclient, %s, %d KiB chunks", s.how, s.chunk>>10),
			unit: "MiB/s", s: summarize(sres[i])})
	}

	// The guest's vCPU during a socket upload: the ceiling is its parsing.
	var cpu []float64
	for range rounds(3, 1) {
		cpu = append(cpu, busy(b, dom, func() { upload(b, so, "/tmp/up-socket", data) }))
	}
	record(row{key: "5g", what: "guest vCPU busy during the 8 MiB socket upload", how: "qgaclient, socket", unit: "%", s: summarize(cpu)})

	// A chunk that breaks libvirt's channel (256 KiB): WriteFile recovers
	// (waits for the agent, seeks back, halves the chunk) and the file is right.
	lv.SetFileChunk(256 << 10)
	defer lv.SetFileChunk(0)
	t0 := time.Now()
	if err := lv.WriteFile(ctxFor(b, 5*time.Minute), "/tmp/up-broken", data[:2<<20]); err != nil {
		b.Fatalf("WriteFile did not recover: %v", err)
	}
	took := time.Since(t0)
	sum2 := sha256.Sum256(data[:2<<20])
	ok := guestSHA256(b, so, "/tmp/up-broken") == hex.EncodeToString(sum2[:])
	// What the chunk size is now: a second write starts with it.
	t1 := time.Now()
	if err := lv.WriteFile(ctxFor(b, 5*time.Minute), "/tmp/up-broken", data[:2<<20]); err != nil {
		b.Fatal(err)
	}
	record(row{key: "5h", what: "upload 2 MiB with 256 KiB chunks through libvirt (breaks the channel)", how: "qgaclient, libvirt",
		text: fmt.Sprintf("recovered in %.1f s, content %s; next upload %.1f s", took.Seconds(), map[bool]string{true: "intact", false: "WRONG"}[ok], time.Since(t1).Seconds()),
		goal: "recover", met: verdict(ok)})
}
