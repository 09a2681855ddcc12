# Copyright (c) qgatools
# Mozilla Public License Version 2.0 (see LICENSE)
"""Bytecode for pipelined Python modules, compiled once on the controller.

A pipelined module reaches the guest as one Python script, Ansible's AnsiballZ
wrapper, which holds a zip of the module and the module_utils it imports. The
guest's Python imports them from that zip (zipimport), which never writes a
bytecode cache, so every task compiles the same ~340 KB of module_utils source
again: on an emulated (TCG) guest that is about a third of a small module's
run (a `stat` module: median 2.9 s from source, 1.8 s with the bytecode).

precompile() adds a hash-based .pyc (PEP 552, "checked") beside each
module_util's .py in that zip. zipimport takes a .pyc before the .py when its
magic number is the guest Python's own and the hash of the .py beside it
matches; otherwise (another Python version) it compiles the source as it
always did. Either way the same code runs. The module itself (the one
runpy starts) keeps its source only, so that its __file__ stays a .py.

Runs on the controller only, with public APIs (importlib.util, marshal).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import io
import importlib.util
import marshal
import re
import struct
import zipfile
import zlib

# What identifies Ansible's AnsiballZ wrapper (ansible-core 2.11 to 2.18),
# and where its zip is: a base64 literal at the start of a line, which comes
# before the module's arguments in the script (and base64 holds no quote, so
# no argument can end it early or open another).
_WRAPPER_MARK = b'\n_ANSIBALLZ_WRAPPER = True'
_ZIPDATA = re.compile(br'^    ZIPDATA = """([A-Za-z0-9+/=\r\n]*)"""$', re.M)
_MAIN_MODULE = re.compile(br"runpy\.run_module\(mod_name='([A-Za-z0-9_.]+)'")

# PEP 552 flags: hash-based, and the importer checks the source's hash.
_CHECKED_HASH_PYC = 0b11

# A payload larger than this is sent as it is: compiling it would cost the
# controller more than it saves (modules are a few hundred KB).
MAX_PAYLOAD = 8 << 20


def precompile(payload):
    """Returns (payload with bytecode added, number of .pyc added).

    Anything that is not an AnsiballZ wrapper, or that cannot be read as one,
    is returned unchanged with 0: precompiling is only ever a speed-up.
    """
    if len(payload) > MAX_PAYLOAD or _WRAPPER_MARK not in payload[:4096]:
        return payload, 0
    found = list(_ZIPDATA.finditer(payload))
    main = _MAIN_MODULE.search(payload)
    if len(found) != 1 or main is None:
        return payload, 0
    zipdata = found[0]
    try:
        old = zipfile.ZipFile(io.BytesIO(base64.b64decode(zipdata.group(1))))
        new_zip, added = _with_bytecode(old, _module_path(main.group(1).decode('ascii')))
    except (binascii.Error, zipfile.BadZipfile, zlib.error, ValueError, EOFError):
        return payload, 0
    if not added:
        return payload, 0
    encoded = base64.b64encode(new_zip)
    return payload[:zipdata.start(1)] + encoded + payload[zipdata.end(1):], added


def _module_path(fqn):
    return fqn.replace('.', '/') + '.py'


def _with_bytecode(old, main_path):
    """The zip's entries, each .py but the main module followed by its .pyc."""
    names = set(old.namelist())
    out = io.BytesIO()
    added = 0
    with zipfile.ZipFile(out, 'w') as new:
        for info in old.infolist():
            source = old.read(info)
            new.writestr(info, source)
            if not info.filename.endswith('.py') or info.filename == main_path or info.filename + 'c' in names:
                continue
            pyc = _checked_pyc(source, info.filename)
            if pyc is None:
                continue
            pyc_info = zipfile.ZipInfo(info.filename + 'c', info.date_time)
            pyc_info.compress_type = info.compress_type
            new.writestr(pyc_info, pyc)
            added += 1
    return out.getvalue(), added


def _checked_pyc(source, filename):
    """A PEP 552 checked-hash .pyc of source, or None if it does not compile here."""
    try:
        code = compile(source, filename, 'exec', dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError):
        # Source for another Python (a Python 2-only util): the guest's
        # Python compiles it, or fails on it, as it would have anyway.
        return None
    return (importlib.util.MAGIC_NUMBER + struct.pack('<I', _CHECKED_HASH_PYC) +
            importlib.util.source_hash(source) + marshal.dumps(code))
