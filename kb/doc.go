// Package kb reads a Markdown knowledge base — the seed's own document and others
// written like it — into strata network documents, every fact traced to its Markdown
// line.
//
// A [Reader] reads documents as people write them:
//
//   - a table is a dimension: its section heading ("## 30.6.1 四层隔离栈维度") names it
//     and gives its id, the "**维度定义**：" line its definition; the first column holds
//     each row's id (**D1**) or name, a column headed like a name (层级, level) names the
//     rows ("L-0 硬件" is the code L-0 and the name 硬件), a column of years is typed as
//     a year, columns headed as relations (技术代表, stack, 关键维度, coordinates, or any
//     relation type's name) name other entities — split on / 、 , + — and every other
//     column is an attribute named by its header;
//   - a line "LABEL: A = B > C" in a code block or prose is a chain of the relation its
//     label names (matched against relation ids, names in both languages, inverse names
//     and vocabulary.yaml); an unlabelled chain takes its relation from the caption
//     before its block ("**演进关系**：") or its heading; arrows → and -> chain too;
//     "RESULT = A + B" and "RESULT = A × B" are formulas;
//   - terms are resolved by id, name or alias in either language, across documents
//     and against the base network, including the seed's glued forms: "A1技术架构" and
//     "T4Wasm化" (an id, then a label that becomes a name), "横坐标(O1)" and
//     "X=2(边缘编排)";
//   - a yaml code block holding network documents ("apiVersion: strata.dev/v1alpha1")
//     is read as it is written, its positions in the Markdown; a table or code block
//     after a "<!-- strata:table {…} -->" comment, as [WriteMarkdown] writes them, is
//     read by the column layout the comment gives, exactly, into the network documents
//     it came from, so that reading the export gives the network again (the entities of
//     both are not among the names the tables and chains of the knowledge base resolve
//     against: they meet when the network is loaded);
//   - front matter, link lines, metadata and prose that holds no chain are reported as
//     not read, never dropped silently.
//
// Bytes are decoded first: UTF-8 with or without a byte-order mark, UTF-16 and UTF-32
// with one (UTF-16 also without, from its zero bytes), GB18030, and mojibake — UTF-8 that
// was read as Windows-1252 or Latin-1 and saved again as UTF-8 — which is undone. When
// mojibake lost the bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D),
// the UTF-8 structure says which characters lost a byte and what they can have been; the
// reader chooses by the names the network already knows, then by the documents' own text,
// then by how common a character is, and reports every choice with its alternatives and a
// confidence ([Choice]). Codecs are golang.org/x/text's; Markdown is parsed by goldmark
// with its GFM table extension.
//
// [Reader.Read] returns an [Import]: per document the network documents it declares
// ([Document.YAML], one declaration per line, each line citing its Markdown line), what
// was read and what was not, and every problem with its file:line:col. [Import.Load]
// builds the network of base files and the import with every position in the Markdown,
// so the reasoner's contradictions cite the Markdown lines of both sides; it hands the
// declarations to the loader as values ([network.LoadDecls]) rather than writing YAML and
// parsing it again, except for yaml code blocks and --new-relations.
//
// A Reader keeps what it read: reading the knowledge base again after an edit decodes
// and parses only the documents that changed, and when they changed only in their chains
// and formulas (and resolving chains changed no names), resolves only those chains
// against the names of the last read, reusing every other document's declarations.
package kb
