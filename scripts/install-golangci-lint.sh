#!/usr/bin/env bash
# Prints the path of golangci-lint, built into the cache the first time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
go_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint v2.15.0
