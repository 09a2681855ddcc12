# Copyright (c) qgatools
# Mozilla Public License Version 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: qga
short_description: Run tasks inside QEMU/KVM guests through the QEMU guest agent
description:
  - Runs ordinary Ansible tasks (C(setup), C(copy), C(template), C(file), C(user), C(command), ...)
    inside a QEMU/KVM guest with no network access to it and no SSH. Commands run with the
    agent's C(guest-exec), files move with C(guest-file-*).
  - The controller reaches the guest through libvirt (a local or remote URI, e.g.
    C(qemu+ssh://root@hv1/system)) or through a plain QEMU agent socket.
  - Everything runs on the controller, in the collection's static helper binary
    (C(bin/qga-module --connection)), one process per connection, which keeps the libvirt
    connection open across the task's commands and transfers. libvirt-python is not needed.
  - The guest needs only qemu-guest-agent, and Python for Python modules.
author: qgatools
version_added: 0.1.0
notes:
  - Commands run as the agent's user (root on Linux). C(become) with C(sudo) works, with or
    without a password (given to C(sudo -S) on its standard input); C(su) works without one.
  - "The agent must allow C(guest-exec), C(guest-exec-status) and, for file transfers and
    non-pipelined modules, C(guest-file-open), C(guest-file-read), C(guest-file-write),
    C(guest-file-close). RHEL's qemu-guest-agent blocks them by default; the error names the
    blocked command and the setting to change (C(--block-rpcs)/C(--allow-rpcs),
    C(/etc/sysconfig/qemu-ga) or C(/etc/qemu/qemu-ga.conf))."
  - A command's standard output and error are each captured up to the agent's limit (16 MiB
    for qemu-ga 7.2).
  - The helper binary is built for one controller architecture; install the release tarball
    that matches the controller (C(linux-amd64) or C(linux-arm64)).
options:
  remote_addr:
    description:
      - The libvirt domain, by name or UUID.
    default: inventory_hostname
    type: str
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_qga_domain
  uri:
    description:
      - The libvirt connection URI. Remote URIs work (C(qemu+ssh://), C(qemu+libssh://),
        C(qemu+tcp://), C(qemu+tls://)); C(qemu+ssh) uses the controller's C(ssh).
    default: qemu:///system
    type: str
    vars:
      - name: ansible_qga_uri
    env:
      - name: ANSIBLE_QGA_URI
    ini:
      - section: qga_connection
        key: uri
  agent_socket:
    description:
      - The host end of a QEMU guest agent chardev socket, for guests run by QEMU without
        libvirt. When set, C(remote_addr) and C(uri) are ignored.
    type: path
    vars:
      - name: ansible_qga_socket
  agent_timeout:
    description:
      - Seconds to wait for the agent to answer when connecting (a guest that is still booting).
    default: 120
    type: int
    vars:
      - name: ansible_qga_agent_timeout
    env:
      - name: ANSIBLE_QGA_AGENT_TIMEOUT
  call_timeout:
    description:
      - Seconds one agent call may take.
    default: 30
    type: int
    vars:
      - name: ansible_qga_call_timeout
  exec_timeout:
    description:
      - Seconds one command (a module run) may take; after that it is killed in the guest, with
        the processes it started, and the task fails.
    default: 3600
    type: int
    vars:
      - name: ansible_qga_exec_timeout
    env:
      - name: ANSIBLE_QGA_EXEC_TIMEOUT
  pipelining:
    description:
      - Send modules on the command's standard input (the agent's C(input-data)) instead of
        copying them to a file first, which saves agent commands on every task.
      - On by default for this connection. Set it to false for modules that need a file.
    default: true
    type: boolean
    vars:
      - name: ansible_pipelining
      - name: ansible_qga_pipelining
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: connection
        key: pipelining
  precompile:
    description:
      - Compile a pipelined Python module's module_utils to bytecode on the controller and
        send it with the module, so that the guest's Python does not compile the same source
        again on every task (it keeps no bytecode cache for code it imports from the module's
        zip). On an emulated guest that takes about a third off a small module's run.
      - It takes effect when the guest's Python has the controller's bytecode version (the
        same Python 3 minor version, e.g. Debian 12 on both ends); any other Python ignores
        the bytecode and compiles the source as before. The module runs the same either way.
    default: true
    type: boolean
    vars:
      - name: ansible_qga_precompile
    env:
      - name: ANSIBLE_QGA_PRECOMPILE
    ini:
      - section: qga_connection
        key: precompile
  helper:
    description:
      - The qga-module binary to use. By default the collection's own, C(bin/qga-module) in
        the installed collection.
    type: path
    vars:
      - name: ansible_qga_helper
'''

EXAMPLES = r'''
# inventory.ini: guests by libvirt domain name, on the controller's libvirt
# [guests]
# web1
# web2 ansible_host=5d3c0e4e-0f5f-4c59-9a4e-0f8b1b0a3a11
# [guests:vars]
# ansible_connection=qgatools.qga.qga
# ansible_qga_uri=qemu+ssh://root@hv1.example.com/system

- hosts: guests
  become: true
  tasks:
    - ansible.builtin.copy:
        src: motd
        dest: /etc/motd
    - ansible.builtin.command: systemctl restart nginx
'''

import base64
import json
import os
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.qgatools.qga.plugins.module_utils.qga_helper import helper_path, missing_helper_message
from ansible_collections.qgatools.qga.plugins.plugin_utils.precompile import precompile

display = Display()

# Failures that mean the guest cannot be reached at all: Ansible reports the
# host unreachable rather than the task failed.
_UNREACHABLE = frozenset(['domain_not_found', 'domain_not_running', 'agent_not_configured',
                          'agent_unavailable', 'connection'])


class Connection(ConnectionBase):
    """Runs commands and moves files through the QEMU guest agent."""

    transport = 'qgatools.qga.qga'
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super(Connection, self).__init__(*args, **kwargs)
        self._proc = None
        self._agent_is_root = None

    # The helper process and its protocol.

    def _request(self, req):
        """Sends one request to the helper and returns its response, raising on failure."""
        line = json.dumps(req, separators=(',', ':')).encode('utf-8') + b'\n'
        try:
            self._proc.stdin.write(line)
            self._proc.stdin.flush()
            answer = self._proc.stdout.readline()
        except (IOError, OSError) as e:
            raise AnsibleConnectionFailure('the qgatools.qga helper stopped: %s' % to_native(e))
        if not answer:
            rc = self._proc.poll()
            raise AnsibleConnectionFailure('the qgatools.qga helper exited (status %s) without answering' % rc)
        resp = json.loads(to_text(answer))
        if not resp.get('ok'):
            msg = resp.get('error') or 'unknown error'
            if resp.get('kind') in _UNREACHABLE:
                raise AnsibleConnectionFailure(msg)
            raise AnsibleError(msg)
        return resp

    def _connect(self):
        if self._connected:
            return self
        helper = helper_path(__file__, self.get_option('helper'))
        if not os.access(helper, os.X_OK):
            raise AnsibleConnectionFailure(missing_helper_message(helper))
        try:
            self._proc = subprocess.Popen([helper, '--connection'], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, close_fds=True)
        except OSError as e:
            raise AnsibleConnectionFailure('starting the qgatools.qga helper %s: %s' % (helper, to_native(e)))
        req = {
            'op': 'open',
            'agent_timeout': self.get_option('agent_timeout'),
            'call_timeout': self.get_option('call_timeout'),
        }
        socket = self.get_option('agent_socket')
        if socket:
            req['socket'] = socket
        else:
            req['domain'] = self.get_option('remote_addr')
            req['uri'] = self.get_option('uri')
        try:
            resp = self._request(req)
        except Exception:
            self._stop_helper()
            raise
        display.vvv(u'ESTABLISH QGA CONNECTION to %s' % resp.get('target'), host=self._play_context.remote_addr)
        self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        display.vvv(u'EXEC %s' % to_text(cmd), host=self._play_context.remote_addr)
        stdin = to_bytes(in_data or b'')
        if stdin and self.get_option('precompile'):
            stdin, added = precompile(stdin)
            if added:
                display.vvvv(u'QGA precompiled %d module_utils of the pipelined module' % added, host=self._play_context.remote_addr)
        if sudoable and self.become and self.become.expect_prompt():
            stdin = self._become_password_input() + stdin
        req = {'op': 'exec', 'shell': to_text(cmd), 'timeout': self.get_option('exec_timeout')}
        if stdin:
            req['stdin'] = to_text(base64.b64encode(stdin))
        resp = self._request(req)
        if resp.get('output_truncated'):
            display.warning('the guest agent truncated the output of a command at its capture limit')
        return resp['rc'], base64.b64decode(resp.get('stdout') or ''), base64.b64decode(resp.get('stderr') or '')

    def _become_password_input(self):
        """What to put before a command's stdin for become to read its password.

        The agent gives commands no terminal: sudo -S reads the password from
        the first line of stdin. su reads it from a terminal only; as the
        agent runs commands as root, su needs none. Nor does sudo when the
        agent runs as root, and then it reads nothing: the password line
        would go to the command itself, so it is sent only to an agent that
        does not run as root.
        """
        password = self.become.get_option('become_pass', playcontext=self._play_context)
        if not password or self.become.name.split('.')[-1] != 'sudo':
            return b''
        if self._agent_is_root is None:
            resp = self._request({'op': 'exec', 'argv': ['id', '-u'], 'timeout': self.get_option('call_timeout')})
            self._agent_is_root = base64.b64decode(resp.get('stdout') or '').strip() == b'0'
        if self._agent_is_root:
            return b''
        if '\n' in password:
            raise AnsibleError('the become password holds a newline, which sudo -S cannot read')
        return to_bytes(password) + b'\n'

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        display.vvv(u'PUT %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        if not os.path.exists(to_bytes(in_path, errors='surrogate_or_strict')):
            raise AnsibleFileNotFound('file or module does not exist: %s' % in_path)
        self._request({'op': 'put', 'src': to_text(in_path), 'dest': to_text(out_path)})

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        display.vvv(u'FETCH %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        self._request({'op': 'fetch', 'src': to_text(in_path), 'dest': to_text(out_path)})

    def reset(self):
        self.close()
        self._connect()

    def close(self):
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._request({'op': 'close'})
            except AnsibleError:
                pass
        self._stop_helper()
        self._connected = False

    def _stop_helper(self):
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except (IOError, OSError):
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
