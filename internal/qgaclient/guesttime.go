package qgaclient

import (
	"context"
	"time"
)

// GuestTime is guest-get-time: the guest's wall clock (CLOCK_REALTIME).
func (c *Client) GuestTime(ctx context.Context) (time.Time, error) {
	var ns int64
	if err := c.call(ctx, "guest-get-time", nil, &ns); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns), nil
}
