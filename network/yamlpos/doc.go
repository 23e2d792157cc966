// Package yamlpos reads YAML into a small tree whose every value knows where it was
// written, and decodes that tree strictly into positioned problems. It is to strata's
// readers what go/token and go/parser are to Go's: the network loader, the Workload reader
// and anything else that reads strata documents share it, so that every one reports
// file:line:col the same way.
//
// [Parse] reads a stream of documents and hands each to a callback as soon as it is read,
// so a reader holds one document's tree at a time; [Scan] also reuses that tree's memory
// for the next document, for readers that keep values, not nodes. Work is bounded while reading, before
// any tree is built: [Limits] caps nesting depth, documents, values (counting what aliases
// stand for, so "billion laughs" stops early) and scalar size, and the context is checked
// as the input is read. Reading is linear in the input's size.
//
// The YAML read is YAML 1.2 as people write configuration: block and flow mappings and
// sequences, plain, quoted and block scalars, comments, several documents with ---, ...,
// %YAML directives and a byte-order mark, anchors, aliases and merge keys (<<), and the
// core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq). What it does not read
// (explicit ? keys, non-scalar keys, %TAG and local tags) is an error at its position,
// never skipped. Plain scalars are typed as go-yaml types them (null, true/false,
// decimal/0x/0o/0b integers, floats, .inf, .nan; everything else a string).
//
// [Reader] checks a tree against what a document kind allows and collects every
// [Problem] at once, each with its position, code and a hint.
//
// Nodes are immutable once [Parse] returns them and safe for concurrent readers; a
// Reader is used by one goroutine.
package yamlpos
