# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_interfaces, for ansible-doc only: the module itself is
# the binary "guest_interfaces" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_interfaces
short_description: Find a QEMU/KVM guest's addresses through the guest agent, with filters and a wait
version_added: 0.1.0
author: qgatools
description:
  - Asks the QEMU guest agent for the guest's network interfaces (C(guest-network-get-interfaces)) and returns
    the addresses that pass the filters as facts, e.g. C(ansible_facts.qga_ipv4_address), the address to reach
    the guest at. No network access to the guest is needed.
  - By default only global addresses are kept (no loopback, no C(fe80::) or C(169.254.x) link-local, no C(fec0::)
    site-local), and interfaces that the guest's own container and VM software creates (C(docker0), C(cni0),
    C(flannel.1), C(virbr0), C(veth...)) are left out.
  - With I(wait_for), waits until that many addresses pass the filters (a guest that just booted gets its DHCP
    lease after its agent answers); when I(wait_timeout) passes first, the task fails with every address seen and
    its scope.
  - The Terraform provider's data source C(qga_guest_interfaces) takes the same filters and applies the same rules.
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
options:
  address_family:
    description:
      - Only addresses of this family; with C(any), both.
    type: str
    choices: [any, ipv4, ipv6]
    default: any
  scope:
    description:
      - Address scopes to keep, among C(global) (private networks such as 10.0.0.0/8 and C(fd00::/8) included),
        C(site_local) (C(fec0::/10)), C(link_local) (C(fe80::/10), C(169.254.0.0/16)) and C(loopback)
        (C(127.0.0.0/8), C(::1); the C(lo) interface is listed only with it).
      - When not given, C(global) only.
    type: list
    elements: str
  interface_names:
    description:
      - Only interfaces whose name matches one of these glob patterns (C(*), C(?), C([a-z])), e.g. C(eth*).
      - When not given, all interfaces.
    type: list
    elements: str
  exclude_interface_names:
    description:
      - Leave out interfaces whose name matches one of these glob patterns.
      - When not given, the bridges and tunnels of container and VM software, C(docker*), C(br-*), C(veth*), C(cni*), C(flannel*), C(cali*), C(vxlan*), C(tunl*), C(weave*), C(kube-*), C(cilium*), C(lxcbr*), C(lxdbr*), C(virbr*), C(podman*). An empty list leaves out none.
    type: list
    elements: str
  hardware_address:
    description:
      - Only the interface with this MAC address, in any spelling (C(52:54:00:12:34:56), C(52-54-00-12-34-56)).
    type: str
  cidr:
    description:
      - Only addresses inside one of these networks, e.g. C(10.0.0.0/8).
    type: list
    elements: str
  wait_for:
    description:
      - Wait until this many addresses pass the filters, of I(address_family) (with C(any), of either family).
      - C(0) does not wait.
    type: int
    default: 0
  wait_timeout:
    description:
      - Seconds to wait for I(wait_for) addresses before the task fails.
    type: int
    default: 300
notes:
  - Uses the agent command C(guest-network-get-interfaces).
seealso:
  - module: qgatools.qga.guest_osinfo
'''

EXAMPLES = r'''
- name: Wait for the guest's IPv4 address, then add it to the inventory
  qgatools.qga.guest_interfaces:
    domain: web1
    address_family: ipv4
    wait_for: 1
    wait_timeout: 180
  delegate_to: localhost

- name: Connect to it
  ansible.builtin.add_host:
    name: web1-ssh
    ansible_host: "{{ ansible_facts.qga_ipv4_address }}"

- name: The addresses of the NIC with this MAC, in the lab network
  qgatools.qga.guest_interfaces:
    domain: web1
    hardware_address: "52:54:00:12:34:56"
    cidr: [10.0.0.0/8]
'''

RETURN = r'''
ansible_facts:
  description: The addresses that pass the filters.
  returned: always
  type: dict
  contains:
    qga_ipv4_address:
      description: The first global IPv4 address that passes the filters, in the guest's order; empty when none does.
      returned: always
      type: str
      sample: 192.0.2.10
    qga_ipv6_address:
      description: The first global IPv6 address that passes the filters; empty when none does.
      returned: always
      type: str
      sample: '2001:db8::10'
    qga_addresses:
      description: Every address that passes the filters.
      returned: always
      type: list
      elements: str
      sample: [192.0.2.10, '2001:db8::10']
    qga_ipv4_addresses:
      description: The IPv4 addresses that pass the filters.
      returned: always
      type: list
      elements: str
      sample: [192.0.2.10]
    qga_ipv6_addresses:
      description: The IPv6 addresses that pass the filters.
      returned: always
      type: list
      elements: str
      sample: ['2001:db8::10']
    qga_matching_interfaces:
      description: The interfaces that pass the interface filters, each with the addresses that pass the address filters.
      returned: always
      type: list
      elements: dict
      sample:
        - name: eth0
          hardware_address: '52:54:00:12:34:56'
          ip_addresses:
            - {ip_address: 192.0.2.10, ip_address_type: ipv4, prefix: 24, scope: global}
'''
