# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_osinfo, for ansible-doc only: the module itself is
# the binary "guest_osinfo" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_osinfo
short_description: Gather facts about a QEMU/KVM guest through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Asks the QEMU guest agent for the guest's operating system, host name, time zone and network interfaces, and
    returns them as facts for later tasks, e.g. C(ansible_facts.qga_osinfo.pretty_name) or
    C(ansible_facts.qga_ipv4_addresses).
  - Fact names follow qemu-ga's field names with C(-) turned into C(_), so they work with Jinja's dot syntax.
  - With C(delegate_to), the facts go to the inventory host of the task (the guest, when each guest is an
    inventory host), unless C(delegate_facts) is set.
  - A part whose agent command is disabled or unsupported is left out, with a warning.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: Gathers the facts; nothing is ever changed.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    support: full
    platforms: posix, windows
options: {}
notes:
  - Uses the agent commands C(guest-info), C(guest-get-osinfo), C(guest-get-host-name), C(guest-get-timezone)
    and C(guest-network-get-interfaces).
seealso:
  - module: qgatools.qga.guest_interfaces
  - module: ansible.builtin.setup
'''

EXAMPLES = r'''
- name: Gather guest facts, from the controller, for each guest in the inventory
  qgatools.qga.guest_osinfo:
    uri: qemu+ssh://root@{{ hypervisor }}/system
    domain: "{{ inventory_hostname }}"
  delegate_to: localhost

- name: Use them
  ansible.builtin.debug:
    msg: "{{ ansible_facts.qga_hostname }} runs {{ ansible_facts.qga_osinfo.pretty_name }} at {{ ansible_facts.qga_ipv4_addresses | first }}"
'''

RETURN = r'''
ansible_facts:
  description: Facts about the guest.
  returned: always
  type: dict
  contains:
    qga_agent_version:
      description: Version of qemu-guest-agent in the guest.
      returned: always
      type: str
      sample: 7.2.15
    qga_osinfo:
      description: The guest's operating system (C(guest-get-osinfo)); fields the guest does not report are empty.
      returned: when the agent allows guest-get-osinfo
      type: dict
      sample:
        id: debian
        name: Debian GNU/Linux
        pretty_name: Debian GNU/Linux 12 (bookworm)
        version: 12 (bookworm)
        version_id: '12'
        variant: ''
        variant_id: ''
        kernel_release: 6.1.0-28-amd64
        kernel_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)'
        machine: x86_64
    qga_hostname:
      description: The guest's host name.
      returned: when the agent allows guest-get-host-name
      type: str
      sample: web1
    qga_timezone:
      description: The guest's time zone; C(offset) is in seconds east of UTC.
      returned: when the agent allows guest-get-timezone
      type: dict
      sample: {zone: UTC, offset: 0}
    qga_interfaces:
      description:
        - The guest's network interfaces and all their addresses, each with its scope (C(global), C(site_local),
          C(link_local), C(loopback)).
      returned: when the agent allows guest-network-get-interfaces
      type: list
      elements: dict
      sample:
        - name: eth0
          hardware_address: '52:54:00:12:34:56'
          ip_addresses:
            - {ip_address: 192.0.2.10, ip_address_type: ipv4, prefix: 24, scope: global}
    qga_ipv4_addresses:
      description:
        - The guest's global IPv4 addresses, without loopback, link-local and site-local ones and without those of
          container and VM bridges in the guest (C(docker0), ...), as M(qgatools.qga.guest_interfaces) gives them with
          its default filters.
      returned: when the agent allows guest-network-get-interfaces
      type: list
      elements: str
      sample: [192.0.2.10]
    qga_ipv6_addresses:
      description: The guest's global IPv6 addresses, left out as for C(qga_ipv4_addresses).
      returned: when the agent allows guest-network-get-interfaces
      type: list
      elements: str
      sample: ['2001:db8::10']
'''
