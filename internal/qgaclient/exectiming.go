package qgaclient

import (
	"slices"
	"sync"
	"time"
)

// execTiming is what ExecWait learns about a guest to time its first poll:
// how long guest-exec takes to answer (the agent forks and execs the program
// before it answers, so this is mostly the guest's process spawn time) and
// how long a plain guest-exec-status round trip takes (host, libvirt and
// network latency). It is kept per guest (guestState), not per Client: the
// provider opens a Client per operation.
type execTiming struct {
	mu     sync.Mutex
	recent [5]time.Duration // the last guest-exec round trips (0: none)
	next   int
	rtt    time.Duration // moving average of small guest-exec-status round trips; 0 = none yet
}

func (c *Client) timing() *execTiming { return &c.guest.timing }

// spawned records guest-exec's round trip.
func (tm *execTiming) spawned(d time.Duration) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.recent[tm.next] = d
	tm.next = (tm.next + 1) % len(tm.recent)
}

// polled records the round trip of a guest-exec-status with a small reply.
func (tm *execTiming) polled(d time.Duration) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.rtt == 0 {
		tm.rtt = d
		return
	}
	tm.rtt += (d - tm.rtt) / 4
}

// spawnTime is the guest's spawn time: the median of the last guest-exec
// round trips (one delayed by the host, not the guest, does not count)
// minus a plain round trip.
func (tm *execTiming) spawnTime() time.Duration {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var xs []time.Duration
	for _, d := range tm.recent {
		if d > 0 {
			xs = append(xs, d)
		}
	}
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return max(0, xs[len(xs)/2]-tm.rtt)
}
