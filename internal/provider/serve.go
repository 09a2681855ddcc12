package provider

import (
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Serve runs the provider server until Terraform is done with it, then
// closes the connections (to libvirt daemons and agent sockets) that its
// providers opened. The framework has no hook for a provider's end, and
// closing anything earlier, say when a Configure ends, would cut the
// resources that still use the connections: the end of the server is the
// first moment nothing can use them any more. A server that Terraform
// kills instead gets them closed by the kernel.
func Serve(ctx context.Context, version string, opts providerserver.ServeOpts) error {
	pools := &poolSet{}
	err := providerserver.Serve(ctx, newFactory(version, pools), opts)
	pools.closeAll()
	return err
}

// poolSet collects the client pools of the providers one factory made.
type poolSet struct {
	mu    sync.Mutex
	pools []*qgaclient.Pool
}

func (s *poolSet) add(p *qgaclient.Pool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pools = append(s.pools, p)
}

// closeAll closes the pools; errors closing a connection that is going
// away anyway are not worth reporting to anyone.
func (s *poolSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pools {
		_ = p.Close()
	}
}
