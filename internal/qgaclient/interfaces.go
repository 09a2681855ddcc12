package qgaclient

import "context"

// Interface is one network interface from guest-network-get-interfaces.
type Interface struct {
	Name            string      `json:"name"`
	HardwareAddress string      `json:"hardware-address,omitempty"`
	IPAddresses     []IPAddress `json:"ip-addresses,omitempty"`
}

// IPAddress is one address of an interface.
type IPAddress struct {
	Address string `json:"ip-address"`
	Type    string `json:"ip-address-type"` // "ipv4" or "ipv6"
	Prefix  int    `json:"prefix"`
}

// Interfaces returns the guest's network interfaces and their addresses.
func (c *Client) Interfaces(ctx context.Context) ([]Interface, error) {
	ifaces := []Interface{}
	if err := c.call(ctx, "guest-network-get-interfaces", nil, &ifaces); err != nil {
		return nil, err
	}
	return ifaces, nil
}
