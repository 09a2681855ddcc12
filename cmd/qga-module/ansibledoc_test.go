package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"
)

// The modules' documentation lives in ansible/collection/plugins/modules/
// <name>.py, next to the binary in the built collection. These tests keep
// the documentation and the binary in step.

// The build script makes one module per documentation file: they must be
// exactly the modules this binary implements.
func TestDocumentedModulesAreImplemented(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(repoRootDir(t), "ansible", "collection", "plugins", "modules", "*.py"))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, d := range docs {
		documented = append(documented, strings.TrimSuffix(filepath.Base(d), ".py"))
	}
	slices.Sort(documented)
	if !slices.Equal(documented, collection.ModuleNames()) {
		t.Fatalf("documented modules %v, implemented %v", documented, collection.ModuleNames())
	}
	runtime, err := os.ReadFile(filepath.Join(repoRootDir(t), "ansible", "collection", "meta", "runtime.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range collection.ModuleNames() {
		if !strings.Contains(string(runtime), "    - "+name+"\n") {
			t.Errorf("module %s is not in the action group of meta/runtime.yml", name)
		}
	}
}

// ansibleDocOption is an option as ansible-doc --json reports it.
type ansibleDocOption struct {
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Default  any      `json:"default"`
	Choices  []string `json:"choices"`
	Aliases  []string `json:"aliases"`
	NoLog    bool     `json:"no_log"`
	Elements string   `json:"elements"`
}

// ansible-doc shows every module's documentation (from the .py file next
// to the binary), and that documentation describes the options the binary
// really accepts: names, types, defaults, choices, aliases, no_log.
func TestAnsibleDocMatchesArgumentSpecs(t *testing.T) {
	requireAnsible(t)
	collections := buildCollection(t)
	env := ansibleEnv(t, collections)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for _, name := range collection.ModuleNames() {
		fqcn := "qgatools.qga." + name
		cmd := exec.CommandContext(ctx, "ansible-doc", "--json", fqcn)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("ansible-doc %s: %v\n%s", fqcn, err, stderr.String())
			continue
		}
		var docs map[string]struct {
			Doc struct {
				Module           string                      `json:"module"`
				ShortDescription string                      `json:"short_description"`
				Options          map[string]ansibleDocOption `json:"options"`
			} `json:"doc"`
			Examples string         `json:"examples"`
			Return   map[string]any `json:"return"`
		}
		if err := json.Unmarshal(out, &docs); err != nil {
			t.Fatalf("ansible-doc --json %s: %v", fqcn, err)
		}
		doc, ok := docs[fqcn]
		if !ok {
			t.Errorf("ansible-doc --json %s: no entry in %s", fqcn, out)
			continue
		}
		if doc.Doc.Module != name || doc.Doc.ShortDescription == "" || !strings.Contains(doc.Examples, fqcn) || len(doc.Return) == 0 {
			t.Errorf("%s: incomplete documentation: module %q, short_description %q, %d return values, examples name the module: %v",
				fqcn, doc.Doc.Module, doc.Doc.ShortDescription, len(doc.Return), strings.Contains(doc.Examples, fqcn))
		}
		compareDocOptions(t, fqcn, collection.Module(name).Spec, doc.Doc.Options)
	}

	// ansible-doc -l lists each module once, with no warning: the binaries
	// are symlinks, which the listing skips in favour of the .py files.
	cmd := exec.CommandContext(ctx, "ansible-doc", "-l", "qgatools.qga")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "WARNING") {
		t.Fatalf("ansible-doc -l qgatools.qga: %v\n%s", err, out)
	}
	for _, name := range collection.ModuleNames() {
		if strings.Count(string(out), "qgatools.qga."+name+" ") != 1 {
			t.Errorf("ansible-doc -l does not list %s once:\n%s", name, out)
		}
	}
}

func compareDocOptions(t *testing.T, fqcn string, spec ansible.ArgSpec, documented map[string]ansibleDocOption) {
	t.Helper()
	for _, o := range spec.Options {
		d, ok := documented[o.Name]
		if !ok {
			t.Errorf("%s: option %s is not documented", fqcn, o.Name)
			continue
		}
		wantDefault := o.Default
		if b, err := json.Marshal(wantDefault); err == nil {
			_ = json.Unmarshal(b, &wantDefault) // as ansible-doc's JSON has it
		}
		wantElements := ""
		if o.Type == ansible.TypeList {
			wantElements = "str"
		}
		got := []any{d.Type, d.Required, d.Default, d.Choices, d.Aliases, d.NoLog, d.Elements}
		want := []any{string(o.Type), o.Required, wantDefault, o.Choices, o.Aliases, o.NoLog, wantElements}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s option %s: documented [type required default choices aliases no_log elements] = %v, the binary has %v", fqcn, o.Name, got, want)
		}
	}
	for name := range documented {
		if _, ok := spec.Lookup(name); !ok {
			t.Errorf("%s: documented option %s is not accepted by the binary", fqcn, name)
		}
	}
}
