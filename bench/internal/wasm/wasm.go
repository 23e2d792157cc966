// Package wasm assembles the WebAssembly modules strata bench runs in its Wasm drivers
// (wazero, node's WASI). Each module is a WASI command whose _start mirrors one of the
// Go kernels of bench/internal/kernel; the sizes are baked in as constants, so a module needs no
// arguments. The modules are written here as instructions with their WAT beside them,
// assembled to the binary format in a few microseconds: no toolchain is needed to build
// them, and what runs is exactly what is written.
package wasm

import "encoding/binary"

// Value types and opcodes used by the modules.
const (
	i32 = 0x7f
	i64 = 0x7e

	opUnreachable = 0x00
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opEnd         = 0x0b
	opBr          = 0x0c
	opBrIf        = 0x0d
	opCall        = 0x10
	opDrop        = 0x1a
	opLocalGet    = 0x20
	opLocalSet    = 0x21
	opLocalTee    = 0x22
	opI32Load     = 0x28
	opI64Store    = 0x37
	opI32Store    = 0x36
	opI32Const    = 0x41
	opI64Const    = 0x42
	opI32Eqz      = 0x45
	opI32GtS      = 0x4a
	opI32Sub      = 0x6b
	opI64Xor      = 0x85
	opI64Shl      = 0x86
	opI64ShrU     = 0x88
	blockEmpty    = 0x40
)

// The imports every module declares, in function-index order.
const (
	fnFdRead = iota
	fnFdWrite
	fnPathOpen
	fnFdSync
	fnFdClose
	fnPathUnlink
	fnStart // the module's own _start
)

// Memory layout: scratch words at 0..63, file names at 100.., the I/O buffer at 1024.
const (
	addrResult = 0  // path_open's fd, fd_read's count
	addrIOV    = 16 // {buf, len}
	addrName1  = 100
	addrName2  = 110
	addrBuf    = 1024
	allRights  = 1<<1 | 1<<2 | 1<<4 | 1<<5 | 1<<6 // fd_read, fd_seek, fd_sync, fd_tell, fd_write
	block      = 64 << 10
)

