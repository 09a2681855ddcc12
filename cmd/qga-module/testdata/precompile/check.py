# Checks the connection plugin's precompile step
# (ansible/collection/plugins/plugin_utils/precompile.py) on a real AnsiballZ
# payload that ansible-core built for a stat task (TestPrecompileModulePayload).
# usage: python3 check.py PRECOMPILE_PY PAYLOAD WORKDIR
# Prints "ok" and exits 0, or prints what is wrong and exits 1.
import base64
import importlib.util
import io
import os
import subprocess
import sys
import zipfile

spec = importlib.util.spec_from_file_location('precompile', sys.argv[1])
pc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pc)
with open(sys.argv[2], 'rb') as f:
    payload = f.read()
work = sys.argv[3]
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def zip_of(p):
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(pc._ZIPDATA.search(p).group(1))))


def with_zip(p, z):
    m = pc._ZIPDATA.search(p)
    return p[:m.start(1)] + base64.b64encode(z) + p[m.end(1):]


def edited_zip(z, edit):
    """A copy of zip z with each entry's bytes passed through edit(name, data)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as new:
        for info in z.infolist():
            new.writestr(info.filename, edit(info.filename, z.read(info)))
    return out.getvalue()


def run_payload(p, name):
    path = os.path.join(work, name)
    with open(path, 'wb') as f:
        f.write(p)
    r = subprocess.run([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout


def where_basic_loads(z, name):
    """Where a Python that sees nothing but zip z imports
    ansible.module_utils.basic from, and whether QGA_EDITED is set in it."""
    path = os.path.join(work, name)
    with open(path, 'wb') as f:
        f.write(z)
    code = ('import sys; sys.path.insert(0, sys.argv[1]); import ansible.module_utils.basic as b; '
            'print(b.__spec__.origin, hasattr(b, "QGA_EDITED"))')
    r = subprocess.run([sys.executable, '-I', '-S', '-c', code, path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    return r.stdout.decode().strip()


def corrupt_entry(p, name):
    """p with 40 bytes of entry name's compressed data inverted."""
    z = bytearray(base64.b64decode(pc._ZIPDATA.search(p).group(1)))
    info = zipfile.ZipFile(io.BytesIO(bytes(z))).getinfo(name)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    z[start:start + 40] = bytes(b ^ 0xff for b in z[start:start + 40])
    return with_zip(p, bytes(z))


# Whatever is not an AnsiballZ wrapper, or not one it can read, passes unchanged.
broken = pc._ZIPDATA.sub(b'    ZIPDATA = """' + base64.b64encode(b'no zip here') + b'"""', payload, count=1)
twice = payload + b'\n' + pc._ZIPDATA.search(payload).group(0)
for name, p in [('empty', b''), ('a shell command', b"echo 'hi'; $(id) `id`\n"),
                ('a wrapper with no zip', b'#!/usr/bin/python3\n_ANSIBALLZ_WRAPPER = True\n'),
                ('a zip that is not one', broken), ('two zips', twice),
                ('a zip with a corrupt entry', corrupt_entry(payload, 'ansible/module_utils/basic.py'))]:
    out, added = pc.precompile(p)
    check(out == p and added == 0, '%s: changed (%d added)' % (name, added))

new, added = pc.precompile(payload)
old_zip, new_zip = zip_of(payload), zip_of(new)
old_names, new_names = set(old_zip.namelist()), set(new_zip.namelist())
main = 'ansible/modules/stat.py'
sources = sorted(n for n in old_names if n.endswith('.py'))
check(main in old_names, 'the payload has no %s' % main)
check(added == len(sources) - 1 and added >= 10, '%d .pyc added for %d sources' % (added, len(sources)))
expected = old_names | {n + 'c' for n in sources if n != main}
check(new_names == expected, 'entries not as expected: %s' % sorted(new_names ^ expected))
check(all(old_zip.read(n) == new_zip.read(n) for n in old_names), 'an entry of the zip changed')
# Only the zip changed: the module's arguments (hostile ones) are as they were.
strip = lambda p: pc._ZIPDATA.sub(b'', p, count=1)
check(strip(new) == strip(payload), 'the payload changed outside its zip')
check(pc.precompile(new) == (new, 0), 'a payload with bytecode got more')

# The same module run, the same answer.
want = run_payload(payload, 'source.py')
check(want[0] == 0 and b'"exists": false' in want[1], 'the original payload: %r' % (want,))
check(run_payload(new, 'bytecode.py') == want, 'the payload with bytecode answered differently')

# The bytecode is what Python loads...
where = where_basic_loads(pc._with_bytecode(old_zip, main)[0], 'bytecode.zip')
check(where.endswith('/ansible/module_utils/basic.pyc False'), 'with bytecode: %s' % where)
# ...unless it is another Python's (magic number) or not the source's (hash):
# then the source, and the module still runs.
other_python = edited_zip(new_zip, lambda n, b: b[:2] + b'\x00\x00' + b[4:] if n.endswith('.pyc') else b)
where = where_basic_loads(other_python, 'other-python.zip')
check(where.endswith('/ansible/module_utils/basic.py False'), 'bytecode of another Python: %s' % where)
check(run_payload(with_zip(new, other_python), 'other-python.py') == want, 'with bytecode of another Python: another answer')
edited = edited_zip(new_zip, lambda n, b: b + b'\nQGA_EDITED = 1\n' if n == 'ansible/module_utils/basic.py' else b)
where = where_basic_loads(edited, 'edited.zip')
check(where.endswith('/ansible/module_utils/basic.py True'), 'source changed after compiling: %s' % where)

if problems:
    print('\n'.join(problems))
    sys.exit(1)
print('ok')
