package wasm_test

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/strata-dev/strata/bench/internal/kernel"
	"github.com/strata-dev/strata/bench/internal/wasm"
)

// TestModules validates every module and checks the CPU module computes what the Go
// kernel computes, in both of wazero's engines.
func TestModules(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []wazero.RuntimeConfig{wazero.NewRuntimeConfigCompiler(), wazero.NewRuntimeConfigInterpreter()} {
		r := wazero.NewRuntimeWithConfig(ctx, cfg)
		defer r.Close(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, r)
		dir := t.TempDir()
		for name, b := range map[string][]byte{"start": wasm.Start(), "cpu": wasm.CPU(1000), "syscall": wasm.Syscall(100), "fileio": wasm.FileIO(200 << 10)} {
			m, err := r.CompileModule(ctx, b)
			if err != nil {
				t.Fatalf("%s: invalid module: %v", name, err)
			}
			fs := wazero.NewFSConfig().WithDirMount("/dev", "/dev")
			if name == "fileio" {
				fs = wazero.NewFSConfig().WithDirMount(dir, "/work")
			}
			mod, err := r.InstantiateModule(ctx, m, wazero.NewModuleConfig().WithName("").WithFSConfig(fs))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if name == "cpu" {
				got, _ := mod.Memory().Read(0, 8)
				if v := binary.LittleEndian.Uint64(got); v != kernel.CPULoop(1000) {
					t.Errorf("cpu module computed %d, Go kernel %d", v, kernel.CPULoop(1000))
				}
			}
			mod.Close(ctx)
		}
	}
}
