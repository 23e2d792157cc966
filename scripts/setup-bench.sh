#!/usr/bin/env bash
# Installs what `strata bench` drivers need from Debian: runc, crun, containerd (its ctr
# client and runc shim; the bench starts a daemon of its own), gVisor (runsc),
# qemu-system-x86, busybox-static, e2fsprogs (the guests' ext4 disk images), and a guest
# kernel extracted (not installed) into $STRATA_CACHE (default /var/cache/strata) as an
# uncompressed vmlinux for QEMU -M microvm, with its modules (disk drivers, ext4).
# Idempotent and quiet: it installs only what is missing and does nothing when all is there;
# run by scripts/setup.sh (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/need.sh
cache=${STRATA_CACHE:-/var/cache/strata}

need runc; need crun; need containerd ctr; need runsc; need qemu-system-x86 qemu-system-x86_64
need file; need busybox-static busybox; need xz-utils xz; need zstd; need nodejs node; need e2fsprogs mkfs.ext4
# busybox (dynamic) may satisfy "busybox" without the static build the rootfs needs.
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q "statically linked" || want busybox-static "a static /bin/busybox"
kernel=false
[ -s "$cache/vmlinux" ] && [ -d "$cache/modules" ] && kernel=true
$kernel || missing "the guest kernel in $cache (vmlinux and modules, extracted from linux-image-amd64)"
install setup-bench
checking && exit 0

# Guest kernel: the package linux-image-amd64 points at, unpacked into the cache; the
# compressed bzImage is turned into an uncompressed vmlinux (microvm boots it directly).
if ! $kernel; then
  mkdir -p "$cache"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download -qq "$pkg"; })
  dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/root"
  img=$(ls "$tmp"/root/boot/vmlinuz-* | head -1)
  cp "$img" "$cache/vmlinuz"
  # extract-vmlinux: find the compressed payload by its magic and decompress it.
  for magic in 'fd377a585a00:xz -dcq' '28b52ffd:zstd -dcq' '1f8b0800:gzip -dcq'; do
    hex=${magic%%:*}; cmd=${magic#*:}
    pat=$(echo "$hex" | sed 's/../\\x&/g')
    for off in $(LC_ALL=C grep -obUaP "$pat" "$img" | cut -d: -f1 | head -5); do
      tail -c +$((off + 1)) "$img" | $cmd >"$tmp/vmlinux" 2>/dev/null || true
      if [ -s "$tmp/vmlinux" ] && head -c 4 "$tmp/vmlinux" | grep -q ELF; then
        mv "$tmp/vmlinux" "$cache/vmlinux"; break 2
      fi
    done
  done
  [ -s "$cache/vmlinux" ] || { echo "setup-bench: could not extract vmlinux from $img" >&2; exit 1; }
  # Kernel modules the guests load for the fileio run (virtio-blk or IDE, ext4): one
  # release only, the vmlinux's.
  if [ -d "$tmp/root/lib/modules" ]; then rm -rf "$cache/modules"; cp -a "$tmp/root/lib/modules" "$cache/"; fi
fi
