#!/usr/bin/python3
# The anchor: what community.libvirt's libvirt_qemu connection plugin does
# (Debian's ansible 7.7, plugins/connection/libvirt_qemu.py), reproduced with
# libvirt-python so that it can be timed call by call:
#   - exec: guest-exec, then guest-exec-status at once and then after sleeping
#     5% of the time elapsed since guest-exec answered, clamped to 0.2 ms..1 s;
#   - put_file: guest-file-write in 64 KiB chunks (ansible's BUFSIZE);
#   - fetch_file: guest-file-read of 64 KiB (BUFSIZE) until eof;
#   - every agent call: libvirt_qemu.qemuAgentCommand(dom, json, 5, 0).
# It runs as a worker: one JSON request per line on stdin, one JSON answer per
# line on stdout, so that bench/*_test.go can interleave it with qgaclient's
# measurements on the same guest. Debian's /usr/bin/python3 with python3-libvirt.
import base64
import json
import os
import sys
import time

import libvirt
import libvirt_qemu

BUFSIZE = 65536  # ansible.plugins.connection.BUFSIZE

conn = libvirt.open(os.environ.get("QGA_BENCH_URI", "qemu:///system"))
domains = {}


def dom(name):
    if name not in domains:
        domains[name] = conn.lookupByName(name)
    return domains[name]


def agent(d, execute, arguments=None):
    req = {"execute": execute}
    if arguments is not None:
        req["arguments"] = arguments
    return json.loads(libvirt_qemu.qemuAgentCommand(d, json.dumps(req), 5, 0))


def plugin_exec(d, argv):
    """exec_command of the plugin; returns (rc, stdout) once exited."""
    result_exec = agent(d, "guest-exec", {"path": argv[0], "capture-output": True, "arg": argv[1:]})
    command_start = time.clock_gettime(time.CLOCK_MONOTONIC)
    status = {"pid": result_exec["return"]["pid"]}
    result_status = agent(d, "guest-exec-status", status)
    while not result_status["return"]["exited"]:
        sleep_time = (time.clock_gettime(time.CLOCK_MONOTONIC) - command_start) * (5 / 100)
        if sleep_time < 0.0002:
            sleep_time = 0.0002
        elif sleep_time > 1:
            sleep_time = 1
        time.sleep(sleep_time)
        result_status = agent(d, "guest-exec-status", status)
    out = base64.b64decode(result_status["return"].get("out-data", ""))
    return result_status["return"].get("exitcode"), out


def clock_offset(d):
    """guest clock minus host clock (ns), from the guest-get-time with the
    shortest round trip of a few."""
    best = None
    for _ in range(5):
        t0 = time.time_ns()
        g = agent(d, "guest-get-time")["return"]
        t1 = time.time_ns()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, g - (t0 + t1) // 2)
    return best[1]


def op_exec(req):
    d, argv = dom(req["domain"]), req["argv"]
    ms = []
    for _ in range(req.get("n", 1)):
        t0 = time.monotonic()
        rc, _ = plugin_exec(d, argv)
        ms.append((time.monotonic() - t0) * 1000)
        if rc != 0:
            raise RuntimeError("%s exited %s" % (argv, rc))
    return {"ms": ms}


def op_overshoot(req):
    """Runs argv, whose last act is printing the guest's clock in ns; returns
    how long after that moment the exit was seen, and the run time."""
    d, argv = dom(req["domain"]), req["argv"]
    off = clock_offset(d)
    sent = time.time_ns()
    rc, out = plugin_exec(d, argv)
    seen = time.time_ns()
    end = int(out.split()[-1]) - off
    return {"overshoot_ms": (seen - end) / 1e6, "run_ms": (end - sent) / 1e6}


def op_ping(req):
    d = dom(req["domain"])
    ms = []
    for _ in range(req.get("n", 1)):
        t0 = time.monotonic()
        agent(d, "guest-ping")
        ms.append((time.monotonic() - t0) * 1000)
    return {"ms": ms}


def op_upload(req):
    """put_file of the plugin: mode wb+, 64 KiB chunks."""
    d = dom(req["domain"])
    t0 = time.monotonic()
    h = agent(d, "guest-file-open", {"path": req["dest"], "mode": "wb+"})["return"]
    with open(req["file"], "rb") as f:
        for chunk in iter(lambda: f.read(BUFSIZE), b""):
            agent(d, "guest-file-write", {"handle": h, "buf-b64": base64.b64encode(chunk).decode()})
    agent(d, "guest-file-close", {"handle": h})
    return {"s": time.monotonic() - t0}


def op_download(req):
    """fetch_file of the plugin: mode r, 64 KiB reads until eof, into a
    host file."""
    d = dom(req["domain"])
    t0 = time.monotonic()
    h = agent(d, "guest-file-open", {"path": req["src"], "mode": "r"})["return"]
    read = {"handle": h, "count": BUFSIZE}
    with open(req["file"], "wb+") as out:
        r = agent(d, "guest-file-read", read)["return"]
        out.write(base64.b64decode(r["buf-b64"]))
        while not r["eof"]:
            r = agent(d, "guest-file-read", read)["return"]
            out.write(base64.b64decode(r["buf-b64"]))
    agent(d, "guest-file-close", {"handle": h})
    return {"s": time.monotonic() - t0}


OPS = {"exec": op_exec, "overshoot": op_overshoot, "ping": op_ping, "upload": op_upload, "download": op_download}

for line in sys.stdin:
    req = json.loads(line)
    try:
        resp = OPS[req["op"]](req)
    except Exception as e:  # reported to the Go side, which fails the benchmark
        resp = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(resp) + "\n")
    sys.stdout.flush()
