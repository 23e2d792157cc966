package procfs

import "golang.org/x/sys/unix"

// vmRead reads, for each request, len(buf) bytes at addr of process pid's memory, with
// as few system calls as the kernel allows (process_vm_readv: up to 512 requests in
// one), and says how many requests, from the first, were read whole. It needs ptrace
// access to pid, as /proc/PID/mem does.
func vmRead(pid int, reqs []vmReq) int {
	const batch = 512 // below IOV_MAX (1024)
	done := 0
	local := make([]unix.Iovec, 0, batch)
	remote := make([]unix.RemoteIovec, 0, batch)
	for done < len(reqs) {
		chunk := reqs[done:min(len(reqs), done+batch)]
		local, remote = local[:0], remote[:0]
		for i := range chunk {
			r := &chunk[i]
			var iov unix.Iovec
			iov.Base = &r.buf[0]
			iov.SetLen(len(r.buf))
			local = append(local, iov)
			remote = append(remote, unix.RemoteIovec{Base: uintptr(r.addr), Len: len(r.buf)})
		}
		n, err := unix.ProcessVMReadv(pid, local, remote, 0)
		if err != nil && n <= 0 {
			return done
		}
		// The kernel stops at the first request it cannot read whole.
		for i := range chunk {
			if n < len(chunk[i].buf) {
				return done
			}
			n -= len(chunk[i].buf)
			done++
		}
	}
	return done
}
