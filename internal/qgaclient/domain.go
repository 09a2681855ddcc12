package qgaclient

import "context"

// Domain is a libvirt domain's identity. A domain can be named by its name
// or by its UUID; the UUID is what stays the same.
type Domain struct {
	Name string
	UUID string // lower case, 8-4-4-4-12 hex digits
}

// LookupDomain asks the libvirt daemon at uri (empty: DefaultURI) for the
// domain named by name or UUID, without talking to its guest agent. When
// libvirt knows no such domain the error's kind is ErrDomainNotFound; any
// other error means libvirt could not be asked (see its kind), not that the
// domain is gone.
func (p *Pool) LookupDomain(ctx context.Context, uri, domain string) (Domain, error) {
	if uri == "" {
		uri = DefaultURI()
	}
	t, err := p.libvirtTransport(uri, domain)
	if err != nil {
		return Domain{}, err
	}
	_, dom, err := t.lookup(ctx)
	if err != nil {
		return Domain{}, err
	}
	return Domain{Name: dom.Name, UUID: formatUUID(dom.UUID)}, nil
}
