# Sourced by scripts/setup*.sh: one way to find what is missing and to install it.
#
#   need PKG [CMD]   Debian package PKG is wanted when command CMD (default PKG) is not
#                    found, /usr/sbin and /sbin included (runc lives there).
#   want PKG WHAT    PKG is wanted for a reason a command lookup cannot see (WHAT says it).
#   missing WHAT     something else is missing (not a package): a file, a download.
#   install PART     installs the wanted packages with apt (as root) and returns. With
#                    STRATA_SETUP_CHECK=1 (scripts/setup.sh --check) it installs nothing:
#                    it prints what is missing and returns 1. As another user it prints the
#                    packages to install and exits 1.
#   checking         true in check mode: a part skips its other work (downloads, mounts).
_need_pkgs=()
_need_what=()
need() {
  local pkg=$1 cmd=${2:-$1}
  PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 || _need_pkgs+=("$pkg")
}
want() { _need_pkgs+=("$1"); }
missing() { _need_what+=("$1"); }
checking() { [ "${STRATA_SETUP_CHECK:-}" = 1 ]; }
install() {
  local part=$1
  # apt-get takes each package once.
  local pkgs=()
  if [ ${#_need_pkgs[@]} -gt 0 ]; then
    mapfile -t pkgs < <(printf '%s\n' "${_need_pkgs[@]}" | awk '!seen[$0]++')
  fi
  if checking; then
    local rc=0
    if [ ${#pkgs[@]} -gt 0 ]; then echo "$part: missing Debian packages: ${pkgs[*]}"; rc=1; fi
    local w
    for w in "${_need_what[@]}"; do echo "$part: missing: $w"; rc=1; done
    return $rc
  fi
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "$part: run as root to install: apt-get install ${pkgs[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}
