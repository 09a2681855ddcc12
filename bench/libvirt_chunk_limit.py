#!/usr/bin/python3
# libvirt_chunk_limit.py DOMAIN [URI]: the largest guest-file-write chunk
# that libvirt passes to the agent intact, found by bisection between 128
# and 192 KiB (each size written three times). A failing size costs about
# 10 s (libvirt's timeout, then its resync), so this is not part of
# `make bench`; docs/BENCHMARKS.md has its result. Debian's python3-libvirt.
import base64
import json
import sys
import time

import libvirt
import libvirt_qemu

dom = libvirt.open(sys.argv[2] if len(sys.argv) > 2 else "qemu:///system").lookupByName(sys.argv[1])
libvirt.registerErrorHandler(lambda *_: None, None)  # no stderr noise


def agent(cmd, timeout=5):
    return json.loads(libvirt_qemu.qemuAgentCommand(dom, json.dumps(cmd), timeout, 0))


def wait_ok():
    t = time.monotonic()
    while True:
        try:
            agent({"execute": "guest-ping"}, 2)
            return time.monotonic() - t
        except libvirt.libvirtError:
            time.sleep(0.2)


def passes(size):
    h = agent({"execute": "guest-file-open", "arguments": {"path": "/tmp/chunk-limit", "mode": "w"}})["return"]
    msg = json.dumps({"execute": "guest-file-write", "arguments": {"handle": h, "buf-b64": base64.b64encode(b"x" * size).decode()}})
    ok = True
    for _ in range(3):
        try:
            libvirt_qemu.qemuAgentCommand(dom, msg, 3, 0)
        except libvirt.libvirtError as e:
            ok = False
            print("%6d bytes (%d-byte command): %s; the agent answered again after %.1f s" % (size, len(msg), e, wait_ok()))
            break
    try:
        agent({"execute": "guest-file-close", "arguments": {"handle": h}})
    except libvirt.libvirtError:
        pass
    if ok:
        print("%6d bytes (%d-byte command): ok" % (size, len(msg)))
    return ok


lo, hi = 128 * 1024, 192 * 1024
while hi - lo > 1024:
    mid = (lo + hi) // 2
    if passes(mid):
        lo = mid
    else:
        hi = mid
print("largest chunk that passed: %d bytes (%d KiB); smallest that failed: %d bytes" % (lo, lo // 1024, hi))
