#!/usr/bin/env bash
# Regenerates docs/ from the provider's schema descriptions, examples/ and
# templates/ with tfplugindocs. tfplugindocs would download Terraform to read
# the schema; instead the schema comes from our own OpenTofu 1.12 build (the
# oldest Terraform we build, 1.5.7, knows no ephemeral resources), with the
# provider just built and installed through dev_overrides.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

terraform=$(bash scripts/install-tf.sh tofu)
tfplugindocs=$(bash scripts/install-tfplugindocs.sh)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plugins"
CGO_ENABLED=0 go build -o "$work/plugins/terraform-provider-qga" .
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.opentofu.org/qgatools/qga" = "$work/plugins"
  }
  direct {}
}
RC
cat >"$work/main.tf" <<'TF'
terraform {
  required_providers {
    qga = { source = "qgatools/qga" }
  }
}
TF
(cd "$work" && TF_CLI_CONFIG_FILE="$work/terraformrc" "$terraform" providers schema -json) >"$work/schema.json" 2>"$work/err" ||
	{ cat "$work/err" >&2; die "terraform providers schema failed"; }

# tfplugindocs looks the schema up as "qga" or under hashicorp/: rename ours.
sed -i 's|"registry.opentofu.org/qgatools/qga"|"qga"|' "$work/schema.json"

"$tfplugindocs" generate --provider-name qga --rendered-provider-name "QEMU guest agent (qga)" \
	--providers-schema "$work/schema.json" --examples-dir examples --website-source-dir templates >/dev/null
log "docs/ regenerated"
