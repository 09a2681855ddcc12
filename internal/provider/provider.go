// Package provider is the Terraform provider "qga": it manages things inside
// QEMU/KVM guests through the guest agent, using internal/qgaclient. No
// resource here knows which transport reaches the guest.
package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// QGAProvider is the provider implementation.
type QGAProvider struct {
	version string
	pools   *poolSet // where the pool is registered, to be closed when the server stops

	poolMu sync.Mutex
	pool   *qgaclient.Pool // made by the first Configure
}

// providerModel is the provider block.
type providerModel struct {
	URI          types.String         `tfsdk:"uri"`
	AgentTimeout timetypes.GoDuration `tfsdk:"agent_timeout"`
	CallTimeout  timetypes.GoDuration `tfsdk:"call_timeout"`
}

// providerData is handed to every resource and data source.
type providerData struct {
	// pool holds the connections and what was learned about the guests,
	// for every resource and data source of this provider.
	pool         *qgaclient.Pool
	uri          string
	agentTimeout time.Duration
	callTimeout  time.Duration
	// uriUnknown: the configuration's uri is computed from something not
	// created yet (a plan before that apply). No libvirt may be asked then:
	// the default URI could name another hypervisor with a domain of the
	// same name.
	uriUnknown bool
}

// canQueryLibvirt says whether the plan may ask libvirt about domains.
func (pd *providerData) canQueryLibvirt() bool { return pd != nil && !pd.uriUnknown }

var (
	_ provider.Provider                       = (*QGAProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*QGAProvider)(nil)
)

// New returns the provider factory for providerserver. The connections of
// the providers it makes last as long as the process (tests); Serve closes
// them when the server stops.
func New(version string) func() provider.Provider {
	return newFactory(version, &poolSet{})
}

func newFactory(version string, pools *poolSet) func() provider.Provider {
	return func() provider.Provider { return &QGAProvider{version: version, pools: pools} }
}

// clientPool returns the provider's pool, made by the first Configure. The
// framework may configure one provider more than once (tests, several
// terraform commands against one debug server): the connections and what
// was learned about the guests are kept between the calls.
func (p *QGAProvider) clientPool() *qgaclient.Pool {
	p.poolMu.Lock()
	defer p.poolMu.Unlock()
	if p.pool == nil {
		p.pool = qgaclient.NewPool()
		p.pools.add(p.pool)
	}
	return p.pool
}

func (p *QGAProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "qga"
	resp.Version = p.version
}

func (p *QGAProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages things inside QEMU/KVM guests through the QEMU guest agent, without network access to the guest.",
		Attributes: map[string]schema.Attribute{
			"uri": schema.StringAttribute{
				Optional: true,
				Description: "libvirt connection URI, e.g. `qemu:///system` or `qemu+ssh://root@host/system`. Defaults to the `LIBVIRT_DEFAULT_URI` environment variable, else `qemu:///system`. " +
					"When it is computed from something created in the same apply, the plan skips its checks of the guests, and data sources cannot be read until it is known.",
			},
			"agent_timeout": schema.StringAttribute{
				Optional: true, CustomType: durationType, Validators: durationValidators,
				Description: "How long to wait for a guest's agent to answer, as a Go duration (e.g. `90s`, `5m`). Default `" + durationText(defaultAgentTimeout) + "`. " +
					"A resource's `timeouts` block, when it sets an entry for the operation, bounds that wait instead (and the whole operation).",
			},
			"call_timeout": schema.StringAttribute{
				Optional: true, CustomType: durationType, Validators: durationValidators,
				Description: "Deadline of one agent command once the agent answers, as a Go duration. Default `" + durationText(defaultCallTimeout) + "`. A `qga_guest_exec` command's own run time is bounded by its `timeout` instead.",
			},
		},
	}
}

func (p *QGAProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.URI.IsUnknown() && req.ClientCapabilities.DeferralAllowed {
		// Terraform can plan the resources later, once the uri is known.
		resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
		return
	}
	data := &providerData{pool: p.clientPool(), uri: cfg.URI.ValueString(), uriUnknown: cfg.URI.IsUnknown()}
	if data.uri == "" && !data.uriUnknown {
		data.uri = qgaclient.DefaultURI()
	}
	var ok bool
	if data.agentTimeout, ok = durationValue(cfg.AgentTimeout, "agent_timeout", defaultAgentTimeout, &resp.Diagnostics); !ok {
		return
	}
	if data.callTimeout, ok = durationValue(cfg.CallTimeout, "call_timeout", defaultCallTimeout, &resp.Diagnostics); !ok {
		return
	}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
}

func (p *QGAProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newGuestSSHKeysResource, newGuestUserPasswordResource, newGuestExecResource, newGuestFileResource}
}

func (p *QGAProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newGuestOSInfoDataSource, newGuestInterfacesDataSource, newGuestFileDataSource}
}

// EphemeralResources: Terraform 1.10+ and OpenTofu 1.11+ use them; older
// versions never ask.
func (p *QGAProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{newGuestFileEphemeral}
}
