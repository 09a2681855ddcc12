package guestrules

import (
	"context"
	"fmt"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// AddressWait is how long and for what to wait.
type AddressWait struct {
	// Count is how many matching addresses must be there, of the filter's
	// family (with any: of either family). 0 waits for nothing.
	Count int
	// Progress, when set, is told about each look that was not enough.
	Progress func(waited time.Duration, have int)
}

// interfaceReader is the one agent call the wait needs.
type interfaceReader interface {
	Interfaces(ctx context.Context) ([]qgaclient.Interface, error)
}

var _ interfaceReader = (*qgaclient.Client)(nil)

// WaitForAddresses reads the guest's interfaces until the filter keeps
// w.Count addresses, or ctx ends: give ctx the deadline of the wait (a
// guest that just booted gets its DHCP lease seconds after its agent
// answers). Its error when time runs out wraps ErrAddressesNotReady and
// lists every interface and address seen at the last look, with scopes,
// so the user sees why none matched. An agent error ends the wait at once.
func WaitForAddresses(ctx context.Context, c interfaceReader, f AddressFilter, w AddressWait) (Addresses, error) {
	start := time.Now()
	for pause := 500 * time.Millisecond; ; pause = min(pause*2, 5*time.Second) {
		ifaces, err := c.Interfaces(ctx)
		if err != nil {
			if ctx.Err() != nil && w.Count > 0 {
				return Addresses{}, fmt.Errorf("%w: waited %s for %d %s address(es), and the last look did not finish: %w",
					ErrAddressesNotReady, time.Since(start).Round(time.Second), w.Count, f.family, err)
			}
			return Addresses{}, fmt.Errorf("reading the guest's network interfaces: %w", err)
		}
		got := f.Apply(ifaces)
		have := got.Count(f.family)
		if have >= w.Count {
			return got, nil
		}
		if w.Progress != nil {
			w.Progress(time.Since(start), have)
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("%w: %d matching %s address(es) wanted, %d found within %s; the guest has %s",
				ErrAddressesNotReady, w.Count, f.family, have, time.Since(start).Round(time.Second), Seen(ifaces))
		case <-time.After(pause):
		}
	}
}
