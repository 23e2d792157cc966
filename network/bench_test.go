package network_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	gparser "github.com/goccy/go-yaml/parser"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/network/yamlpos"
)

var largeYAML = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if err := netgen.WriteYAML(&b, netgen.LargeYAMLEntities, netgen.LargeYAMLFacts, netgen.DefaultSeed); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// BenchmarkLoadLarge loads the large generated network (50,000 entities, 147,000 facts,
// 15 MB: netgen.WriteYAML) beside its peers, the plain parse of the same bytes by the two
// YAML libraries alone (goccy/go-yaml, which strata used to read networks with, and
// go.yaml.in/yaml/v3 into yaml.Node), and strata's own parse without the model:
//
//	go test -run '^$' -bench LoadLarge -benchtime 5x -benchmem ./network/
func BenchmarkLoadLarge(b *testing.B) {
	data := largeYAML()
	files := []network.File{{Name: "large.yaml", Data: data}}
	run := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			// CPU time of the process (the garbage collector's included) does not grow
			// when other processes compete for the CPU, as wall time does.
			var c0, c1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &c0)
			n := 0
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &c1)
			cpu := time.Duration(c1.Utime.Nano() + c1.Stime.Nano() - c0.Utime.Nano() - c0.Stime.Nano())
			b.ReportMetric(cpu.Seconds()*1000/float64(n), "cpu-ms/op")
		})
	}
	run("strata-load", func() error {
		n, err := network.Load(files)
		if err == nil && len(n.Facts) != netgen.LargeYAMLFacts {
			b.Fatalf("%d facts", len(n.Facts))
		}
		return err
	})
	run("strata-parse", func() error { // the parse inside strata-load, without the model
		return yamlpos.Scan(context.Background(), "large.yaml", data, yamlpos.Limits{}, func(*yamlpos.Node) error { return nil })
	})
	run("peer-goccy-parse", func() error {
		_, err := gparser.ParseBytes(data, 0)
		return err
	})
	run("peer-yaml.v3-node", func() error {
		dec := yaml3.NewDecoder(bytes.NewReader(data))
		for {
			var n yaml3.Node
			if err := dec.Decode(&n); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
	})
}