func uleb(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func name(b []byte, s string) []byte { return append(uleb(b, uint64(len(s))), s...) }

func section(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	return append(uleb(b, uint64(len(body))), body...)
}

// code is a function body being written.
type code []byte

func (c code) op(ops ...byte) code { return append(c, ops...) }
func (c code) i32(v int32) code    { return sleb(append(c, opI32Const), int64(v)) }
func (c code) i64(v int64) code    { return sleb(append(c, opI64Const), v) }
func (c code) get(l int) code      { return uleb(append(c, opLocalGet), uint64(l)) }
func (c code) set(l int) code      { return uleb(append(c, opLocalSet), uint64(l)) }
func (c code) call(f int) code     { return uleb(append(c, opCall), uint64(f)) }
func (c code) load(addr int32) code {
	return c.i32(addr).op(opI32Load, 2, 0)
}

// check traps unless the errno on the stack is 0.
func (c code) check() code { return c.op(opIf, blockEmpty, opUnreachable, opEnd) }

// open calls path_open(3, 0, name, oflags, all rights) and leaves the new fd in local l.
func (c code) open(nameAddr int32, nameLen int, oflags int32, l int) code {
	c = c.i32(3).i32(0).i32(nameAddr).i32(int32(nameLen)).i32(oflags).i64(allRights).i64(allRights).i32(0).i32(addrResult).call(fnPathOpen).check()
	return c.load(addrResult).set(l)
}

// module assembles a WASI command with the given _start body, its i32 and i64 locals
// (declared in that order after the none parameters), memory pages and data segments.
func module(body code, nI32, nI64 int, pages int, data map[int32]string) []byte {
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	fn := func(b []byte, params []byte, results []byte) []byte {
		b = append(b, 0x60)
		b = append(uleb(b, uint64(len(params))), params...)
		return append(uleb(b, uint64(len(results))), results...)
	}
	var types []byte
	types = uleb(types, 5)
	types = fn(types, nil, nil)                                                         // 0 ()
	types = fn(types, []byte{i32, i32, i32, i32}, []byte{i32})                          // 1 fd_read, fd_write
	types = fn(types, []byte{i32, i32, i32, i32, i32, i64, i64, i32, i32}, []byte{i32}) // 2 path_open
	types = fn(types, []byte{i32}, []byte{i32})                                         // 3 fd_sync, fd_close
	types = fn(types, []byte{i32, i32, i32}, []byte{i32})                               // 4 path_unlink_file
	b = section(b, 1, types)

	var imp []byte
	imports := []struct {
		f string
		t uint64
	}{{"fd_read", 1}, {"fd_write", 1}, {"path_open", 2}, {"fd_sync", 3}, {"fd_close", 3}, {"path_unlink_file", 4}}
	imp = uleb(imp, uint64(len(imports)))
	for _, i := range imports {
		imp = name(imp, "wasi_snapshot_preview1")
		imp = name(imp, i.f)
		imp = uleb(append(imp, 0), i.t)
	}
	b = section(b, 2, imp)
	b = section(b, 3, []byte{1, 0})
	b = section(b, 5, []byte{1, 0, byte(pages)})
	var exp []byte
	exp = uleb(exp, 2)
	exp = uleb(append(name(exp, "_start"), 0), fnStart)
	exp = append(name(exp, "memory"), 2, 0)
	b = section(b, 7, exp)

	var fbody []byte
	var locals []byte
	switch {
	case nI32 > 0 && nI64 > 0:
		locals = append(locals, 2)
		locals = append(uleb(locals, uint64(nI32)), i32)
		locals = append(uleb(locals, uint64(nI64)), i64)
	case nI32 > 0:
		locals = append(uleb(append(locals, 1), uint64(nI32)), i32)
	case nI64 > 0:
		locals = append(uleb(append(locals, 1), uint64(nI64)), i64)
	default:
		locals = append(locals, 0)
	}
	fbody = append(append(locals, body...), opEnd)
	var codeSec []byte
	codeSec = uleb(codeSec, 1)
	codeSec = append(uleb(codeSec, uint64(len(fbody))), fbody...)
	b = section(b, 10, codeSec)

	if len(data) > 0 {
		var ds []byte
		ds = uleb(ds, uint64(len(data)))
		for _, addr := range []int32{addrName1, addrName2} { // fixed order, deterministic bytes
			s, ok := data[addr]
			if !ok {
				continue
			}
			ds = append(ds, 0)
			ds = append(sleb(append(ds, opI32Const), int64(addr)), opEnd)
			ds = name(ds, s)
		}
		b = section(b, 11, ds)
	}
	return b
}

// Start is a command that does nothing:
//
//	(func (export "_start"))
func Start() []byte { return module(nil, 0, 0, 1, nil) }

// CPU runs n rounds of xorshift64, as kernel.CPULoop, and stores the result at address 0:
//
//	(func (export "_start") (local $i i32) (local $x i64)
//	  (local.set $x (i64.const 88172645463325252)) (local.set $i (i32.const n))
//	  (block (loop
//	    (br_if 1 (i32.eqz (local.get $i)))
//	    (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
//	    (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
//	    (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
//	    (local.set $i (i32.sub (local.get $i) (i32.const 1)))
//	    (br 0)))
//	  (i64.store (i32.const 0) (local.get $x)))
func CPU(n int) []byte {
	const li, lx = 0, 1
	var c code
	c = c.i64(88172645463325252).set(lx).i32(int32(n)).set(li)
	c = c.op(opBlock, blockEmpty, opLoop, blockEmpty)
	c = c.get(li).op(opI32Eqz, opBrIf, 1)
	for _, sh := range []struct {
		op byte
		by int64
	}{{opI64Shl, 13}, {opI64ShrU, 7}, {opI64Shl, 17}} {
		c = c.get(lx).get(lx).i64(sh.by).op(sh.op, opI64Xor).set(lx)
	}
	c = c.get(li).i32(1).op(opI32Sub).set(li).op(opBr, 0, opEnd, opEnd)
	c = c.i32(0).get(lx).op(opI64Store, 3, 0)
	return module(c, 1, 1, 1, nil)
}

// Syscall copies n bytes one at a time from zero to null in the first preopened
// directory (the host's /dev), trapping on any error:
//
//	(call $path_open (i32.const 3) … "zero" …) → $in ; … "null" → $out
//	(loop n times
//	  (call $fd_read $in (iov 1 byte) 1 (i32.const 0)) (if errno unreachable)
//	  (call $fd_write $out (iov 1 byte) 1 (i32.const 0)) (if errno unreachable))
func Syscall(n int) []byte {
	const li, lin, lout = 0, 1, 2
	var c code
	c = c.i32(addrIOV).i32(addrBuf).op(opI32Store, 2, 0).i32(addrIOV+4).i32(1).op(opI32Store, 2, 0)
	c = c.open(addrName1, 4, 0, lin).open(addrName2, 4, 0, lout)
	c = c.i32(int32(n)).set(li)
	c = c.op(opBlock, blockEmpty, opLoop, blockEmpty)
	c = c.get(li).op(opI32Eqz, opBrIf, 1)
	c = c.get(lin).i32(addrIOV).i32(1).i32(addrResult).call(fnFdRead).check()
	c = c.get(lout).i32(addrIOV).i32(1).i32(addrResult).call(fnFdWrite).check()
	c = c.get(li).i32(1).op(opI32Sub).set(li).op(opBr, 0, opEnd, opEnd)
	c = c.get(lin).call(fnFdClose).op(opDrop).get(lout).call(fnFdClose).op(opDrop)
	return module(c, 3, 0, 1, map[int32]string{addrName1: "zero", addrName2: "null"})
}

// FileIO writes n bytes in 64 KiB blocks to the file "f" in the first preopened directory,
// syncs and closes it, reads it back to the end and removes it, as bench's fileio kernel:
//
//	(call $path_open 3 … "f" O_CREAT|O_TRUNC) → $fd
//	(loop ⌈n/64Ki⌉ times (call $fd_write $fd (iov 64 KiB) …))
//	(call $fd_sync $fd) (call $fd_close $fd)
//	(call $path_open 3 … "f" 0) → $fd
//	(loop (call $fd_read $fd (iov 64 KiB) …) until it reads 0 bytes)
//	(call $fd_close $fd) (call $path_unlink_file 3 "f")
func FileIO(n int) []byte {
	const li, lfd = 0, 1
	var c code
	c = c.i32(addrIOV).i32(addrBuf).op(opI32Store, 2, 0).i32(addrIOV+4).i32(block).op(opI32Store, 2, 0)
	c = c.open(addrName1, 1, 1|8, lfd) // O_CREAT | O_TRUNC
	c = c.i32(int32((n + block - 1) / block)).set(li)
	c = c.op(opBlock, blockEmpty, opLoop, blockEmpty)
	c = c.get(li).op(opI32Eqz, opBrIf, 1)
	c = c.get(lfd).i32(addrIOV).i32(1).i32(addrResult).call(fnFdWrite).check()
	c = c.get(li).i32(1).op(opI32Sub).set(li).op(opBr, 0, opEnd, opEnd)
	c = c.get(lfd).call(fnFdSync).check().get(lfd).call(fnFdClose).check()
	c = c.open(addrName1, 1, 0, lfd)
	c = c.op(opBlock, blockEmpty, opLoop, blockEmpty)
	c = c.get(lfd).i32(addrIOV).i32(1).i32(addrResult).call(fnFdRead).check()
	c = c.load(addrResult).op(opI32Eqz, opBrIf, 1, opBr, 0, opEnd, opEnd)
	c = c.get(lfd).call(fnFdClose).check()
	c = c.i32(3).i32(addrName1).i32(1).call(fnPathUnlink).check()
	return module(c, 2, 0, 2, map[int32]string{addrName1: "f"})
}
