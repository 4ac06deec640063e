#!/usr/bin/env bash
# Generates Sources/MySQLXWire/Generated/*.pb.swift from Protos/mysqlx/*.proto with Debian's protoc
# and protoc-gen-swift built from the swift-protobuf version the package resolves to.
#   scripts/generate-protos.sh          regenerate in place
#   scripts/generate-protos.sh --check  exit 1 if the committed code is not what the .proto files give
set -euo pipefail
cd "$(dirname "$0")/.."

dpkg-query -W -f='${Status}' protobuf-compiler 2>/dev/null | grep -q "install ok installed" || {
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq protobuf-compiler >/dev/null
}
swift package resolve >/dev/null
checkout=.build/checkouts/swift-protobuf
[ -d "$checkout" ] || { echo "swift-protobuf is not a resolved dependency" >&2; exit 1; }
swift build -c release --package-path "$checkout" --scratch-path .build-protoc --product protoc-gen-swift >/dev/null
plugin=.build-protoc/release/protoc-gen-swift

out=Sources/MySQLXWire/Generated
target=$out
if [ "${1:-}" = --check ]; then target=$(mktemp -d); fi
mkdir -p "$target"
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public --swift_out="$target" \
    -I Protos/mysqlx Protos/mysqlx/*.proto
if [ "${1:-}" = --check ]; then
    if ! diff -r "$out" "$target" >/dev/null; then
        echo "Sources/MySQLXWire/Generated is out of date: run scripts/generate-protos.sh" >&2
        diff -r "$out" "$target" | head -20 >&2
        exit 1
    fi
    echo "generated protobuf code is current"
fi
