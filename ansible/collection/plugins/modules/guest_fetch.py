# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_fetch, for ansible-doc only: the module itself is
# the binary "guest_fetch" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_fetch
short_description: Read a file from a QEMU/KVM guest through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Reads one file from inside a guest with the QEMU guest agent, like M(ansible.builtin.fetch) does from a host.
    It works for a guest that has no network or SSH, to read a generated join token, a host key or cloud-init's
    result.
  - The file is written to I(dest) B(on the machine the module runs on). This is the hypervisor when the
    hypervisor is the inventory host, and the controller with C(delegate_to) C(localhost).
  - With I(return_content), the file is returned in the result as base64, as M(ansible.builtin.slurp) does, and
    nothing is written.
  - The guest computes the file's sha256 before it is read. The bytes read must match it, and the local file is
    checked again after it is written. When I(dest) already holds the same content, nothing is written and the task
    reports no change.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The guest's file is hashed and compared with I(dest); nothing is read or written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
options:
  src:
    description:
      - The file's absolute path in the guest. A symbolic link is followed, and the result then gives the file read
        in C(src_resolved).
      - Only regular files are read, streamed to I(dest) a chunk at a time (the module's memory does not grow with
        the file). A directory, a FIFO or a device is refused, because reading a FIFO would block the agent.
    type: str
    required: true
  dest:
    description:
      - Where the file goes, on the machine the module runs on.
      - Without I(flat), the file goes to C(<dest>/<guest>/<src>), as M(ansible.builtin.fetch) does. C(<guest>) is
        I(domain), or the file name of I(agent_socket), because a module is not told the inventory host name. To
        use the inventory host name, pass it with I(flat) in the path, for example
        C(dest=fetched/{{ inventory_hostname }}/token).
      - With I(flat), the file goes to I(dest) itself. If I(dest) ends with C(/), the file goes into that
        directory under the name of I(src).
      - Missing directories are created (mode C(0755)). The file is written to a new file in the same directory,
        which is then renamed over I(dest), so a reader never sees half a file. A new file gets mode C(0600),
        because fetched files are often secrets. An existing file keeps its mode.
      - A symbolic link at I(dest) is refused. It is neither followed nor replaced.
      - Required unless I(return_content=true). The two are mutually exclusive.
    type: path
  flat:
    description:
      - Use I(dest) as the file's path instead of adding the guest's name and the path of I(src).
    type: bool
    default: false
  fail_on_missing:
    description:
      - Fail when I(src) does not exist in the guest. When false, a missing file is reported with C(msg) and no change.
    type: bool
    default: true
  return_content:
    description:
      - Return the file base64-encoded in C(content) instead of writing it to I(dest), as M(ansible.builtin.slurp)
        does. This works for files of up to 4 MiB.
    type: bool
    default: false
notes:
  - Uses the agent commands C(guest-file-open), C(guest-file-read), C(guest-file-seek), C(guest-file-close),
    C(guest-exec) and C(guest-exec-status). The file is hashed and examined with C(stat), C(sha256sum) and
    C(readlink) in the guest.
  - The file's content is not treated as secret by the module. Use C(no_log) on the task when it is a secret and
    I(return_content) is set.
seealso:
  - module: qgatools.qga.guest_copy
  - module: ansible.builtin.fetch
  - module: ansible.builtin.slurp
'''

EXAMPLES = r'''
- name: Fetch cloud-init's result to the hypervisor, as fetched/web1/var/lib/cloud/data/result.json
  qgatools.qga.guest_fetch:
    domain: web1
    src: /var/lib/cloud/data/result.json
    dest: fetched/

- name: Fetch a join token to the controller, under the inventory name
  qgatools.qga.guest_fetch:
    uri: qemu+ssh://root@hv1.example.com/system
    domain: "{{ inventory_hostname }}"
    src: /etc/kubernetes/join-token
    dest: "tokens/{{ inventory_hostname }}.token"
    flat: true
  delegate_to: localhost

- name: Read a host key into a variable
  qgatools.qga.guest_fetch:
    domain: web1
    src: /etc/ssh/ssh_host_ed25519_key.pub
    return_content: true
  register: hostkey

- ansible.builtin.debug:
    msg: "{{ hostkey.content | b64decode }}"
'''

RETURN = r'''
src:
  description: I(src) as given.
  returned: always
  type: str
  sample: /etc/kubernetes/join-token
file:
  description: I(src) as given, as M(ansible.builtin.fetch) names it.
  returned: always
  type: str
  sample: /etc/kubernetes/join-token
src_resolved:
  description: The file read, when I(src) is or passes through a symbolic link.
  returned: when I(src) is a symbolic link
  type: str
  sample: /run/systemd/resolve/stub-resolv.conf
dest:
  description: The local file written, or that would be written in check mode.
  returned: when the file was found and I(return_content) is false
  type: str
  sample: fetched/web1/var/lib/cloud/data/result.json
checksum:
  description: The file's sha256 (hex), computed in the guest; the bytes read and the local file were checked against it.
  returned: when the file was found
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
remote_checksum:
  description: The same sha256, under the name M(ansible.builtin.fetch) uses.
  returned: when the file was found
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: The file's size in bytes.
  returned: when the file was found
  type: int
  sample: 1024
mode:
  description: The guest file's permissions, in octal.
  returned: when the file was found
  type: str
  sample: '0600'
owner:
  description: The guest file's owner.
  returned: when the file was found
  type: str
  sample: root
group:
  description: The guest file's group.
  returned: when the file was found
  type: str
  sample: root
uid:
  description: The guest file owner's uid.
  returned: when the file was found
  type: int
  sample: 0
gid:
  description: The guest file group's gid.
  returned: when the file was found
  type: int
  sample: 0
content:
  description: The file's content, base64-encoded.
  returned: when I(return_content=true)
  type: str
  sample: aGVsbG8K
encoding:
  description: How C(content) is encoded, always C(base64).
  returned: when I(return_content=true)
  type: str
  sample: base64
msg:
  description: What happened when the file was missing, or what would be written in check mode.
  returned: sometimes
  type: str
  sample: the file does not exist in the guest
'''
