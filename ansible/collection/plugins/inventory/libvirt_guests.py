# Copyright (c) qgatools
# Mozilla Public License Version 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: libvirt_guests
short_description: The QEMU/KVM guests of a libvirt host that have a guest agent
description:
  - Lists the domains of a libvirt URI that have a guest agent channel
    (C(org.qemu.guest_agent.0)), each as a host that the connection plugin
    C(qgatools.qga.qga) reaches through its agent.
  - Asks each running guest's agent for its OS (C(guest-get-osinfo)), host name and
    addresses, as host variables, and groups the hosts by state and OS.
  - Uses the collection's helper binary (C(bin/qga-module --inventory)); libvirt-python is not needed.
  - The configuration file's name must end with C(libvirt_guests.yml) or C(libvirt_guests.yaml).
author: qgatools
version_added: 0.1.0
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin; it identifies the file as its configuration.
    required: true
    choices: ['qgatools.qga.libvirt_guests']
  uri:
    description:
      - The libvirt connection URI (local or remote, as for the connection plugin).
    default: qemu:///system
    type: str
  running_only:
    description: List only the running domains.
    default: false
    type: bool
  helper:
    description:
      - The qga-module binary to use. By default the collection's own.
    type: path
notes:
  - "Host variables: C(ansible_connection) (C(qgatools.qga.qga)), C(ansible_host) (the domain's
    name), C(ansible_qga_uri), C(qga_uuid), C(qga_state), C(qga_agent) (whether the agent
    answered), C(qga_osinfo), C(qga_hostname), C(qga_interfaces), C(qga_ipv4_addresses),
    C(qga_ipv6_addresses)."
  - "Groups: C(qga_state_<state>) (e.g. C(qga_state_running), C(qga_state_shutoff)),
    C(qga_os_<id>) from C(guest-get-osinfo) (e.g. C(qga_os_debian)), C(qga_agent_up) for the
    guests whose agent answered."
'''

EXAMPLES = r'''
# guests.libvirt_guests.yml
plugin: qgatools.qga.libvirt_guests
uri: qemu+ssh://root@hv1.example.com/system
running_only: true
keyed_groups:
  - key: qga_osinfo['version-id'] | default('unknown')
    prefix: debian_version
'''

import json
import os
import subprocess

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.qgatools.qga.plugins.module_utils.qga_helper import helper_path, missing_helper_message

# The helper bounds its own run (2 minutes); this is the last resort.
_HELPER_TIMEOUT = 180


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = 'qgatools.qga.libvirt_guests'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and \
            path.endswith(('libvirt_guests.yml', 'libvirt_guests.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        uri = self.get_option('uri')
        for guest in self._list_guests(uri):
            if self.get_option('running_only') and guest['state'] != 'running':
                continue
            self._add_guest(guest, uri)

    def _list_guests(self, uri):
        helper = helper_path(__file__, self.get_option('helper'))
        if not os.access(helper, os.X_OK):
            raise AnsibleParserError(missing_helper_message(helper))
        try:
            proc = subprocess.run([helper, '--inventory', uri], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=_HELPER_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise AnsibleParserError('qgatools.qga.libvirt_guests: running %s: %s' % (helper, to_native(e)))
        if proc.returncode != 0:
            raise AnsibleParserError('qgatools.qga.libvirt_guests: %s' % to_text(proc.stderr).strip())
        try:
            return json.loads(to_text(proc.stdout))['guests']
        except (ValueError, KeyError) as e:
            raise AnsibleParserError('qgatools.qga.libvirt_guests: unexpected helper output: %s' % to_native(e))

    def _add_guest(self, guest, uri):
        name = guest['name']
        self.inventory.add_host(name)
        hostvars = {
            'ansible_connection': 'qgatools.qga.qga',
            'ansible_host': name,
            'ansible_qga_uri': uri,
            'qga_uuid': guest['uuid'],
            'qga_state': guest['state'],
            'qga_agent': guest['agent'],
            'qga_osinfo': guest.get('osinfo') or {},
            'qga_hostname': guest.get('hostname', ''),
            'qga_interfaces': guest.get('interfaces') or [],
            'qga_ipv4_addresses': guest.get('ipv4_addresses') or [],
            'qga_ipv6_addresses': guest.get('ipv6_addresses') or [],
        }
        for k, v in hostvars.items():
            self.inventory.set_variable(name, k, v)
        groups = ['qga_state_' + guest['state']]
        if guest['agent']:
            groups.append('qga_agent_up')
            os_id = hostvars['qga_osinfo'].get('id')
            if os_id:
                groups.append('qga_os_' + os_id)
        for g in groups:
            g = self._sanitize_group_name(g)
            self.inventory.add_group(g)
            self.inventory.add_child(g, name)
        strict = self.get_option('strict')
        self._set_composite_vars(self.get_option('compose'), hostvars, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option('groups'), hostvars, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, name, strict=strict)
