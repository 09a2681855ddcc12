package qgaclient

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/digitalocean/go-libvirt"
)

// DomainSummary is one domain of a libvirt connection, as ListDomains sees
// it without talking to its guest agent.
type DomainSummary struct {
	Domain
	State string // running, paused, shutoff, ... (libvirt's state, lower case)
	// AgentChannel: the domain's XML has a virtio channel named
	// org.qemu.guest_agent.0, the one libvirt talks to.
	AgentChannel bool
}

// ListDomains returns every domain (running or not) of the libvirt daemon
// at uri (empty: DefaultURI), through the pool's connection to it.
func (p *Pool) ListDomains(ctx context.Context, uri string) ([]DomainSummary, error) {
	if uri == "" {
		uri = DefaultURI()
	}
	t, err := p.libvirtTransport(uri, "")
	if err != nil {
		return nil, err
	}
	l, err := t.conn.get(ctx)
	if err != nil {
		return nil, err
	}
	target := "libvirt connection " + RedactURI(uri)
	doms, err := runBounded(ctx, func() ([]libvirt.Domain, error) {
		d, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsActive|libvirt.ConnectListDomainsInactive)
		return d, err
	})
	if err != nil {
		return nil, newError(target, "", ErrConnection, fmt.Errorf("listing the domains: %w", scrubError(err, uri)))
	}
	out := make([]DomainSummary, 0, len(doms))
	for _, d := range doms {
		s := DomainSummary{Domain: Domain{Name: d.Name, UUID: formatUUID(d.UUID)}}
		st, err := runBounded(ctx, func() (int32, error) {
			st, _, err := l.DomainGetState(d, 0)
			return st, err
		})
		if err != nil {
			continue // the domain went away while we listed
		}
		s.State = stateName(libvirt.DomainState(st))
		desc, err := runBounded(ctx, func() (string, error) { return l.DomainGetXMLDesc(d, 0) })
		if err != nil {
			continue
		}
		s.AgentChannel = hasAgentChannel(desc)
		out = append(out, s)
	}
	return out, nil
}

func formatUUID(u libvirt.UUID) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// stateName is virsh's word for a state, without spaces.
func stateName(s libvirt.DomainState) string {
	switch s {
	case libvirt.DomainRunning:
		return "running"
	case libvirt.DomainBlocked:
		return "blocked"
	case libvirt.DomainPaused:
		return "paused"
	case libvirt.DomainShutdown:
		return "shutdown"
	case libvirt.DomainShutoff:
		return "shutoff"
	case libvirt.DomainCrashed:
		return "crashed"
	case libvirt.DomainPmsuspended:
		return "pmsuspended"
	}
	return "nostate"
}

// hasAgentChannel tells whether a domain XML declares the guest agent's channel.
func hasAgentChannel(domainXML string) bool {
	var d struct {
		Channels []struct {
			Target struct {
				Type string `xml:"type,attr"`
				Name string `xml:"name,attr"`
			} `xml:"target"`
		} `xml:"devices>channel"`
	}
	if xml.Unmarshal([]byte(domainXML), &d) != nil {
		return false
	}
	for _, c := range d.Channels {
		if c.Target.Type == "virtio" && c.Target.Name == "org.qemu.guest_agent.0" {
			return true
		}
	}
	return false
}
