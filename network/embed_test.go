package network

import (
	"reflect"
	"testing"
)

// The network compiled into the binary (default_gen.go) is the network its YAML files
// load to, lookup maps included. Whoever edits network/default/*.yaml regenerates it.
func TestDefaultNetworkGenerated(t *testing.T) {
	if compiledDefault == nil {
		t.Skip("built with -tags strata_regen: no generated network")
	}
	const fix = "network/default_gen.go does not match network/default/*.yaml; regenerate it with: go generate ./network"
	loaded, err := Load(DefaultFiles())
	if err != nil {
		t.Fatalf("the default network does not load: %v", err)
	}
	compiled, err := Default()
	if err != nil || compiled != compiledDefault {
		t.Fatalf("Default() = %p, %v; want the compiled network", compiled, err)
	}
	exported := func(n *Network) Network {
		return Network{Entities: n.Entities, Dimensions: n.Dimensions, Relations: n.Relations, Facts: n.Facts, Chains: n.Chains, Formulas: n.Formulas}
	}
	got, want := exported(compiled), exported(loaded)
	v, w := reflect.ValueOf(&got).Elem(), reflect.ValueOf(&want).Elem()
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if !reflect.DeepEqual(v.Field(i).Interface(), w.Field(i).Interface()) {
			t.Fatalf("%s differ: %s", v.Type().Field(i).Name, fix)
		}
	}
	for name, m := range map[string][2]any{
		"byID":     {compiled.byID, loaded.byID},
		"dims":     {compiled.dims, loaded.dims},
		"rels":     {compiled.rels, loaded.rels},
		"relAlias": {compiled.relAlias, loaded.relAlias},
	} {
		if !reflect.DeepEqual(m[0], m[1]) {
			t.Errorf("the compiled network's %s differs from the loaded one's: index() does not build what Load builds", name)
		}
	}
	// Names resolve the same way through the lazily built index.
	for _, e := range loaded.Entities {
		for _, name := range append([]string{e.ID, e.Names.En, e.Names.Zh}, e.Aliases...) {
			a, errA := loaded.Resolve(name)
			b, errB := compiled.Resolve(name)
			if (errA == nil) != (errB == nil) || errA == nil && a.ID != b.ID {
				t.Errorf("Resolve(%q): loaded %v %v, compiled %v %v", name, a, errA, b, errB)
			}
		}
	}
}
