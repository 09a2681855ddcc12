# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_user_password, for ansible-doc only: the module itself is
# the binary "guest_user_password" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_user_password
short_description: Set a guest user's password through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Sets the password of an existing guest user with the QEMU guest agent's C(guest-set-user-password), from a
    plain-text password or from a crypt(3) hash.
  - B(How changed is decided.) The guest agent can set a password but cannot read one back.
    With I(crypted=true), the module reads the user's current hash from the guest's C(/etc/shadow) (with the
    agent's file commands) and, when it is the hash given, sets nothing and reports C(changed=false); a task
    with a fixed hash is idempotent. A plain-text password (I(crypted=false)) cannot be compared, so it is set
    on every run and always reported as changed. When C(/etc/shadow) cannot be read (file commands disabled,
    as RHEL's qemu-guest-agent ships them, or not a Linux guest), the hash is set and reported as changed on
    every run, with a warning that names the disabled command.
  - To make a task with a plain-text secret idempotent, hash it on the controller with the C(password_hash) filter
    and a fixed salt, and pass I(crypted=true) (see the examples).
  - The password never appears in the task's output, C(invocation) included, at any verbosity.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: With I(crypted=true) the hash is compared and nothing is set; a plain-text password reports changed.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix, windows
    details: Comparing hashes (I(crypted=true)) needs a guest with C(/etc/shadow).
options:
  user:
    description:
      - The guest user. It must exist.
    type: str
    required: true
  password:
    description:
      - The new password, or with I(crypted=true) its crypt(3) hash (C($y$...), C($6$...), ...).
      - A secret (C(no_log)).
    type: str
    required: true
    no_log: true
  crypted:
    description:
      - I(password) is a crypt(3) hash, written to the guest as is, a modular hash such as C($y$j9T$salt$hash)
        (yescrypt) or C($6$salt$hash) (SHA-512), optionally locked with a leading C(!). A value that does not look
        like one is refused, since writing it would lock the account; 13-character DES hashes are refused too, since
        a plain password of that length looks like one. The Terraform provider applies the same rule.
      - Otherwise the guest hashes the password with its default method.
    type: bool
    default: false
notes:
  - Uses the agent command C(guest-set-user-password) and, with I(crypted=true), C(guest-file-open),
    C(guest-file-read) and C(guest-file-close).
seealso:
  - module: ansible.builtin.user
'''

EXAMPLES = r'''
- name: Set a password idempotently from a hash (changed only when it differs)
  qgatools.qga.guest_user_password:
    domain: web1
    user: alice
    password: "{{ alice_password | password_hash('sha512', 'qgasalt') }}"
    crypted: true

- name: Set a plain-text password (always reported as changed)
  qgatools.qga.guest_user_password:
    uri: qemu+ssh://root@hv1.example.com/system
    domain: web1
    user: root
    password: "{{ vault_root_password }}"
  delegate_to: localhost
'''

RETURN = r'''
user:
  description: The guest user.
  returned: always
  type: str
  sample: alice
crypted:
  description: Whether the password was given as a hash.
  returned: always
  type: bool
  sample: true
hash_compared:
  description: >-
    Whether C(changed) was decided by comparing with the hash in the guest's C(/etc/shadow); when false, the
    password was set without comparing and reported as changed.
  returned: always
  type: bool
  sample: true
'''
