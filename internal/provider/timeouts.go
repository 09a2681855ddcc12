package provider

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// The resources' timeouts block. An entry, when set, bounds its whole
// operation: the wait for the guest's agent (instead of the provider's
// agent_timeout, so that a guest just created by another provider can be
// waited for as long as the user says) and every agent call after it.
// Without an entry an operation behaves as before the block existed: it
// waits for the agent up to agent_timeout, then each call is bounded by
// call_timeout (and a command by qga_guest_exec's timeout). That default
// is kept on purpose: agent_timeout already waits 3 minutes for a booting
// guest, and a configuration that works today must not start failing or
// waiting longer.
//
// The rule of the wait itself (what is retried, what fails at once, how
// often it pings) is qgaclient.WaitForAgent's, shared with the Ansible
// modules; this file only decides how long it may last.

// Operations, as named in the block.
const (
	opCreate = "create"
	opRead   = "read"
	opUpdate = "update"
	opDelete = "delete"
)

// timeoutsBlock is the block with one entry per operation of ops, each
// checked at plan time to be a positive duration (the block's own
// validator checks only the syntax).
func timeoutsBlock(ctx context.Context, ops ...string) schema.Block {
	opts := timeouts.Opts{}
	for _, op := range ops {
		d := fmt.Sprintf("How long the %s may take, as a Go duration (e.g. `90s`, `10m`): the wait for the guest's agent, which then lasts up to this instead of the provider's `agent_timeout`, "+
			"and every agent call after it. Unset: the agent is waited for up to `agent_timeout`, and each call is bounded by `call_timeout`.", op)
		switch op {
		case opCreate:
			opts.Create, opts.CreateDescription = true, d
		case opRead:
			opts.Read, opts.ReadDescription = true, d
		case opUpdate:
			opts.Update, opts.UpdateDescription = true, d
		case opDelete:
			opts.Delete, opts.DeleteDescription = true, d
		}
	}
	b, _ := timeouts.Block(ctx, opts).(schema.SingleNestedBlock)
	b.Description = "Time limits of the operations that talk to the guest, for a guest that may still be booting (e.g. one created in the same apply): " +
		"the agent is retried until it answers or the limit passes; what waiting cannot change (a disabled or missing command, no such domain, refused credentials) fails at once."
	for name, a := range b.Attributes {
		if sa, ok := a.(schema.StringAttribute); ok {
			sa.Validators = append(sa.Validators, positiveDuration{})
			b.Attributes[name] = sa
		}
	}
	return b
}

// unsetTimeout is what timeoutOf returns for an entry that is not set: no
// duration can be written that short.
const unsetTimeout = time.Duration(math.MinInt64)

// timeoutOf reads the block's entry for op: unsetTimeout when it is not set.
func timeoutOf(ctx context.Context, v timeouts.Value, op string) (time.Duration, diag.Diagnostics) {
	if v.IsNull() || v.IsUnknown() {
		return unsetTimeout, nil
	}
	switch op {
	case opCreate:
		return v.Create(ctx, unsetTimeout)
	case opRead:
		return v.Read(ctx, unsetTimeout)
	case opUpdate:
		return v.Update(ctx, unsetTimeout)
	}
	return v.Delete(ctx, unsetTimeout)
}

// opLimit is an operation bounded by its timeouts entry, carried in the
// operation's context so that connect (which every operation goes through)
// waits for the agent as long as the entry says and names it when the wait
// runs out.
type opLimit struct {
	attr  string // "timeouts.create"
	limit time.Duration
	// explained: a diagnostic already said that this limit ran out and how
	// to raise it.
	explained bool
}

type opLimitKey struct{}

// opLimitOf is the operation's limit, nil when it has none.
func opLimitOf(ctx context.Context) *opLimit {
	l, _ := ctx.Value(opLimitKey{}).(*opLimit)
	return l
}

// raiseHint says how to wait longer for the agent.
func (pd *providerData) raiseHint(ctx context.Context) string {
	if l := opLimitOf(ctx); l != nil {
		l.explained = true
		return fmt.Sprintf("To wait longer for a guest that is still booting, raise %s (now %s).", l.attr, durationText(l.limit))
	}
	return fmt.Sprintf("To wait longer for a guest that is still booting, raise the provider's agent_timeout (now %s), "+
		"or give the resource a timeouts block.", durationText(pd.agentTimeout))
}

// agentWaitLimit is how long connect waits for the agent.
func (pd *providerData) agentWaitLimit(ctx context.Context) time.Duration {
	if l := opLimitOf(ctx); l != nil {
		return l.limit
	}
	return pd.agentTimeout
}

// startOp bounds one operation by its timeouts entry, when set. Call the
// returned end when the operation is over (defer): it releases the
// deadline and, when the operation failed because the limit ran out and
// no diagnostic said so yet, says which limit and how to raise it. An
// invalid entry is an error in diags.
func startOp(ctx context.Context, v timeouts.Value, op string, diags *diag.Diagnostics) (context.Context, func()) {
	d, dd := timeoutOf(ctx, v, op)
	diags.Append(dd...)
	if dd.HasError() {
		return ctx, func() {}
	}
	return boundOp(ctx, op, d, diags)
}

// boundOp is startOp for an entry already read (unsetTimeout: not set),
// for the data sources, whose block is of another type.
func boundOp(ctx context.Context, op string, d time.Duration, diags *diag.Diagnostics) (context.Context, func()) {
	if d == unsetTimeout {
		return ctx, func() {}
	}
	l := &opLimit{attr: "timeouts." + op, limit: d}
	if d <= 0 {
		// Unknown at plan time, so positiveDuration could not look at it.
		diags.AddAttributeError(path.Root("timeouts").AtName(op), "Invalid timeout", notPositive(path.Root("timeouts").AtName(op), d.String()))
		return ctx, func() {}
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, opLimitKey{}, l), d)
	return ctx, func() {
		if ctx.Err() == context.DeadlineExceeded && diags.HasError() && !l.explained {
			diags.AddError("Timed out",
				fmt.Sprintf("The %s did not finish within %s (%s), which bounds all of it: the wait for the guest agent and every call after it. Raise %s if it needs longer.",
					op, l.attr, durationText(d), l.attr))
		}
		cancel()
	}
}
