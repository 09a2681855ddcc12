package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Every module names its guest the same way: a libvirt domain (local or
// remote URI) or the host end of a QEMU agent socket.

// connectionArgs are the options common to every module.
type connectionArgs struct {
	URI          string `mapstructure:"uri"`
	Domain       string `mapstructure:"domain"`
	AgentSocket  string `mapstructure:"agent_socket"`
	AgentTimeout int    `mapstructure:"agent_timeout"`
}

// defaultAgentTimeout lets a guest that was just started finish booting:
// its agent answers seconds after the domain starts, a minute or more on a
// slow host.
const defaultAgentTimeout = 120

// withConnectionOptions adds the common options and their rules to a
// module's own spec.
func withConnectionOptions(spec ansible.ArgSpec) ansible.ArgSpec {
	spec.Options = append(spec.Options,
		ansible.Option{Name: uriOption, Type: ansible.TypeStr, DefaultFunc: func() any { return qgaclient.DefaultURI() }},
		ansible.Option{Name: "domain", Type: ansible.TypeStr},
		ansible.Option{Name: "agent_socket", Type: ansible.TypePath},
		ansible.Option{Name: "agent_timeout", Type: ansible.TypeInt, Default: defaultAgentTimeout},
	)
	spec.MutuallyExclusive = append(spec.MutuallyExclusive, []string{"domain", "agent_socket"})
	spec.RequiredOneOf = append(spec.RequiredOneOf, []string{"domain", "agent_socket"})
	return spec
}

// uriOption is the name of the option that holds the libvirt URI.
const uriOption = "uri"

// uriSecrets lists what must never appear in the module's output from the
// uri option: its password and any query value that may be secret, as
// written and decoded.
func uriSecrets(params map[string]any) []string {
	uri, _ := params[uriOption].(string)
	return qgaclient.URISecrets(uri)
}

// withRedactedURI returns params with the uri option redacted
// (qemu+libssh://root:xxxxx@host/system), for invocation.module_args. The
// map given is not changed: the module connects with the real URI.
func withRedactedURI(params map[string]any) map[string]any {
	uri, ok := params[uriOption].(string)
	if !ok {
		return params
	}
	out := make(map[string]any, len(params))
	for k, v := range params {
		out[k] = v
	}
	out[uriOption] = qgaclient.RedactURI(uri)
	return out
}

// guest is an open connection to the guest agent.
type guest struct {
	client *qgaclient.Client
	// callTimeout bounds each agent call.
	callTimeout time.Duration
}

// openGuest connects and waits up to agent_timeout for the agent to answer
// (a guest that is still booting). Failures that waiting cannot fix, such
// as an unknown domain, end the wait at once. A run talks to one guest:
// qgaclient.Open gives it connections of its own, which Close closes.
func openGuest(ctx context.Context, a connectionArgs) (*guest, error) {
	if a.AgentTimeout <= 0 {
		return nil, fmt.Errorf("agent_timeout must be a positive number of seconds, got %d", a.AgentTimeout)
	}
	timeout := time.Duration(a.AgentTimeout) * time.Second
	target := qgaclient.Target{Domain: a.Domain, AgentSocket: a.AgentSocket}
	if a.Domain != "" {
		target.URI = a.URI
	}
	c, err := qgaclient.Open(target, qgaclient.Options{CallTimeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("opening the guest: %w", err)
	}
	if err := c.WaitForAgent(ctx, timeout, nil); err != nil {
		_ = c.Close()
		return nil, err
	}
	return &guest{client: c, callTimeout: timeout}, nil
}

// call gives one agent call its deadline.
func (g *guest) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.callTimeout)
}

func (g *guest) Close() { _ = g.client.Close() }

// unavailable tells whether an error means the agent lacks a command or
// has it disabled, as opposed to a failure while running it.
func unavailable(err error) bool {
	return errors.Is(err, qgaclient.ErrCommandDisabled) || errors.Is(err, qgaclient.ErrCommandUnsupported)
}
