#!/usr/bin/env bash
# Builds seiri for every platform it ships on (pure Go, CGO_ENABLED=0), so a
# platform-specific call (syscall.Flock, O_NOFOLLOW, ...) cannot break a
# build nobody runs locally. Also vets the platform-specific files.
#   scripts/crossbuild.sh            all of linux/darwin/windows × amd64/arm64
#   scripts/crossbuild.sh windows/amd64
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
for t in "${targets[@]}"; do
	os=${t%/*} arch=${t#*/}
	echo "== $os/$arch"
	# Every package (tests included in vet), then the binary.
	if ! CGO_ENABLED=0 GOOS=$os GOARCH=$arch go vet ./internal/workspace/... ./internal/plan/... ||
		! CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build ./... ||
		! CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -o "$out/seiri-$os-$arch" ./cmd/seiri; then
		echo "FAIL $os/$arch"
		fail=1
	fi
done
exit $fail
