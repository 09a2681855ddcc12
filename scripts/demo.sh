#!/usr/bin/env bash
# demo.sh (`make demo`): the main job end to end on an embedded VM. Installs
# what is missing (Debian packages, OpenTofu built from the Go module proxy),
# builds the provider and the Ansible collection, brings up the demo VM (the
# test bed's guest, under its own libvirt domain qga-demo, so it never
# disturbs the tests), then
#   - tofu apply on examples/demo/main.tf (user alice, a file),
#   - ansible-playbook examples/demo/playbook.yml (user bob),
# and prints a summary. Idempotent: a second run changes nothing.
# Its state, keys and logs are in $QGA_CACHE/demo; `make demo-down`
# (scripts/demo-down.sh) removes them and the VM.
# Environment: QGA_DEMO_DOMAIN (default qga-demo), QGA_TESTBED_ACCEL and
# QGA_TESTBED_WAIT as for testbed/up.sh, GO (default go).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib.sh
. scripts/lib.sh

DOMAIN=${QGA_DEMO_DOMAIN:-qga-demo}
[ "$DOMAIN" != qga-testbed ] || die "QGA_DEMO_DOMAIN must not be the tests' domain qga-testbed"
WORK="$QGA_CACHE/demo"
GO=${GO:-go}
mkdir -p "$WORK"
# One demo at a time (the lock file stays out of $WORK, which demo-down removes).
exec 8>"$QGA_CACHE/demo.lock"
flock -n 8 || { log "another 'make demo' is running: waiting for it"; flock 8; }

command -v "$GO" >/dev/null || die "Go is needed to build the provider and OpenTofu (see README.md)"

# progress WHAT COMMAND...: runs COMMAND and says that WHAT is still going
# on, every 15 s for a minute and then every 30 s, so that no step is silent
# for minutes.
progress() {
	local what=$1 ticker rc=0
	shift
	"$@" &
	local pid=$!
	{
		n=0
		while sleep 1; do
			n=$((n + 1))
			if [ $((n % 30)) -eq 0 ] || { [ "$n" -le 60 ] && [ $((n % 15)) -eq 0 ]; }; then log "$what: $n s"; fi
		done
	} >&2 &
	ticker=$!
	wait "$pid" || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	return "$rc"
}

# step N TEXT: announces a step.
steps=6
step() { log "== $1/$steps $2"; }

# vm_boot: names this boot of the demo VM (host boot, QEMU pid and its start
# time). The guest keeps everything in RAM, so a restarted VM has lost what
# the last run set up, and the saved state no longer describes it.
vm_boot() {
	local pid
	if ! pid=$(cat "/run/libvirt/qemu/$DOMAIN.pid" 2>/dev/null) || [ ! -r "/proc/$pid/stat" ]; then
		echo unknown
		return
	fi
	echo "$(cat /proc/sys/kernel/random/boot_id) $pid $(cut -d' ' -f22 "/proc/$pid/stat")"
}

start=$(date +%s)

step 1 "Debian packages (apt, only the missing ones; the VM's follow in step 4)"
progress "installing Debian packages" apt_install ansible-core python3-passlib openssh-client

step 2 "OpenTofu $OPENTOFU_VERSION (built from the Go module proxy the first time, 4-7 minutes; then cached in $QGA_CACHE/bin)"
tofu=$(progress "building OpenTofu" bash scripts/install-tf.sh tofu)
log "OpenTofu: $tofu"

step 3 "building the provider and the Ansible collection (go build)"
build() {
	CGO_ENABLED=0 "$GO" build -trimpath -o "$WORK/provider/terraform-provider-qga" .
	GO=$GO bash ansible/build-collection.sh "$WORK/ansible"
}
progress "building" build

step 4 "the demo VM: libvirt domain $DOMAIN, a Debian 12 guest with qemu-ga (testbed/up.sh; the first time it builds the guest, about 45 s)"
# The same script as the tests' test bed, under another domain name (and so
# another run directory): the tests' qga-testbed is never touched.
vm_env=$(progress "bringing up the demo VM" env QGA_TESTBED_DOMAIN="$DOMAIN" QGA_TESTBED_CMDLINE= bash testbed/up.sh)
uri=$(sed -n 's/^QGA_TEST_URI=//p' <<<"$vm_env")
[ -n "$uri" ] || die "testbed/up.sh printed no QGA_TEST_URI"

