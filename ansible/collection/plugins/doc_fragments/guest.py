# -*- coding: utf-8 -*-
# Documentation shared by every module of qgatools.qga: how a task names
# its guest. Read by ansible-doc only; nothing here runs.
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  uri:
    description:
      - libvirt connection URI of the hypervisor that runs the guest named by I(domain).
      - "Local, e.g. C(qemu:///system) when the module runs on the hypervisor itself (the hypervisor is the
        inventory host), or remote, e.g. C(qemu+ssh://root@hv1/system) when it runs elsewhere, typically with
        C(delegate_to: localhost). C(qemu+ssh://) runs the C(ssh) program of the host running the module, so its
        keys, agent and C(~/.ssh/config) apply; C(qemu+libssh://), C(qemu+tcp://) and C(qemu+tls://) also work."
      - When not set, the environment variable C(LIBVIRT_DEFAULT_URI) of the host running the module, else
        C(qemu:///system).
      - Ignored with I(agent_socket).
    type: str
  domain:
    description:
      - Name or UUID of the libvirt domain (the guest).
      - The domain needs a guest agent channel (C(org.qemu.guest_agent.0)) and qemu-guest-agent running inside.
      - Exactly one of I(domain) and I(agent_socket) is required.
    type: str
  agent_socket:
    description:
      - Path, on the host running the module, of a QEMU guest agent chardev socket
        (C(-chardev socket,id=qga0,path=PATH,server=on,wait=off)), for guests run by QEMU without libvirt.
      - Exactly one of I(domain) and I(agent_socket) is required.
    type: path
  agent_timeout:
    description:
      - Seconds to wait for the guest agent to answer (a guest that was just started may still be booting), and
        the longest wait for any single answer of the agent.
      - Failures that waiting cannot fix, such as an unknown or shut-off domain, fail at once.
    type: int
    default: 120
requirements:
  - On the guest, qemu-guest-agent running, with the agent commands the module uses enabled
  - On the host running the module, access to libvirt (for I(domain)) or to the agent socket. The module is a
    static binary and needs no Python or libvirt library there
notes:
  - The modules never connect to the guest over the network; everything goes through the guest agent, so they
    work on guests without network access or SSH.
  - "All modules are in the action group C(qgatools.qga.qga), so
    C(module_defaults: {group/qgatools.qga.qga: {domain: web1}}) names the guest once for a whole play."
'''
