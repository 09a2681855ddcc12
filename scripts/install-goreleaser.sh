#!/usr/bin/env bash
# Prints the path of GoReleaser, built into the cache the first time (about
# 4 minutes; v2.15.1 is the newest one the project's Go can build).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
go_tool goreleaser github.com/goreleaser/goreleaser/v2 v2.15.1
