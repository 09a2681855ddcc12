#!/usr/bin/env bash
# Prints the path of tfplugindocs, built into the cache the first time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
go_tool tfplugindocs github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs v0.25.0
