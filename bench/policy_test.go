package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// BenchmarkExecPolicy: /bin/true through libvirt under polling policies
// that differ in the pause before the first guest-exec-status (FirstFactor
// spawn times; later pauses are 5% of the elapsed time, at least 0.2 ms),
// with the anchor interleaved: the measurement behind DefaultExecPoll.
func BenchmarkExecPolicy(b *testing.B) {
	need(b, 1)
	dom := env.Domains[0]
	var vs []variant
	for _, first := range []float64{0, 1, 1.5, 2, 2.5, 3} {
		pp := qgaclient.PollPolicy{Fraction: 0.05, Min: 200 * time.Microsecond, Max: time.Second, FirstFactor: first}
		if first == 0 {
			pp.FirstFactor = -1 // zero would mean "the default"
		}
		c := open(b, 0, false, qgaclient.Options{ExecPoll: pp})
		vs = append(vs, variant{fmt.Sprintf("qgaclient, libvirt, first poll after %.1f spawn times", first), func() float64 { return execOnce(b, c, "/bin/true") }})
	}
	vs = append(vs, variant{"anchor: libvirt-python, plugin polling", func() float64 { return anchorExec(b, dom, "/bin/true") }})
	interleave(2, vs)
	res := interleave(rounds(40, 5), vs)
	anc := summarize(res[len(vs)-1])
	for i, v := range vs {
		s := summarize(res[i])
		r := row{key: fmt.Sprintf("9%c", 'a'+i), what: "exec `/bin/true`, polling policies", how: v.how, unit: "ms", s: s}
		if i != len(vs)-1 {
			r.vs = ratio(s.Median, anc.Median)
		}
		record(r)
	}
}
