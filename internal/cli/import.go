package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
)

// importParams are strata import's flags.
type importParams struct {
	write  string // directory for one YAML file per document
	report string // file for the report as JSON
	format string
}

func (a *app) importCommand() *cobra.Command {
	var p importParams
	cmd := &cobra.Command{
		Use:   "import FILE.md|DIR...",
		Short: "Read a Markdown knowledge base into network documents, every fact traced to its line",
		Long: `Read Markdown documents — the seed's own format — and write the network documents they
declare (strata.dev/v1alpha1 YAML, or JSON with -o json) on standard output, or with
--write one YAML file per document under a directory. Each line of YAML ends with the
Markdown line it came from, and loading the documents (--network, strata check) cites
the Markdown.

What is read: a table is a dimension named by its section heading ("## 30.6.1 四层隔离栈
维度", the "**维度定义**：" line its definition); the first column holds ids or names, a
name column (层级, level) names the rows, a year column is typed as a year, columns
headed as relations (技术代表, representative technology, 技术栈, stack, 关键维度, key
requirements, 关系矩阵, coordinates, or a relation type's name) name other entities,
the other columns are attributes. Lines "LABEL: A = B > C" in code blocks or prose are
chains of the relation the label names (in English or Chinese); an unlabelled chain
takes its relation from the caption before its block or its heading; "RESULT = A + B"
and "RESULT = A × B" are formulas. A yaml code block of network documents
(apiVersion: strata.dev/v1alpha1) is read as written. A table or code block after a
<!-- strata:table {...} --> comment, as strata export -o markdown writes them, is read
by the layout the comment gives, exactly: strata import --no-default reads the export
back into the same network. Names resolve by id, name or alias in either language,
against the embedded network (unless --no-default), the --network files and every
document; "A1技术架构" and "T4Wasm化" (an id glued to a label) and "横坐标(O1)" resolve
too. A table row that names an entity the network has describes that entity.

Encodings: UTF-8 with or without BOM, UTF-16 and UTF-32 with BOM, UTF-16 without,
GB18030, and mojibake (UTF-8 read as Windows-1252 or Latin-1 and saved again) are
detected and undone; characters mojibake lost bytes of are rebuilt and chosen by the
names the network knows, then by the documents' text, each choice reported.

The report — per document: its encoding, what was read, what was not (front matter,
links, metadata, prose), warnings and problems, each at file:line — goes to standard
error (to standard output with --write), and as JSON to --report FILE. Exit code 1 when
there is any problem.`,
		Example: `  strata import kb/
  strata import doc.md --write net/
  strata import kb/ -o json --report report.json
  strata import kb/ --new-relations`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("output") {
				a.output = "yaml"
			}
			f, err := a.format("yaml", "json")
			if err != nil {
				return err
			}
			p.format = f
			return a.runImport(cmd.Context(), p, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&p.write, "write", "", "write one YAML file per Markdown document under `DIR` (same relative path, .yaml)")
	fl.StringVar(&p.report, "report", "", "also write the report as JSON to `FILE`")
	return cmd
}

// importReport is what strata import says about its input.
type importReport struct {
	Documents []*kb.Document   `json:"documents"`
	Skipped   []string         `json:"skippedFiles,omitempty"`
	Problems  network.Problems `json:"problems"`
	Warnings  network.Problems `json:"warnings,omitempty"`
	Entities  int              `json:"entities"`
	Facts     int              `json:"facts"`
}

func (a *app) runImport(ctx context.Context, p importParams, args []string) error {
	in, err := readInputs(args)
	if err != nil {
		return readError(err)
	}
	if len(in.md) == 0 {
		return usagef("no Markdown document (.md) in %s", strings.Join(args, ", "))
	}
	// the base: the embedded network and --network files, and YAML among the arguments
	baseIn, err := readInputs(a.networks)
	if err != nil {
		return readError(err)
	}
	var base []network.File
	if !a.noDefault {
		base = network.DefaultFiles()
	}
	base = append(append(base, baseIn.yaml...), in.yaml...)
	md := append(baseIn.md, in.md...)
	baseNet, err := network.Load(base)
	if err != nil {
		return inputError{fmt.Errorf("the network the documents are read against has problems:\n%w", err)}
	}
	im, err := kb.NewReader(kb.Options{Base: baseNet, NewRelations: a.newRelations}).Read(ctx, md)
	if err != nil {
		return err
	}
	rep := importReport{Documents: im.Documents, Skipped: in.skipped, Problems: im.Problems, Warnings: im.Warnings}
	n, err := im.Load(base)
	if err != nil {
		ps, ok := network.AsProblems(err)
		if !ok {
			return err
		}
		rep.Problems = append(rep.Problems, ps...)
		rep.Problems.Sort()
	} else {
		for _, e := range n.Entities {
			if isDoc(im, e.Source.File) {
				rep.Entities++
			}
		}
		for _, f := range n.Facts {
			if isDoc(im, f.Source.File) {
				rep.Facts++
			}
		}
	}
	if rep.Problems == nil {
		rep.Problems = network.Problems{}
	}
	out, report := a.stdout, a.stderr
	if p.write != "" {
		if err := writeDocuments(p.write, args, im); err != nil {
			return err
		}
		report = a.stdout
	} else if err := writeNetworkDocs(out, p.format, im); err != nil {
		return err
	}
	writeImportReport(report, rep, p.write)
	if p.report != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(p.report, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	if len(rep.Problems) > 0 {
		return errNo
	}
	return nil
}

func isDoc(im *kb.Import, file string) bool {
	for _, d := range im.Documents {
		if d.Source == file {
			return true
		}
	}
	return false
}

// writeNetworkDocs writes every document's network documents as one YAML stream, or as
// a JSON array of documents.
func writeNetworkDocs(w io.Writer, format string, im *kb.Import) error {
	if format == "yaml" {
		for i, d := range im.Documents {
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			if _, err := w.Write(d.YAML()); err != nil {
				return err
			}
		}
		return nil
	}
	var docs []any
	for _, d := range im.Documents {
		dec := yaml.NewDecoder(bytes.NewReader(d.YAML()), yaml.UseOrderedMap())
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				return fmt.Errorf("%s: the generated YAML does not parse: %w", d.Source, err)
			}
			if v != nil {
				docs = append(docs, orderedToJSON(v))
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(docs)
}

// orderedToJSON turns YAML's ordered maps into JSON objects that keep their key order.
func orderedToJSON(v any) any {
	switch x := v.(type) {
	case yaml.MapSlice:
		var b bytes.Buffer
		b.WriteByte('{')
		for i, it := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(fmt.Sprint(it.Key))
			val, _ := json.Marshal(orderedToJSON(it.Value))
			b.Write(k)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteByte('}')
		return json.RawMessage(b.Bytes())
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = orderedToJSON(e)
		}
		return out
	}
	return v
}

// writeDocuments writes one YAML file per Markdown document under dir, at its path
// relative to the argument it was found under.
func writeDocuments(dir string, args []string, im *kb.Import) error {
	for _, d := range im.Documents {
		rel := relativeTo(d.Name, args)
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("--write: %w", err)
		}
		if err := os.WriteFile(p, d.YAML(), 0o644); err != nil {
			return fmt.Errorf("--write: %w", err)
		}
	}
	return nil
}

func relativeTo(name string, roots []string) string {
	for _, r := range roots {
		if st, err := os.Stat(r); err == nil && st.IsDir() {
			if rel, err := filepath.Rel(r, name); err == nil && !strings.HasPrefix(rel, "..") {
				return rel
			}
		}
	}
	return filepath.Base(name)
}

func writeImportReport(w io.Writer, rep importReport, wrote string) {
	for _, d := range rep.Documents {
		fmt.Fprintf(w, "%s: %s → %s\n", d.Source, d.Decoding, d.Name)
		if m := d.Decoding.Mojibake; m != nil {
			for _, c := range m.Choices {
				fmt.Fprintf(w, "  chose %s:%s\n", d.Source, c)
			}
		}
		for _, n := range d.Read {
			fmt.Fprintf(w, "  read     %s\n", n)
		}
		for _, n := range d.Skipped {
			fmt.Fprintf(w, "  not read %s\n", n)
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "not read: %s (neither Markdown nor YAML)\n", s)
	}
	for _, p := range rep.Warnings {
		fmt.Fprintln(w, "warning: "+p.String())
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(w, p.String())
	}
	where := ""
	if wrote != "" {
		where = " written under " + wrote
	}
	fmt.Fprintf(w, "%d document(s)%s: %d entities declared, %d facts, %d problem(s), %d warning(s)\n",
		len(rep.Documents), where, rep.Entities, rep.Facts, len(rep.Problems), len(rep.Warnings))
}
