package network

import (
	"bytes"
	_ "embed"
)

// Schema returns the JSON Schema (draft 2020-12) of one network document, published as
// https://strata.dev/schema/v1alpha1/network.schema.json. Editors use it to complete and
// check network files as they are typed, e.g. with yaml-language-server:
//
//	# yaml-language-server: $schema=https://strata.dev/schema/v1alpha1/network.schema.json
//
// It checks each document's shape. What needs the whole network — unknown entity and
// relation names, duplicate ids, chains that use the wrong symbols — only [Load] can say.
func Schema() []byte { return bytes.Clone(schema) }

//go:embed schema/network.schema.json
var schema []byte
