package server

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/strata-dev/strata/internal/netgen"
	"github.com/strata-dev/strata/network"
)

// walkPositions calls f for every network.Pos reachable from v through exported fields,
// pointers, slices, maps and interfaces.
func walkPositions(v reflect.Value, seen map[uintptr]bool, f func(network.Pos)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		walkPositions(v.Elem(), seen, f)
	case reflect.Interface:
		if !v.IsNil() {
			walkPositions(v.Elem(), seen, f)
		}
	case reflect.Struct:
		if p, ok := v.Interface().(network.Pos); ok {
			f(p)
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkPositions(v.Field(i), seen, f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkPositions(v.Index(i), seen, f)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkPositions(it.Value(), seen, f)
		}
	}
}

// setPositions gives every network.Pos reachable from v (as walkPositions walks it) a file
// chosen by file.
func setPositions(v reflect.Value, seen map[uintptr]bool, file func() string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		setPositions(v.Elem(), seen, file)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[network.Pos]() {
			v.FieldByName("File").SetString(file())
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				setPositions(v.Field(i), seen, file)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			setPositions(v.Index(i), seen, file)
		}
	}
}

// TestNetworkFiles: networkFiles, written out field by field, finds the files that
// walkPositions finds by reflection through every exported field, for the default
// network and random networks whose every position (found by reflection) was given one of
// a few files at random.
func TestNetworkFiles(t *testing.T) {
	files := func(n *network.Network) (typed, reflected []string) {
		networkFiles(n, func(f string) { typed = append(typed, f) })
		walkPositions(reflect.ValueOf(n), map[uintptr]bool{}, func(p network.Pos) { reflected = append(reflected, p.File) })
		slices.Sort(typed)
		slices.Sort(reflected)
		return slices.Compact(typed), slices.Compact(reflected)
	}
	def, err := network.Load(network.DefaultFiles())
	if err != nil {
		t.Fatal(err)
	}
	if typed, reflected := files(def); !slices.Equal(typed, reflected) {
		t.Errorf("default network: networkFiles %q, walkPositions %q", typed, reflected)
	}
	for seed := range uint64(40) {
		n, err := netgen.LoadRandom(seed)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		k := 0
		setPositions(reflect.ValueOf(n), map[uintptr]bool{}, func() string {
			k++
			if rng.IntN(50) == 0 {
				return fmt.Sprintf("/abs/only-%d-%d.md", seed, k) // a file only one position names
			}
			return []string{"", "a.yaml", "/abs/b.md", "/abs/c d.md"}[rng.IntN(4)]
		})
		if typed, reflected := files(n); !slices.Equal(typed, reflected) {
			t.Errorf("seed %d: networkFiles %q, walkPositions %q", seed, typed, reflected)
		}
	}
}
