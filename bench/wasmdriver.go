package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/strata-dev/strata/bench/internal/kernel"
	"github.com/strata-dev/strata/bench/internal/wasm"
)

// modules assembles the Wasm module of each workload.
func modules(ws []Workload) map[string][]byte {
	m := map[string][]byte{}
	for _, w := range ws {
		switch w.Name {
		case Start, Memory:
			m[w.Name] = wasm.Start()
		case CPU:
			m[w.Name] = wasm.CPU(w.N)
		case Syscall:
			m[w.Name] = wasm.Syscall(w.N)
		case FileIO:
			m[w.Name] = wasm.FileIO(w.N)
		}
	}
	return m
}

// moduleKey names a workload's module by name and size.
func moduleKey(w Workload) string { return fmt.Sprintf("%s-%d", w.Name, w.N) }

// wazeroDriver runs the workloads' Wasm modules in this process with wazero, compiled
// ahead of the runs: a run is instantiate + _start + close, the sandbox's whole start-up.
// For cpu, syscall and fileio the sample is the _start call alone, timed around it with
// the monotonic clock (ClockWorkload) as the kernel times itself elsewhere; the whole run
// goes to Sample.Host.
type wazeroDriver struct {
	interpreter bool
	rt          wazero.Runtime
	compiled    map[string]wazero.CompiledModule
	dev, work   wazero.FSConfig
	dir         string
}

func (d *wazeroDriver) Name() string {
	if d.interpreter {
		return "wazero-interp"
	}
	return "wazero"
}
func (d *wazeroDriver) Layer() string { return L4 }
func (d *wazeroDriver) Info(context.Context) Info {
	accel := "compiler"
	if d.interpreter {
		accel = "interpreter"
	}
	return Info{Version: "wazero " + wazeroVersion(), Accel: accel}
}

func (d *wazeroDriver) Available(context.Context) (bool, string) {
	if !d.interpreter && !(runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		return false, "wazero's compiler supports amd64 and arm64 only"
	}
	return true, ""
}

func (d *wazeroDriver) Prepare(ctx context.Context, dir string) error {
	cfg := wazero.NewRuntimeConfigCompiler()
	if d.interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	// Not WithCloseOnContextDone: its check on every loop back-edge made the compiled CPU
	// loop 3× slower. A cancelled bench waits for the module run in flight (one run).
	d.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, d.rt); err != nil {
		return err
	}
	d.dir = dir
	d.compiled = map[string]wazero.CompiledModule{}
	d.dev = wazero.NewFSConfig().WithDirMount("/dev", "/dev")
	d.work = wazero.NewFSConfig().WithDirMount(dir, "/work")
	return probeRun(ctx, d)
}

func (d *wazeroDriver) module(ctx context.Context, w Workload) (wazero.CompiledModule, error) {
	k := moduleKey(w)
	if m, ok := d.compiled[k]; ok {
		return m, nil
	}
	m, err := d.rt.CompileModule(ctx, modules([]Workload{w})[w.Name])
	if err != nil {
		return nil, fmt.Errorf("compile %s module: %w", w.Name, err)
	}
	d.compiled[k] = m
	return m, nil
}

