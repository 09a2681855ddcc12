"""Writes a static provider registry (the provider registry protocol's
"versions" and "download" documents) for one release in dist/, as the
public registries serve it, with the release's signing key.

Usage: make-registry.py DIST VERSION PUBLIC_KEY_ASC KEY_ID OUT BASE_URL
Documents go under OUT/v1/providers/qgatools/qga/, the release files (as
symbolic links) under OUT/files/, served as BASE_URL/files/.
"""
import json
import os
import sys

dist, version, key_file, key_id, out, base_url = sys.argv[1:]
name = "terraform-provider-qga"
sums = f"{name}_{version}_SHA256SUMS"
with open(os.path.join(dist, sums)) as f:
    shasum = {line.split()[1]: line.split()[0] for line in f if line.strip()}
with open(key_file) as f:
    armor = f.read()

base = os.path.join(out, "v1", "providers", "qgatools", "qga")
files = os.path.join(out, "files")
os.makedirs(files, exist_ok=True)
platforms = []
for zip_name in sorted(shasum):
    if not zip_name.endswith(".zip"):
        continue
    goos, goarch = zip_name[: -len(".zip")].split("_")[-2:]
    platforms.append({"os": goos, "arch": goarch})
    doc = {
        "protocols": ["6.0"],
        "os": goos,
        "arch": goarch,
        "filename": zip_name,
        "download_url": f"{base_url}/files/{zip_name}",
        "shasums_url": f"{base_url}/files/{sums}",
        "shasums_signature_url": f"{base_url}/files/{sums}.sig",
        "shasum": shasum[zip_name],
        "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": armor}]},
    }
    os.makedirs(os.path.join(base, version, "download", goos), exist_ok=True)
    with open(os.path.join(base, version, "download", goos, goarch), "w") as f:
        json.dump(doc, f)
    os.symlink(os.path.abspath(os.path.join(dist, zip_name)), os.path.join(files, zip_name))
for f in (sums, sums + ".sig"):
    os.symlink(os.path.abspath(os.path.join(dist, f)), os.path.join(files, f))
with open(os.path.join(base, "versions"), "w") as f:
    json.dump({"versions": [{"version": version, "protocols": ["6.0"], "platforms": platforms}]}, f)
