# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_copy, for ansible-doc only: the module itself is
# the binary "guest_copy" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_copy
short_description: Put a file into a QEMU/KVM guest through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Writes one file inside a guest with the QEMU guest agent, like M(ansible.builtin.copy) does on a host, for a
    guest that has no network or SSH yet (a configuration file, a certificate, a token).
  - The file comes from I(src), a file B(on the machine the module runs on), or from I(content).
  - The write is atomic. The content goes to a new file in the same directory, which gets its mode, owner and
    group and is then renamed over I(dest). A reader in the guest sees the old file or the new one, never part of
    one, and a failed write leaves the old file in place. Content up to 4 MiB is first staged in the guest's
    C(/tmp), in a file only root can read that is removed in every case, so that one guest command does the rest.
  - The task is idempotent. The guest computes the sha256 of the existing file. When it matches and the mode, the owner
    and the group are as asked, nothing is written and the task reports no change.
  - Directories that a user other than root and the directory's owner could change are refused, because that user
    could redirect the write. In a directory that belongs to a user, such as a home directory, the file is
    written as that user. It then belongs to that user unless I(owner) names the same user.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The guest's file is hashed and compared; nothing is written, and the result says what would change.
  diff_mode:
    support: partial
    details: >-
      Shows the content before and after when both are UTF-8 text of at most 64 KiB, and the mode, owner and group
      when they change. Content given with I(content) is never shown (it is C(no_log)), only its sha256 before
      and after.
  platform:
    support: full
    platforms: posix
options:
  src:
    description:
      - A file on the machine the module runs on. This is the hypervisor when the hypervisor is the inventory
        host, and the controller when the task is delegated to it with C(delegate_to) C(localhost).
        There is no action plugin that copies a controller file to the hypervisor first. To send a controller
        file while the module runs on the hypervisor, use I(content) with a
        C(lookup('ansible.builtin.file', ...)), or copy the file to the hypervisor first.
      - Streamed to the guest a chunk at a time, so the module's memory does not grow with the file. Its sha256 is
        taken when the task starts; if the file changes before the upload ends, the task fails and the guest's file
        is left as it was.
      - Exactly one of I(src) and I(content) is required.
    type: path
  content:
    description:
      - The file's content, as text.
      - Always treated as C(no_log), as in M(ansible.builtin.copy). Its value is replaced by
        C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) or C(********) everywhere in the result, and the diff never shows
        it.
      - Exactly one of I(src) and I(content) is required.
    type: str
    no_log: true
  dest:
    description:
      - The file's absolute path in the guest. It must be clean (no C(..), C(.) or trailing slash), except that a
        trailing slash with I(src) means "into this directory, under the name of I(src)".
      - When I(dest) is a directory in the guest and I(src) is given, the file goes into it under the name of
        I(src). A symbolic link at I(dest) is replaced by the file, and the link's target is left alone.
    type: str
    required: true
  mode:
    description:
      - The file's permissions, as an octal string such as C("0644") or C("644"), or a number (YAML's C(0644)
        is read as the number 420, which is the same mode). Symbolic modes such as C(u=rw) are not supported.
      - When not set, an existing file keeps its mode and a new file gets C(0644).
    type: raw
  owner:
    description:
      - The file's owner, a user name or a numeric uid in the guest. When not set, an existing file keeps its owner
        and a new file belongs to root, or to the directory's owner in a user's directory.
    type: str
  group:
    description:
      - The file's group, a group name or a numeric gid in the guest. When not set, an existing file keeps its group.
    type: str
  create_directories:
    description:
      - Create the missing directories above I(dest), owned by root with mode C(0755). This is the same
        option as the provider's C(qga_guest_file). Without it, a missing directory fails the task.
    type: bool
    default: false
  backup:
    description:
      - Before the file is replaced, keep the old one as C(<dest>.<pid>.<YYYY-MM-DD@HH:MM:SS>~) in the same
        directory, as M(ansible.builtin.copy) does. The backup is a hard link to the old file, so it keeps the old
        content, mode, owner and times without copying anything. Its name is returned in C(backup_file).
    type: bool
    default: false
  force:
    description:
      - When false, an existing I(dest) is left as it is, whatever its content, and only a missing file is written.
    type: bool
    default: true
notes:
  - Uses the agent commands C(guest-file-open), C(guest-file-write), C(guest-file-read), C(guest-file-close),
    C(guest-exec) and C(guest-exec-status). C(guest-exec) is needed because the agent has no commands to rename a
    file, change its mode or owner, or hash it. A guest that blocks C(guest-exec) cannot use this module.
  - The guest needs C(/bin/sh), GNU C(stat), C(sha256sum), C(mv -T), C(setpriv) and C(ln). Debian, Ubuntu, Fedora
    and RHEL guests have them.
  - Files of any size move a chunk at a time (I(content) is held in memory); the transfer costs about 1.4 times the
    size in agent traffic (base64).
seealso:
  - module: qgatools.qga.guest_fetch
  - module: ansible.builtin.copy
'''

EXAMPLES = r'''
- name: Put a configuration file into the guest, from the hypervisor (the inventory host)
  qgatools.qga.guest_copy:
    domain: web1
    src: /srv/guest-files/nginx.conf
    dest: /etc/nginx/nginx.conf
    mode: "0644"
    backup: true

- name: A token from the vault, written from the controller (src would be a controller path here)
  qgatools.qga.guest_copy:
    uri: qemu+ssh://root@hv1.example.com/system
    domain: web1
    content: "{{ join_token }}"
    dest: /etc/myapp/token
    owner: root
    group: myapp
    mode: "0640"
    create_directories: true
  delegate_to: localhost

- name: A controller file while the module runs on the hypervisor
  qgatools.qga.guest_copy:
    domain: web1
    content: "{{ lookup('ansible.builtin.file', 'files/motd') }}"
    dest: /etc/motd

- name: Into a user's home directory (written as that user)
  qgatools.qga.guest_copy:
    domain: web1
    src: /srv/guest-files/bashrc
    dest: /home/alice/.bashrc
    mode: "0644"
'''

RETURN = r'''
dest:
  description: The file's path in the guest (with the name of I(src) added when I(dest) was a directory).
  returned: always
  type: str
  sample: /etc/nginx/nginx.conf
src:
  description: I(src) as given.
  returned: when I(src) is given
  type: str
  sample: /srv/guest-files/nginx.conf
checksum:
  description: The sha256 of the file in the guest (hex), computed in the guest after the write; in check mode, of the content to write.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: The file's size in bytes.
  returned: success
  type: int
  sample: 1024
mode:
  description: The file's permissions, in octal.
  returned: success, except in check mode when the file would change
  type: str
  sample: '0644'
owner:
  description: The name of the file's owner in the guest.
  returned: success, except in check mode when the file would change
  type: str
  sample: root
group:
  description: The name of the file's group in the guest.
  returned: success, except in check mode when the file would change
  type: str
  sample: root
uid:
  description: The file owner's uid.
  returned: success, except in check mode when the file would change
  type: int
  sample: 0
gid:
  description: The file group's gid.
  returned: success, except in check mode when the file would change
  type: int
  sample: 0
backup_file:
  description: The name of the backup of the old file.
  returned: when I(backup=true) and the file was replaced
  type: str
  sample: /etc/nginx/nginx.conf.4242.2026-01-31@12:00:00~
msg:
  description: What changed, or would change in check mode.
  returned: when something changed, or would
  type: str
  sample: 'changed: content, mode 0600 -> 0644'
'''
