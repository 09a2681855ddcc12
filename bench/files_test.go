package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Whole files in and out of the guest, as qga_guest_file and the Ansible
// modules move them: an upload is PutFile streaming a host file (a
// temporary file written in chunks, then one guest-exec script that checks,
// installs and reads it back; above 4 MiB a second one before the writes), a
// download is ReadFileTo into a host file. The anchor is the plugin's
// put_file and fetch_file (64 KiB chunks through libvirt).

// fileSizes are the sizes of the goal: small, and large enough
// that memory not flat in the size would show.
var fileSizes = []int{1 << 20, 32 << 20}

// hostFile writes n random bytes to a new host file and returns its path
// and sha256.
func hostFile(b *testing.B, n int) (string, string) {
	data, sum := payload(b, n)
	name := filepath.Join(b.TempDir(), fmt.Sprintf("file-%d", n))
	if err := os.WriteFile(name, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return name, sum
}

// putFrom uploads a host file with PutFile, streamed.
func putFrom(ctx context.Context, c *qgaclient.Client, local, dest string) (int64, error) {
	f, err := os.Open(local)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	res, err := c.PutFile(ctx, qgaclient.PutFileRequest{Path: dest, Source: f})
	if err != nil {
		return 0, err
	}
	return res.Size, nil
}

// getTo downloads a guest file into a host file with ReadFileTo.
func getTo(ctx context.Context, c *qgaclient.Client, src, local string) (int64, error) {
	f, err := os.Create(local)
	if err != nil {
		return 0, err
	}
	n, err := c.ReadFileTo(ctx, src, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func hostSHA256(b *testing.B, name string) string {
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BenchmarkFiles: upload and download of 1 MiB and 32 MiB through both
// transports against the anchor, side by side on one guest; then the peak
// RSS of a process doing one of them, for both sizes (flat in the size).
func BenchmarkFiles(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	lv := open(b, 0, false, qgaclient.Options{})
	so := open(b, 0, true, qgaclient.Options{})
	clients := []struct {
		c   *qgaclient.Client
		how string
	}{{lv, "qgaclient, libvirt"}, {so, "qgaclient, socket"}}
	defer func() {
		_, _ = so.Exec(ctxFor(b, time.Minute), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "rm -f /tmp/files-*"}})
	}()
	timed := func(n int, f func() (int64, error)) float64 {
		t0 := time.Now()
		got, err := f()
		if err != nil {
			b.Fatal(err)
		}
		if got != int64(n) {
			b.Fatalf("moved %d bytes, want %d", got, n)
		}
		return mibps(n, time.Since(t0))
	}
	anchorRate := func(n int, req map[string]any) float64 {
		var out struct{ S float64 }
		anchorCall(b, req, &out)
		return float64(n) / (1 << 20) / out.S
	}
	tmp := b.TempDir()
	key := 'a'
	next := func() string { k := fmt.Sprintf("10%c", key); key++; return k }
	for _, size := range fileSizes {
		local, sum := hostFile(b, size)
		label := fmt.Sprintf("%d MiB", size>>20)
		n := rounds(5, 2)
		if size > 8<<20 {
			n = rounds(3, 1)
		}

		// Upload.
		var up []variant
		for i, cl := range clients {
			dest := fmt.Sprintf("/tmp/files-up-%d-%d", size, i)
			up = append(up, variant{cl.how, func() float64 {
				return timed(size, func() (int64, error) { return putFrom(ctxFor(b, 5*time.Minute), cl.c, local, dest) })
			}})
		}
		up = append(up, variant{"anchor: libvirt-python put_file, 64 KiB chunks", func() float64 {
			return anchorRate(size, map[string]any{"op": "upload", "domain": dom, "file": local, "dest": fmt.Sprintf("/tmp/files-up-%d-anchor", size)})
		}})
		res := interleave(n, up)
		for i := range clients {
			if got := guestSHA256(b, so, fmt.Sprintf("/tmp/files-up-%d-%d", size, i)); got != sum {
				b.Fatalf("uploaded %s: sha256 %s in the guest, want %s", label, got, sum)
			}
		}
		recordVsAnchor(res, up, next, "upload "+label+" (PutFile from a host file, atomic)", "≥ 1.0x anchor", 1)

		// Download, of the file the anchor uploaded.
		src := fmt.Sprintf("/tmp/files-up-%d-anchor", size)
		if got := guestSHA256(b, so, src); got != sum {
			b.Fatalf("the anchor's upload of %s: sha256 %s in the guest, want %s", label, got, sum)
		}
		var down []variant
		for i, cl := range clients {
			out := filepath.Join(tmp, fmt.Sprintf("down-%d-%d", size, i))
			down = append(down, variant{cl.how, func() float64 {
				return timed(size, func() (int64, error) { return getTo(ctxFor(b, 5*time.Minute), cl.c, src, out) })
			}})
		}
		anchorOut := filepath.Join(tmp, fmt.Sprintf("down-%d-anchor", size))
		down = append(down, variant{"anchor: libvirt-python fetch_file, 64 KiB reads", func() float64 {
			return anchorRate(size, map[string]any{"op": "download", "domain": dom, "src": src, "file": anchorOut})
		}})
		res = interleave(n, down)
		for i := range clients {
			if got := hostSHA256(b, filepath.Join(tmp, fmt.Sprintf("down-%d-%d", size, i))); got != sum {
				b.Fatalf("downloaded %s: sha256 %s, want %s", label, got, sum)
			}
		}
		recordVsAnchor(res, down, next, "download "+label+" (ReadFileTo a host file)", "≥ 2x anchor", 2)
	}
	filesGuestCPU(b, dom, lv)
	filesMemory(b, next)
}

// filesGuestCPU records how busy the guest's one vCPU is while a transfer
// runs, ours and the anchor's (rows 11a-11d). It says how far any client can
// go: a download that keeps the vCPU X% busy encoding base64 and JSON in the
// agent can be made at most 100/X times faster by a client sending the same
// bytes; an atomic upload's extra vCPU time is its guest command's programs.
func filesGuestCPU(b *testing.B, dom string, lv *qgaclient.Client) {
	big, small := fileSizes[len(fileSizes)-1], fileSizes[0]
	src := fmt.Sprintf("/tmp/files-up-%d-anchor", big)
	local, _ := hostFile(b, small)
	out := filepath.Join(b.TempDir(), "down")
	must := func(_ int64, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	transfers := []struct {
		how, what string
		size      int
		run       func()
	}{
		{"anchor: libvirt-python fetch_file, 64 KiB reads", "download", big, func() {
			anchorCall(b, map[string]any{"op": "download", "domain": dom, "src": src, "file": out}, &struct{}{})
		}},
		{"qgaclient, libvirt (ReadFileTo)", "download", big, func() { must(getTo(ctxFor(b, 5*time.Minute), lv, src, out)) }},
		{"anchor: libvirt-python put_file, 64 KiB chunks", "upload", small, func() {
			anchorCall(b, map[string]any{"op": "upload", "domain": dom, "file": local, "dest": "/tmp/files-cpu-anchor"}, &struct{}{})
		}},
		{"qgaclient, libvirt (PutFile, atomic)", "upload", small, func() {
			must(putFrom(ctxFor(b, 5*time.Minute), lv, local, "/tmp/files-cpu-ours"))
		}},
	}
	vs := make([]variant, len(transfers))
	for i, tr := range transfers {
		vs[i] = variant{tr.how, func() float64 { return busy(b, dom, tr.run) }}
	}
	res := interleave(rounds(3, 1), vs)
	for i, tr := range transfers {
		record(row{key: fmt.Sprintf("11%c", 'a'+i), what: fmt.Sprintf("guest vCPU busy during a %d MiB %s", tr.size>>20, tr.what),
			how: tr.how, unit: "%", s: summarize(res[i])})
	}
}

// recordVsAnchor records the rows of one comparison whose last variant is
// the anchor; goal is met at factor times the anchor's median.
func recordVsAnchor(res [][]float64, vs []variant, next func() string, what, goal string, factor float64) {
	anc := summarize(res[len(vs)-1])
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: next(), what: what, how: v.how, unit: "MiB/s", s: s}
		if i != len(vs)-1 {
			r.vs = ratio(s.Median, anc.Median)
			r.goal = goal
			r.met = verdict(s.Median >= factor*anc.Median)
		}
		record(r)
	}
}

// filesMemory: the peak RSS above baseline of a fresh process (runChild)
// that uploads or downloads one file, for each size and transport.
func filesMemory(b *testing.B, next func() string) {
	mib := func(kb int) float64 { return float64(kb) / 1024 }
	for _, op := range []string{"upload", "download"} {
		for _, socket := range []bool{false, true} {
			for _, size := range fileSizes {
				local, _ := hostFile(b, size)
				job := childJob{FileOp: op, Local: local, Guest: fmt.Sprintf("/tmp/files-mem-%d", size), Bytes: size}
				how := "qgaclient, libvirt"
				if socket {
					job.Socket, how = env.Sockets[0], "qgaclient, socket"
				} else {
					job.URI, job.Domain = env.URI, env.Domains[0]
				}
				if op == "download" {
					// What to download: the same file, put there by this process.
					if _, err := putFrom(ctxFor(b, 5*time.Minute), open(b, 0, true, qgaclient.Options{}), local, job.Guest); err != nil {
						b.Fatal(err)
					}
					job.Local = local + ".down"
				}
				r := runChild(b, job)
				if r.Err != "" {
					b.Fatal(r.Err)
				}
				if r.Got != size {
					b.Fatalf("%s moved %d bytes, want %d", op, r.Got, size)
				}
				rss := mib(r.PeakKB - r.BaselineKB)
				record(row{key: next(), what: fmt.Sprintf("%s %d MiB: peak RSS above baseline", op, size>>20), how: how,
					text: num(rss) + " MiB", notes: fmt.Sprintf("baseline %s MiB, %.1f s", num(mib(r.BaselineKB)), r.Seconds),
					goal: "< 64 MiB", met: verdict(rss < 64)})
			}
		}
	}
}

// runFileJob is the child's side of filesMemory: one upload (PutFile from
// job.Local to job.Guest) or download (ReadFileTo from job.Guest into
// job.Local), its peak RSS above the baseline after a warm-up.
func runFileJob(job childJob) childResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := childClient(ctx, job)
	if err != nil {
		return childResult{Err: err.Error()}
	}
	// Warm: the connection and both code paths, with a small file.
	warm := job.Guest + ".warm"
	if _, err := c.PutFile(ctx, qgaclient.PutFileRequest{Path: warm, Content: []byte("warm")}); err != nil {
		return childResult{Err: err.Error()}
	}
	if _, err := c.ReadFileTo(ctx, warm, io.Discard); err != nil {
		return childResult{Err: err.Error()}
	}
	if err := resetPeakRSS(); err != nil {
		return childResult{Err: err.Error()}
	}
	base := procStatusKB("VmRSS")
	start := time.Now()
	var n int64
	if job.FileOp == "upload" {
		n, err = putFrom(ctx, c, job.Local, job.Guest)
	} else {
		n, err = getTo(ctx, c, job.Guest, job.Local)
	}
	r := childResult{BaselineKB: base, PeakKB: procStatusKB("VmHWM"), Seconds: time.Since(start).Seconds(), Got: int(n)}
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// peakRSSOf watches, until stop is called, the processes whose executable
// is exe, and returns (through the pointer) the largest VmHWM seen, in kB:
// a process's own peak, read every 20 ms while it lives.
func peakRSSOf(exe string, peakKB *int) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			procs, _ := filepath.Glob("/proc/[0-9]*/exe")
			for _, p := range procs {
				if target, err := os.Readlink(p); err != nil || target != exe {
					continue
				}
				if kb := statusKB(filepath.Join(filepath.Dir(p), "status"), "VmHWM"); kb > *peakKB {
					*peakKB = kb
				}
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// BenchmarkTerraformFileSource: the provider process's peak RSS while
// `terraform apply` copies a 1 MiB and a 32 MiB source file into the guest
// with qga_guest_file (through libvirt): flat in the file's size.
func BenchmarkTerraformFileSource(b *testing.B) {
	need(b, 1)
	tf := os.Getenv("QGA_BENCH_TERRAFORM")
	if tf == "" {
		b.Skip("QGA_BENCH_TERRAFORM names no Terraform binary (bench/run.sh sets it)")
	}
	for i, size := range fileSizes {
		local, _ := hostFile(b, size)
		config := fmt.Sprintf(`terraform {
  required_providers {
    qga = { source = "qgatools/qga" }
  }
}
provider "qga" {
  uri = %q
}
resource "qga_guest_file" "f" {
  domain = %q
  path   = "/tmp/files-tf-%d"
  source = %q
}
`, env.URI, env.Domains[0], size, local)
		peak := 0
		run := terraformWith(b, tf, config, func(provider string) func() { return peakRSSOf(provider, &peak) })
		d, _ := run("apply", "-auto-approve")
		applyPeak := peak
		run("destroy", "-auto-approve")
		record(row{key: fmt.Sprintf("10%c", 'w'+i), what: fmt.Sprintf("`terraform apply` of a %d MiB `source`: provider process peak RSS", size>>20),
			how: "Terraform 1.5.7 + provider, libvirt", text: num(float64(applyPeak)/1024) + " MiB",
			notes: fmt.Sprintf("apply %.1f s", d.Seconds()), goal: "< 64 MiB", met: verdict(applyPeak > 0 && applyPeak < 64<<10)})
	}
}
