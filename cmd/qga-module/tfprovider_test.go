package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/qgatools/terraform-provider-qga/internal/provider"
)

// tfProvider drives the real provider the way Terraform does, through its
// protocol server (plan, apply, read), with no Terraform binary: the
// provider's front end of the parity test.
type tfProvider struct {
	t       *testing.T
	srv     tfprotov6.ProviderServer
	schemas map[string]*tfprotov6.Schema
	// dataSchemas are the data sources' schemas.
	dataSchemas map[string]*tfprotov6.Schema
}

func newTFProvider(t *testing.T) *tfProvider {
	t.Helper()
	srv, err := providerserver.NewProtocol6WithError(provider.New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasError(s.Diagnostics) {
		t.Fatalf("schema: %v %v", err, s.Diagnostics)
	}
	p := &tfProvider{t: t, srv: srv, schemas: s.ResourceSchemas, dataSchemas: s.DataSourceSchemas}
	cfg := dynamic(t, s.Provider.ValueType(), nullObject(s.Provider.ValueType(), nil))
	c, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.5.7", Config: cfg})
	if err != nil || hasError(c.Diagnostics) {
		t.Fatalf("configure: %v %v", err, diagText(c.Diagnostics))
	}
	return p
}

// object builds a resource value from the attributes given; the others are
// null.
func (p *tfProvider) object(typeName string, attrs map[string]tftypes.Value) tftypes.Value {
	return nullObject(p.schemas[typeName].ValueType(), attrs)
}

func (p *tfProvider) dynamic(typeName string, v tftypes.Value) *tfprotov6.DynamicValue {
	return dynamic(p.t, p.schemas[typeName].ValueType(), v)
}

// validate is Terraform's validate step: the plan-time checks.
func (p *tfProvider) validate(typeName string, config tftypes.Value) error {
	r, err := p.srv.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: p.dynamic(typeName, config)})
	if err != nil {
		p.t.Fatal(err)
	}
	return diagError(r.Diagnostics)
}

// create validates, plans and applies a new resource, as terraform apply
// does; the error is the first failing step's.
func (p *tfProvider) create(typeName string, config tftypes.Value) (tftypes.Value, error) {
	ctx := context.Background()
	if err := p.validate(typeName, config); err != nil {
		return tftypes.Value{}, err
	}
	typ := p.schemas[typeName].ValueType()
	prior := dynamic(p.t, typ, tftypes.NewValue(typ, nil))
	plan, err := p.srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: prior, Config: p.dynamic(typeName, config),
		ProposedNewState: p.dynamic(typeName, config),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := diagError(plan.Diagnostics); err != nil {
		return tftypes.Value{}, err
	}
	applied, err := p.srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: typeName, PriorState: prior, PlannedState: plan.PlannedState, Config: p.dynamic(typeName, config),
		PlannedPrivate: plan.PlannedPrivate,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := diagError(applied.Diagnostics); err != nil {
		return tftypes.Value{}, err
	}
	return p.value(typeName, applied.NewState), nil
}

// read is Terraform's refresh of an existing resource.
func (p *tfProvider) read(typeName string, state tftypes.Value) (tftypes.Value, error) {
	r, err := p.srv.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: p.dynamic(typeName, state)})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := diagError(r.Diagnostics); err != nil {
		return tftypes.Value{}, err
	}
	return p.value(typeName, r.NewState), nil
}

func (p *tfProvider) value(typeName string, d *tfprotov6.DynamicValue) tftypes.Value {
	v, err := d.Unmarshal(p.schemas[typeName].ValueType())
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// dataObject builds a data source's configuration from the attributes
// given; the others (and blocks) are null.
func (p *tfProvider) dataObject(typeName string, attrs map[string]tftypes.Value) tftypes.Value {
	return nullObject(p.dataSchemas[typeName].ValueType(), attrs)
}

// readData validates and reads a data source, as a plan does.
func (p *tfProvider) readData(typeName string, config tftypes.Value) (tftypes.Value, error) {
	ctx := context.Background()
	typ := p.dataSchemas[typeName].ValueType()
	v, err := p.srv.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: typeName, Config: dynamic(p.t, typ, config)})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := diagError(v.Diagnostics); err != nil {
		return tftypes.Value{}, err
	}
	r, err := p.srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: dynamic(p.t, typ, config)})
	if err != nil {
		p.t.Fatal(err)
	}
	if err := diagError(r.Diagnostics); err != nil {
		return tftypes.Value{}, err
	}
	state, err := r.State.Unmarshal(typ)
	if err != nil {
		p.t.Fatal(err)
	}
	return state, nil
}

// attr returns one attribute of an object value.
func attr(t *testing.T, v tftypes.Value, name string) tftypes.Value {
	t.Helper()
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
func tfBool(b bool) tftypes.Value     { return tftypes.NewValue(tftypes.Bool, b) }

func tfStrings(typ tftypes.Type, list []string) tftypes.Value {
	vals := make([]tftypes.Value, len(list))
	for i, s := range list {
		vals[i] = tfString(s)
	}
	return tftypes.NewValue(typ, vals)
}

// tfStringSet is the set's elements.
func tfStringSet(t *testing.T, v tftypes.Value) []string { return tfList(t, v) }

// tfList is the elements of a list or set of strings.
func tfList(t *testing.T, v tftypes.Value) []string {
	t.Helper()
	var elems []tftypes.Value
	if err := v.As(&elems); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		if err := e.As(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func nullObject(typ tftypes.Type, attrs map[string]tftypes.Value) tftypes.Value {
	obj := typ.(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	return tftypes.NewValue(typ, vals)
}

func dynamic(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	d, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &d
}

func hasError(diags []*tfprotov6.Diagnostic) bool { return diagError(diags) != nil }

func diagError(diags []*tfprotov6.Diagnostic) error {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return fmt.Errorf("%s", diagText(diags))
		}
	}
	return nil
}

func diagText(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, d.Summary+": "+d.Detail)
	}
	return strings.Join(parts, "; ")
}
