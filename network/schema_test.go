package network_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/strata-dev/strata/network"
)

const schemaID = "https://strata.dev/schema/v1alpha1/network.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(network.Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatal(err)
	}
	// Compile checks the schema against the draft 2020-12 meta-schema.
	sch, err := c.Compile(schemaID)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// yamlDocuments decodes every document of a YAML file into JSON values, the way an editor
// hands them to the schema. Empty documents are skipped, as Load skips them.
func yamlDocuments(t *testing.T, name string, data []byte) []any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: decode YAML: %v", name, err)
		}
		if v == nil {
			continue
		}
		b, err := json.Marshal(jsonKeys(v))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		j, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, j)
	}
}

// jsonKeys turns mappings with non-string keys into JSON objects.
func jsonKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonKeys(x)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonKeys(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = jsonKeys(x)
		}
	}
	return v
}

func readGlob(t *testing.T, pattern string) []network.File {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	files, err := network.ReadFiles(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func validateFile(t *testing.T, sch *jsonschema.Schema, f network.File) []error {
	t.Helper()
	var errs []error
	for i, doc := range yamlDocuments(t, f.Name, f.Data) {
		if err := sch.Validate(doc); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i+1, err))
		}
	}
	return errs
}

func TestSchemaValidatesDefaultNetwork(t *testing.T) {
	sch := compileSchema(t)
	files := network.DefaultFiles()
	if len(files) == 0 {
		t.Fatal("DefaultFiles returned no files")
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			for _, err := range validateFile(t, sch, f) {
				t.Error(err)
			}
		})
	}
}

func TestSchemaValidatesValidTestdata(t *testing.T) {
	sch := compileSchema(t)
	for _, f := range readGlob(t, "testdata/valid/*.yaml") {
		t.Run(filepath.Base(f.Name), func(t *testing.T) {
			for _, err := range validateFile(t, sch, f) {
				t.Error(err)
			}
		})
	}
}

func TestSchemaRejectsInvalidTestdata(t *testing.T) {
	sch := compileSchema(t)
	for _, f := range readGlob(t, "testdata/invalid-schema/*.yaml") {
		t.Run(filepath.Base(f.Name), func(t *testing.T) {
			errs := validateFile(t, sch, f)
			for _, e := range errs {
				t.Log(e)
			}
			if len(errs) == 0 {
				t.Errorf("the schema accepts %s", f.Name)
			}
		})
	}
}

// The schema and the loader agree: what the schema accepts loads, and what it rejects the
// loader rejects too, with the problems each file lists in its "# want:" lines.
func TestSchemaAndLoaderAgree(t *testing.T) {
	for _, f := range readGlob(t, "testdata/valid/*.yaml") {
		t.Run(filepath.Base(f.Name), func(t *testing.T) {
			n, err := network.Load([]network.File{f})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(n.Entities) == 0 || len(n.Relations) == 0 {
				t.Errorf("loaded %d entities and %d relation types; want some of each", len(n.Entities), len(n.Relations))
			}
		})
	}
	for _, f := range readGlob(t, "testdata/invalid-schema/*.yaml") {
		t.Run(filepath.Base(f.Name), func(t *testing.T) {
			var want []string
			for _, line := range strings.Split(string(f.Data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, f.Name+":"+w)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s has no # want: lines", f.Name)
			}
			_, err := network.Load([]network.File{f})
			ps, ok := network.AsProblems(err)
			if !ok {
				t.Fatalf("Load returned %v; want problems", err)
			}
			got := strings.Split(ps.Error(), "\n")
			if !slices.Equal(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// The schema's enums are the package's lists, so neither can drift from the other.
func TestSchemaMatchesModel(t *testing.T) {
	var s struct {
		ID         string `json:"$id"`
		Properties struct {
			APIVersion struct {
				Const string `json:"const"`
			} `json:"apiVersion"`
			Kind struct {
				Enum []string `json:"enum"`
			} `json:"kind"`
		} `json:"properties"`
		Defs struct {
			Category struct {
				Enum []string `json:"enum"`
			} `json:"category"`
			Property struct {
				Enum []string `json:"enum"`
			} `json:"property"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(network.Schema(), &s); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"$id", []string{s.ID}, []string{schemaID}},
		{"apiVersion", []string{s.Properties.APIVersion.Const}, []string{network.APIVersion}},
		{"kind enum", s.Properties.Kind.Enum, network.Kinds()},
		{"category enum", s.Defs.Category.Enum, network.Categories()},
		{"property enum", s.Defs.Property.Enum, network.Properties()},
	} {
		if !sameSet(c.got, c.want) {
			t.Errorf("schema %s = %q; the package has %q", c.what, c.got, c.want)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Every property the schema names says what it is, so that editors can show help.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(network.Schema(), &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	described := func(s map[string]any) bool {
		for {
			if s["description"] != nil || s["title"] != nil {
				return true
			}
			ref, ok := s["$ref"].(string)
			if !ok {
				return false
			}
			s, _ = defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if s == nil {
				return false
			}
		}
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name, p := range props {
					ps, ok := p.(map[string]any)
					// Properties re-constrained inside if/then/not need no second description.
					if ok && !described(ps) && !strings.Contains(path, "/if") && !strings.Contains(path, "/then") && !strings.Contains(path, "/not") && !strings.Contains(path, "/anyOf") {
						t.Errorf("%s/properties/%s has no description or title", path, name)
					}
				}
			}
			for k, x := range v {
				walk(path+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s/%d", path, i), x)
			}
		}
	}
	walk("#", root)
}

func TestSchemaFileIsFormatted(t *testing.T) {
	b, err := os.ReadFile("schema/network.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, network.Schema()) {
		t.Error("network.Schema() differs from schema/network.schema.json")
	}
	if !json.Valid(b) {
		t.Error("schema/network.schema.json is not valid JSON")
	}
}
