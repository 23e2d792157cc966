package network

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestZZScratch(t *testing.T) {
	paths, _ := filepath.Glob(os.Getenv("ZZ"))
	for _, p := range paths {
		fs, _ := ReadFiles(p)
		n, err := Load(fs)
		fmt.Println("==", p)
		if err != nil {
			fmt.Println(err)
			continue
		}
		for _, f := range n.Facts {
			fmt.Printf("  %s %s %s eq=%v %s %s\n", f.Subject, f.Relation, f.Object, f.Equal, f.Kind, f.Source)
		}
	}
}