func (d *wazeroDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	if d.rt == nil {
		return Sample{}, errors.New("driver not prepared")
	}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_start")
	if kernel.Is(w.Name) {
		cfg = cfg.WithStartFunctions() // called below, timed alone
	}
	switch w.Name {
	case Start, Memory, CPU:
	case Syscall:
		cfg = cfg.WithFSConfig(d.dev)
	case FileIO:
		cfg = cfg.WithFSConfig(d.work)
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	// Compiling happens once per module, outside the measurement: that is the point of a
	// precompiled module.
	m, err := d.module(ctx, w)
	if err != nil {
		return Sample{}, err
	}
	var before runtime.MemStats
	if w.Name == Memory {
		runtime.GC()
		runtime.ReadMemStats(&before)
	}
	t0 := time.Now()
	mod, err := d.rt.InstantiateModule(ctx, m, cfg)
	var self time.Duration
	if err == nil && kernel.Is(w.Name) {
		start := mod.ExportedFunction("_start")
		if start == nil {
			mod.Close(ctx)
			return Sample{}, fmt.Errorf("%s module exports no _start", w.Name)
		}
		t1 := time.Now()
		_, err = start.Call(ctx)
		self = time.Since(t1)
		if err != nil {
			mod.Close(ctx)
		}
	}
	wall := time.Since(t0)
	if err != nil {
		return Sample{}, fmt.Errorf("%s module: %w", w.Name, err)
	}
	s := Sample{Wall: wall}
	if w.Name == Memory {
		// In-process: the footprint is what one live instance holds, its linear memory
		// and the heap the runtime allocated for it.
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		s.MaxRSSKiB = max(heap, 0)/1024 + int64(mod.Memory().Size())/1024
	}
	t1 := time.Now()
	err = mod.Close(ctx)
	s.Wall += time.Since(t1)
	if kernel.Is(w.Name) {
		s.Host, s.Wall, s.Clock = s.Wall, self, ClockWorkload
	}
	return s, err
}

func (d *wazeroDriver) Close() error {
	if d.rt == nil {
		return nil
	}
	err := d.rt.Close(context.Background())
	d.rt = nil
	return err
}

func wazeroVersion() string {
	if bi, ok := debugBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "github.com/tetratelabs/wazero" {
				return dep.Version
			}
		}
	}
	return "(devel)"
}

// nodeWASIDriver runs the same modules with node's WASI, a peer Wasm runtime started as a
// process per run.
type nodeWASIDriver struct {
	dir, runner string
	files       map[string]string
}

func (d *nodeWASIDriver) Name() string  { return "node-wasi" }
func (d *nodeWASIDriver) Layer() string { return L4 }

func (d *nodeWASIDriver) Available(ctx context.Context) (bool, string) {
	if _, err := exec.LookPath("node"); err != nil {
		return false, "node is not installed (Debian: nodejs)"
	}
	return true, ""
}

func (d *nodeWASIDriver) Info(ctx context.Context) Info {
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return Info{}
	}
	return Info{Version: "node " + strings.TrimSpace(string(out))}
}

func (d *nodeWASIDriver) Close() error { return nil }

// nodeRunner runs one module and, like the Go kernel, prints the time _start took by
// node's monotonic clock as a STRATA_WORKLOAD_NS line on stderr (synchronous on a pipe).
const nodeRunner = `import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const [file, guest, host] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: guest ? { [guest]: host } : {} });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
const t0 = process.hrtime.bigint();
const rc = wasi.start(inst);
const ns = process.hrtime.bigint() - t0;
process.stderr.write('` + kernel.NSPrefix + `' + ns + '\n');
process.exitCode = rc;
`

func (d *nodeWASIDriver) Prepare(ctx context.Context, dir string) error {
	d.dir, d.runner, d.files = dir, filepath.Join(dir, "run.mjs"), map[string]string{}
	if err := os.WriteFile(d.runner, []byte(nodeRunner), 0o644); err != nil {
		return err
	}
	return probeRun(ctx, d)
}

func (d *nodeWASIDriver) Run(ctx context.Context, w Workload) (Sample, error) {
	if d.runner == "" {
		return Sample{}, errors.New("driver not prepared")
	}
	args := []string{"--no-warnings", d.runner}
	switch w.Name {
	case Start, Memory, CPU:
		args = append(args, "")
	case Syscall:
		args = append(args, "", "/dev", "/dev")
	case FileIO:
		args = append(args, "", "/work", d.dir)
	default:
		return Sample{}, fmt.Errorf("workload %s: %w", w.Name, ErrNotSupported)
	}
	k := moduleKey(w)
	file, ok := d.files[k]
	if !ok {
		file = filepath.Join(d.dir, k+".wasm")
		if err := os.WriteFile(file, modules([]Workload{w})[w.Name], 0o644); err != nil {
			return Sample{}, err
		}
		d.files[k] = file
	}
	args[2] = file
	return runWorkload(ctx, nil, exec.CommandContext(ctx, "node", args...), w)
}
