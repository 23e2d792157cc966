package kb

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/strata-dev/strata/network"
)

// WriteMarkdown writes the network as a Markdown document that a [Reader] reads back into
// the same network: a section per relation types, dimension, the other entities and the
// facts, each holding its network documents in a yaml code block (see
// [network.Documents]), which the reader reads as they are written. Reading the document
// with no base network (strata import --no-default) gives the network again, and writing
// that gives the same document.
//
// What network documents cannot carry is an error naming it, and nothing is written.
func WriteMarkdown(w io.Writer, n *network.Network) error {
	docs, err := network.Documents(n)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# strata network")
	fmt.Fprintf(bw, "\n%d entities, %d dimensions, %d relation types, %d facts. Each section holds network documents (%s); `strata import` reads them as they are written.\n",
		len(n.Entities), len(n.Dimensions), len(n.Relations), len(n.Facts), network.APIVersion)
	for _, d := range docs {
		switch d.Kind {
		case network.KindRelationType:
			fmt.Fprintln(bw, "\n## Relation types")
		case network.KindDimension:
			fmt.Fprintf(bw, "\n## Dimension %s\n", strings.Map(oneLine, d.Name))
		case network.KindEntities:
			fmt.Fprintln(bw, "\n## Entities")
		case network.KindFacts:
			fmt.Fprintln(bw, "\n## Facts")
		}
		fmt.Fprintf(bw, "\n```yaml\n%s```\n", d.YAML)
	}
	return bw.Flush()
}

// oneLine keeps a heading on its line.
func oneLine(r rune) rune {
	if r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' {
		return ' '
	}
	return r
}