# A demo SSH key and password, made once and kept in the work directory.
if [ ! -f "$WORK/ssh/id_ed25519.pub" ]; then
	mkdir -p "$WORK/ssh" && chmod 700 "$WORK/ssh"
	ssh-keygen -q -t ed25519 -N '' -C "demo@$DOMAIN" -f "$WORK/ssh/id_ed25519"
fi
if [ ! -s "$WORK/password" ]; then
	(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '+/=\n' | cut -c1-16 >"$WORK/password")
fi

# OpenTofu with the provider just built: dev_overrides in a CLI configuration
# of our own (the machine's TF_CLI_CONFIG_FILE may name another, or none), so
# no registry and no `tofu init` are involved.
cat >"$WORK/tofu.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.opentofu.org/qgatools/qga" = "$WORK/provider"
    "registry.terraform.io/qgatools/qga" = "$WORK/provider"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$WORK/tofu.tfrc"
tfdir="$WORK/tofu"
mkdir -p "$tfdir"
cp examples/demo/*.tf "$tfdir/"
boot=$(vm_boot)
if [ -f "$tfdir/terraform.tfstate" ] && [ "$(cat "$tfdir/vm-boot" 2>/dev/null)" != "$boot" ]; then
	log "the demo VM was restarted since the last run and has forgotten it (it lives in RAM): starting from an empty state"
	rm -f "$tfdir"/terraform.tfstate*
fi
color=()
[ -t 1 ] || color=(-no-color)

step 5 "tofu apply on examples/demo/main.tf (user alice, a file; state in $tfdir)"
TF_VAR_uri=$uri TF_VAR_domain=$DOMAIN TF_VAR_ssh_public_key_file="$WORK/ssh/id_ed25519.pub" TF_VAR_password="$(cat "$WORK/password")" \
	"$tofu" -chdir="$tfdir" apply -auto-approve -input=false -compact-warnings "${color[@]}" | tee "$tfdir/apply.log"
echo "$boot" >"$tfdir/vm-boot"

step 6 "ansible-playbook examples/demo/playbook.yml (user bob; collection qgatools.qga from $WORK/ansible)"
[ -t 1 ] && export ANSIBLE_FORCE_COLOR=1
rm -f "$WORK/readback.json"
ANSIBLE_COLLECTIONS_PATH="$WORK/ansible" ansible-playbook -i localhost, examples/demo/playbook.yml \
	-e demo_uri="$uri" -e demo_domain="$DOMAIN" \
	-e demo_ssh_public_key_file="$WORK/ssh/id_ed25519.pub" -e demo_password_file="$WORK/password" \
	-e demo_readback_file="$WORK/readback.json" | tee "$WORK/ansible.log"

"$tofu" -chdir="$tfdir" output -json >"$WORK/outputs.json"
log "done in $(($(date +%s) - start)) s"

# The summary, from the outputs, the two logs and what the playbook read back.
python3 - "$WORK" "$DOMAIN" "$OPENTOFU_VERSION" <<'EOF'
import json, re, sys

work, domain, tofu_version = sys.argv[1:4]
ansi = re.compile(r"\x1b\[[0-9;]*m")
def lines(path):
    with open(path) as f:
        return [ansi.sub("", l.rstrip("\n")) for l in f]
out = {k: v["value"] for k, v in json.load(open(f"{work}/outputs.json")).items()}
g = out["guest"]

# What OpenTofu did.
apply = lines(f"{work}/tofu/apply.log")
verbs = {"Creation": "created", "Modifications": "changed", "Destruction": "destroyed"}
done = [verbs[m.group(2)] + " " + m.group(1) for l in apply
        if (m := re.match(r"^(\S+): (Creation|Modifications|Destruction) complete", l))]
total = next((l for l in apply if l.startswith("Apply complete!")), "apply: no result line")
tofu_did = "no changes" if any(l.startswith("No changes.") for l in apply) else "; ".join(done) or "-"

# What Ansible did: the tasks that reported a change, and the recap.
task, changed, recap = None, [], ""
for l in lines(f"{work}/ansible.log"):
    if m := re.match(r"^TASK \[(.*)\]", l):
        task = m.group(1)
    elif l.startswith("changed:"):
        changed.append(task)
    elif re.match(r"^localhost\s+:", l):
        recap = " ".join(l.split(":", 1)[1].split())

def short_key(k):
    f = k.split()
    if len(f) >= 2 and len(f[1]) > 24:
        f[1] = f[1][:12] + "..." + f[1][-8:]
    return " ".join(f)

methods = {"y": "yescrypt", "6": "SHA-512", "5": "SHA-256", "2b": "bcrypt", "1": "MD5"}
def describe_hash(h):
    if not h or h[0] in "!*":
        return f"no usable password ({h or 'empty'})"
    m = re.match(r"^\$([^$]+)\$", h)
    return f"{h[:24]}... ({methods.get(m.group(1), 'crypt') if m else 'crypt'})"

guest_now, ansible_file = {}, None
for l in json.load(open(f"{work}/readback.json")):
    kind, user, value = (l.split(" ", 2) + ["", ""])[:3]
    if kind == "file":  # "file PATH WRITTEN READ_BACK", from guest_copy and guest_fetch
        ansible_file = l.split(" ")[1:4]
        continue
    guest_now.setdefault(user, {"key": [], "hash": []})[kind].append(value)

w = 13
print()
print("=" * 78)
print(f"make demo: done. The guest, libvirt domain {domain}, was reached only through")
print("its QEMU guest agent: no network access to it, no SSH.")
print()
print(f"{'guest OS':<{w}}{g['pretty_name']}, kernel {g['kernel_release']} ({g['machine']})")
print(f"{'':<{w}}host name {g['hostname']}, time zone {g['timezone']}, qemu-ga {g['agent_version']}")
print(f"{'addresses':<{w}}{'; '.join(out['addresses']) or '-'}")
print()
print(f"OpenTofu {tofu_version}, examples/demo/main.tf (alice):")
print(f"{'':<4}{tofu_did}")
print(f"{'':<4}{total}")
print("Ansible, examples/demo/playbook.yml (bob):")
print(f"{'':<4}changed: {', '.join(changed) if changed else 'nothing'}")
print(f"{'':<4}{recap}")
print()
print("In the guest now (read back through the agent):")
for user in ("alice", "bob"):
    now = guest_now.get(user, {"key": [], "hash": []})
    keys = [short_key(k) for k in now["key"]] or ["(none)"]
    print(f"{'':<4}{user:<6} authorized_keys: {keys[0]}")
    for k in keys[1:]:
        print(f"{'':<4}{'':<6}                  {k}")
    print(f"{'':<4}{'':<6} password hash:   {describe_hash(now['hash'][0] if now['hash'] else '')}")
f = out["file"]
match = "the same" if f["sha256_written"] == f["sha256_read_back"] else "DIFFERENT"
print(f"{'':<4}file {f['path']} (qga_guest_file, mode {f['mode']}):")
print(f"{'':<4}{'':<6} sha256 written:   {f['sha256_written']}")
print(f"{'':<4}{'':<6} sha256 read back: {f['sha256_read_back']} ({match})")
if ansible_file:
    path, written, back = ansible_file
    print(f"{'':<4}file {path} (guest_copy, read back with guest_fetch):")
    print(f"{'':<4}{'':<6} sha256 written:   {written}")
    print(f"{'':<4}{'':<6} sha256 read back: {back} ({'the same' if written == back else 'DIFFERENT'})")
print()
print("qga_guest_exec ran `uname -a; head -n 2 /etc/os-release` in the guest:")
for l in out["exec_stdout"].rstrip("\n").split("\n"):
    print(f"{'':<4}{l}")
print()
print(f"Demo key: {work}/ssh/id_ed25519   password (alice, bob): {work}/password")
print(f"State and logs: {work} (tofu/terraform.tfstate, tofu/apply.log, ansible.log)")
print("Run it again: make demo (changes nothing).   Tear down: make demo-down")
print("=" * 78)
EOF
