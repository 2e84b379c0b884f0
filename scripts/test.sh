#!/usr/bin/env bash
# Runs every check Bulwark has: vet, the test suite under the race detector
# (including the interoperability tests with curl, lftp and Python's ftplib,
# and the TLS scan with testssl.sh), then each native fuzz target for a
# short while.
#
# Works from a fresh clone. Installs the FTP clients the interoperability
# tests need, and testssl.sh, when they are missing and this runs as root;
# otherwise says what to install and stops.
#
# Environment:
#   FUZZTIME   how long each fuzz target runs (default 10s; 0 skips fuzzing)
#   TEST_TIMEOUT  go test -timeout (default 20m)
set -euo pipefail

cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"
TEST_TIMEOUT="${TEST_TIMEOUT:-20m}"

log() { printf '==> %s\n' "$*"; }

# --- tools -----------------------------------------------------------------

if ! command -v go >/dev/null 2>&1; then
	echo "go is not on PATH; install Go (see go.mod for the version)" >&2
	exit 1
fi

# The Debian package that provides each command the tests run.
declare -A pkg_for=([curl]=curl [lftp]=lftp [python3]=python3 [gcc]=gcc [fail2ban-regex]=fail2ban [webalizer]=webalizer)
missing=()
for cmd in curl lftp python3 gcc fail2ban-regex webalizer; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}")
done
# Upstream calls the scanner testssl.sh; Debian's package installs it as testssl.
if ! command -v testssl.sh >/dev/null 2>&1 && ! command -v testssl >/dev/null 2>&1; then
	missing+=(testssl.sh)
fi
if ((${#missing[@]} > 0)); then
	if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends ca-certificates "${missing[@]}"
	else
		echo "missing: ${missing[*]}; install them (e.g. apt-get install ${missing[*]}) and run again" >&2
		exit 1
	fi
fi
log "$(go version); $(curl --version | head -n1 | cut -d' ' -f1-2); $(lftp --version | head -n1); $(python3 --version)"

# The race detector needs cgo.
export CGO_ENABLED=1

# --- vet and tests -----------------------------------------------------------

log "go vet ./..."
go vet ./...

log "go test -race ./..."
go test -race -count=1 -timeout "$TEST_TIMEOUT" ./...

# --- packaging ---------------------------------------------------------------

# The release binary must be static (no C library, no dynamic loader), as
# the distroless image and plain copies onto servers expect.
pkg_tmp="$(mktemp -d)"
trap 'rm -rf "$pkg_tmp"' EXIT
log "static build: CGO_ENABLED=0 go build -trimpath ./cmd/bulwark"
CGO_ENABLED=0 go build -trimpath -o "$pkg_tmp/bulwark" ./cmd/bulwark
cat >"$pkg_tmp/checkstatic.go" <<'GO'
// Fails unless every file named is a statically linked ELF executable.
package main

import (
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	for _, path := range os.Args[1:] {
		f, err := elf.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				fmt.Fprintf(os.Stderr, "%s is dynamically linked (%v)\n", path, p.Type)
				os.Exit(1)
			}
		}
		f.Close()
	}
}
GO
(cd "$pkg_tmp" && go run checkstatic.go bulwark)
"$pkg_tmp/bulwark" version

log "go install ./cmd/bulwark"
GOBIN="$pkg_tmp/bin" CGO_ENABLED=0 go install ./cmd/bulwark
"$pkg_tmp/bin/bulwark" version >/dev/null

# The systemd unit, checked against the binary just built where systemd's
# tools are installed.
if command -v systemd-analyze >/dev/null 2>&1; then
	log "systemd-analyze verify contrib/systemd/bulwark.service"
	sed "s|/usr/local/bin/bulwark|$pkg_tmp/bulwark|" contrib/systemd/bulwark.service >"$pkg_tmp/bulwark.service"
	systemd-analyze verify "$pkg_tmp/bulwark.service"
else
	log "systemd-analyze not installed; the systemd unit is not verified"
fi
rm -rf "$pkg_tmp"

# --- fuzzing -----------------------------------------------------------------

if [[ "$FUZZTIME" == "0" ]]; then
	log "fuzzing skipped (FUZZTIME=0)"
	exit 0
fi

# Only packages whose tests define a fuzz target are asked for their list;
# asking every package would build every test binary once more.
mapfile -t fuzz_dirs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
	xargs -r -n1 dirname | sort -u)

# The fuzzing coordinator can end a clean run with a bare "context
# deadline exceeded" when -fuzztime runs out mid-execution (seen with Go 1.26).
# A real finding always writes its input to
# testdata/fuzz/<target>/, so a failure that wrote nothing and names only
# that deadline is reported as the known flake, not as a failure.
count_inputs() { if [[ -d "$1" ]]; then find "$1" -type f | wc -l; else echo 0; fi; }
fuzz_out="$(mktemp)"
trap 'rm -f "$fuzz_out"' EXIT
fuzz_count=0
fuzz_flakes=0
for dir in "${fuzz_dirs[@]}"; do
	pkg="./${dir#./}"
	mapfile -t names < <(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz' || true)
	for name in "${names[@]}"; do
		corpus="$dir/testdata/fuzz/$name"
		before="$(count_inputs "$corpus")"
		log "fuzz $pkg $name for $FUZZTIME"
		if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1 | tee "$fuzz_out"; then
			fuzz_count=$((fuzz_count + 1))
			continue
		fi
		after="$(count_inputs "$corpus")"
		if [[ "$after" == "$before" ]] && grep -q '^    context deadline exceeded$' "$fuzz_out" &&
			! grep -q 'Failing input written' "$fuzz_out"; then
			log "WARNING: $name ended with the Go fuzzing deadline flake; no failing input was found"
			fuzz_flakes=$((fuzz_flakes + 1))
			fuzz_count=$((fuzz_count + 1))
			continue
		fi
		echo "fuzz target $name in $pkg failed; a failing input, if any, is in $corpus" >&2
		exit 1
	done
done
log "fuzzed $fuzz_count target(s) for $FUZZTIME each ($fuzz_flakes deadline flake(s))"
log "all checks passed"
