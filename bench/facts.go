package bench

import (
	"io"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/strata-dev/strata/network"
)

// WriteFacts writes facts as a strata network document of kind Facts, loadable with
// --network beside the declared facts.
func WriteFacts(w io.Writer, name string, facts []network.Fact) error {
	type fact struct {
		Subject  string `yaml:"subject"`
		Relation string `yaml:"relation"`
		Object   string `yaml:"object"`
		Kind     string `yaml:"kind"`
		Note     string `yaml:"note,omitempty"`
	}
	doc := struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			Facts []fact `yaml:"facts"`
		} `yaml:"spec"`
	}{APIVersion: network.APIVersion, Kind: "Facts"}
	doc.Metadata.Name = name
	doc.Spec.Facts = []fact{}
	for _, f := range facts {
		doc.Spec.Facts = append(doc.Spec.Facts, fact{f.Subject, f.Relation, f.Object, f.Kind, f.Note})
	}
	b, err := yaml.MarshalWithOptions(doc, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "# Measured by strata bench; load with: strata --network THIS-FILE …\n"); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// FactsName is a document name for the results' facts: measured-HOST-DATE.
func FactsName(r *Results) string {
	return "measured-" + safeName(strings.ToLower(r.Host.Hostname)) + "-" + r.Started.Format("20060102-150405")
}
