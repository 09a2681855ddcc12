package connhelper

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Guest is one domain in the inventory: a domain with a guest agent
// channel, and, when it runs and its agent answers, what the agent reports.
type Guest struct {
	Name  string `json:"name"`
	UUID  string `json:"uuid"`
	State string `json:"state"`
	// Agent: the agent answered; AgentError says why not, when it runs.
	Agent         bool                  `json:"agent"`
	AgentError    string                `json:"agent_error,omitempty"`
	OSInfo        *qgaclient.OSInfo     `json:"osinfo,omitempty"`
	Hostname      string                `json:"hostname,omitempty"`
	Interfaces    []qgaclient.Interface `json:"interfaces,omitempty"`
	IPv4Addresses []string              `json:"ipv4_addresses"`
	IPv6Addresses []string              `json:"ipv6_addresses"`
}

// InventoryOptions tune Inventory.
type InventoryOptions struct {
	// AgentTimeout bounds the questions to each running guest's agent.
	AgentTimeout time.Duration
	// Parallel is how many guests are asked at once.
	Parallel int
}

// Inventory lists the domains of uri that have an agent channel and asks
// each running one's agent for its OS, host name and addresses, a few at
// a time. A guest whose agent does not answer is listed with agent false.
func Inventory(ctx context.Context, uri string, opts InventoryOptions) ([]Guest, error) {
	if opts.AgentTimeout <= 0 {
		opts.AgentTimeout = 10 * time.Second
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	pool := qgaclient.NewPool()
	defer func() { _ = pool.Close() }()
	doms, err := pool.ListDomains(ctx, uri)
	if err != nil {
		return nil, err
	}
	var guests []Guest
	for _, d := range doms {
		if d.AgentChannel {
			guests = append(guests, Guest{Name: d.Name, UUID: d.UUID, State: d.State, IPv4Addresses: []string{}, IPv6Addresses: []string{}})
		}
	}
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i := range guests {
		if guests[i].State != "running" {
			continue
		}
		wg.Add(1)
		go func(g *Guest) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			askAgent(ctx, uri, g, opts.AgentTimeout)
		}(&guests[i])
	}
	wg.Wait()
	return guests, nil
}

func askAgent(ctx context.Context, uri string, g *Guest, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := qgaclient.Open(qgaclient.Target{URI: uri, Domain: g.UUID}, qgaclient.Options{CallTimeout: timeout})
	if err != nil {
		g.AgentError = err.Error()
		return
	}
	defer func() { _ = c.Close() }()
	osinfo, err := c.OSInfo(ctx)
	if err != nil {
		g.AgentError = err.Error()
		return
	}
	g.Agent, g.OSInfo = true, osinfo
	// The rest is optional: an agent may block these commands.
	if h, err := c.Hostname(ctx); err == nil {
		g.Hostname = h
	}
	if ifs, err := c.Interfaces(ctx); err == nil {
		// The modules' and the provider's default filter: global
		// addresses, no container or VM bridges.
		g.Interfaces = ifs
		if f, err := guestrules.NewAddressFilter(guestrules.AddressFilterSpec{}); err == nil {
			kept := f.Apply(ifs)
			g.IPv4Addresses, g.IPv6Addresses = kept.IPv4, kept.IPv6
		}
	}
}

// WriteInventory is `qga-module --inventory URI`: the inventory as one JSON
// object {"uri": ..., "guests": [...]} on out. The URI printed is redacted.
func WriteInventory(ctx context.Context, uri string, out io.Writer) error {
	if uri == "" {
		uri = qgaclient.DefaultURI()
	}
	guests, err := Inventory(ctx, uri, InventoryOptions{})
	if err != nil {
		return err
	}
	if guests == nil {
		guests = []Guest{}
	}
	b, err := json.Marshal(map[string]any{"uri": qgaclient.RedactURI(uri), "guests": guests})
	if err != nil {
		return fmt.Errorf("encoding the inventory: %w", err)
	}
	_, err = out.Write(append(b, '\n'))
	return err
}
