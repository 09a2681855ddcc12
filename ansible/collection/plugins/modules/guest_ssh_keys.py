# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_ssh_keys, for ansible-doc only: the module itself is
# the binary "guest_ssh_keys" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_ssh_keys
short_description: Manage a guest user's SSH authorized keys through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Adds SSH public keys to, or removes them from, a guest user's C(~/.ssh/authorized_keys) with the QEMU guest
    agent, for instance to give Ansible SSH access to a guest that has none yet.
  - Reads the keys first and changes only what differs, so a second run reports no change.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the authorized keys before and after, one per line, sorted.
  platform:
    support: full
    platforms: posix
options:
  user:
    description:
      - The guest user whose C(~/.ssh/authorized_keys) is managed. The user must exist and have a home directory.
    type: str
    required: true
  keys:
    description:
      - SSH public keys, one per entry, in C(authorized_keys) format (options, type, key, comment).
      - An entry may hold several keys, one per line, so the contents of a C(.pub) or C(authorized_keys) file can
        be given as is; a single string is split into lines, not at commas. Blank lines and C(#) comments are
        ignored, surrounding white space is trimmed.
      - Each key is checked before anything reaches the guest; a line that is not one OpenSSH public key, or the
        same key listed twice with different comments, fails the task. The Terraform provider's C(qga_guest_ssh_keys)
        applies the same rule at plan time.
      - Keys are compared by type and key data, as the Terraform provider does; the comment and options are not part
        of a key's identity, so a key already in the file under another comment is no change (and is not added
        twice), and I(state=absent) removes it whatever its comment. Order does not count either (the agent lists
        keys in an order of its own).
      - With I(state=present) and I(exclusive=true), an empty list removes all keys.
    type: list
    elements: str
    required: true
    aliases: [key]
  state:
    description:
      - C(present) adds the keys that are missing; C(absent) removes the keys given.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With I(state=present), make the keys given the only keys of the user, removing all others.
      - Not allowed with I(state=absent).
    type: bool
    default: false
notes:
  - Uses the agent commands C(guest-ssh-get-authorized-keys), C(guest-ssh-add-authorized-keys) and
    C(guest-ssh-remove-authorized-keys) (qemu-ga 5.2 or later); they must be enabled in the guest.
  - The agent creates C(~/.ssh) and C(authorized_keys) with the right owner and modes when missing.
  - Comment lines in C(authorized_keys) are kept when keys are only added or only removed; they are lost when
    I(exclusive=true) has to add some keys and remove others, which rewrites the file.
seealso:
  - module: ansible.posix.authorized_key
'''

EXAMPLES = r'''
- name: Let the deploy key log in as root (hypervisor is the inventory host)
  qgatools.qga.guest_ssh_keys:
    domain: web1
    user: root
    keys:
      - "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"

- name: Make these the only keys of alice, from the controller
  qgatools.qga.guest_ssh_keys:
    uri: qemu+ssh://root@hv1.example.com/system
    domain: web1
    user: alice
    keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXQTmTd1Bd1bAV3zhM0r6vIbfqXzl3JZcNzFbq3Hf2a alice@laptop
    exclusive: true
  delegate_to: localhost

- name: Remove an old key
  qgatools.qga.guest_ssh_keys:
    domain: web1
    user: alice
    keys: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7... old@laptop
    state: absent
'''

RETURN = r'''
user:
  description: The guest user.
  returned: always
  type: str
  sample: alice
state:
  description: The state asked for.
  returned: always
  type: str
  sample: present
exclusive:
  description: Whether the keys given were made the only ones.
  returned: always
  type: bool
  sample: false
keys:
  description: The user's authorized keys after the task (in check mode, what they would be), in the order the
    guest agent lists them.
  returned: always
  type: list
  elements: str
  sample: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXQTmTd1Bd1bAV3zhM0r6vIbfqXzl3JZcNzFbq3Hf2a alice@laptop]
added:
  description: Keys that were (or in check mode would be) added.
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Keys that were (or in check mode would be) removed.
  returned: always
  type: list
  elements: str
  sample: []
'''
