# -*- coding: utf-8 -*-
# Documentation of qgatools.qga.guest_exec, for ansible-doc only: the module itself is
# the binary "guest_exec" next to this file (a link to bin/qga-module, built from
# cmd/qga-module), and a binary cannot carry its documentation inline.
# ansible-core reads DOCUMENTATION, EXAMPLES and RETURN from an adjacent .py
# file without running it; nothing here is executed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: guest_exec
short_description: Run a command inside a QEMU/KVM guest through the guest agent
version_added: 0.1.0
author: qgatools
description:
  - Runs a program inside a guest with the QEMU guest agent's C(guest-exec), waits for it to exit and returns its
    exit code and output, like M(ansible.builtin.command) does on a host. The guest needs no network access.
  - Give the program and its arguments as a list with I(argv), or a shell command line with I(cmd), which is run
    with C(/bin/sh -c).
  - The task fails when the command exits with a non-zero code or is killed by a signal.
  - The command runs as the user the guest agent runs as, normally root.
extends_documentation_fragment:
  - qgatools.qga.guest
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: partial
    details: >-
      The command is not run. With I(creates) or I(removes), the paths are tested in the guest and the result
      says whether the command would run (changed) or not; without them the task is skipped without contacting
      the guest, as M(ansible.builtin.command) does.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    details: I(cmd), I(creates) and I(removes) use the guest's C(/bin/sh); I(argv) works on any guest the agent runs on.
  action:
    support: none
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  argv:
    description:
      - The program (first element; the agent searches C(PATH) when it has no slash) and its arguments.
      - No shell is involved, so arguments need no quoting.
      - Exactly one of I(argv) and I(cmd) is required.
    type: list
    elements: str
  cmd:
    description:
      - A shell command line, run with C(/bin/sh -c), so pipes, redirections and variables work.
      - Exactly one of I(argv) and I(cmd) is required.
    type: str
  stdin:
    description:
      - Data fed to the command's standard input.
      - Shown in the task's result (C(invocation)) unless I(stdin_sensitive=true).
      - Through libvirt, input over 96 KiB is written first to a file under the guest's
        C(/tmp) (random name, mode 0600) that the command's shell removes before the command
        runs; Windows guests need I(agent_socket) for that much.
    type: str
  stdin_add_newline:
    description:
      - Add a newline after I(stdin), as M(ansible.builtin.command) does.
    type: bool
    default: true
  stdin_sensitive:
    description:
      - I(stdin) is a secret (a password piped to C(chpasswd), a key, ...). Its value, with or without
        surrounding white space, is then replaced by C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) or C(********)
        everywhere in the result, including C(invocation), the command's output and error messages, as for
        options marked C(no_log).
    type: bool
    default: false
  env:
    description:
      - Environment variables for the command.
      - The guest agent then starts the command with only these variables, not its own environment. C(PATH) is
        set to C(/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) unless given.
    type: dict
  timeout:
    description:
      - Seconds the command may run. When it runs longer, it is killed in the guest together with every process
        it started (stopped with SIGSTOP, then sent SIGKILL, by one guest-exec of C(/bin/sh)), and the task fails
        with a C(msg) that says how many processes were killed, or why none could be (for instance guest-exec
        blocked in the agent, in which case the command keeps running).
    type: int
    default: 600
  creates:
    description:
      - A path or shell glob pattern in the guest. When it matches an existing file, directory or symlink, the
        command is not run and the task reports no change.
    type: str
  removes:
    description:
      - A path or shell glob pattern in the guest. When it matches nothing, the command is not run and the task
        reports no change.
    type: str
  strip_empty_ends:
    description:
      - Strip trailing newlines from I(stdout) and I(stderr) in the result.
    type: bool
    default: true
notes:
  - Uses the agent commands C(guest-exec) and C(guest-exec-status); they must be enabled in the guest.
  - The agent keeps at most 16 MiB of each output stream (qemu-ga 7.2); longer output is cut, with a warning.
  - Through libvirt the command runs under a C(/bin/sh) wrapper that keeps its output in files of its own (mode 0600)
    in the guest's C(/tmp), read back with C(guest-file-read) and removed, so that output of any size up to 16 MiB
    per stream arrives; Windows guests get the plain C(guest-exec), whose output must stay under about 3 MB
    through libvirt (use I(agent_socket) for more).
  - The result always reports C(changed=true) when the command ran; use I(creates), I(removes) or the
    C(changed_when) keyword to say otherwise.
seealso:
  - module: ansible.builtin.command
  - module: community.libvirt.virt
'''

EXAMPLES = r'''
- name: Run a command in the guest, from the hypervisor (the inventory host)
  qgatools.qga.guest_exec:
    domain: web1
    argv: [systemctl, is-active, nginx]
  register: nginx_state
  changed_when: false

- name: Run a shell command line, from the controller on a remote hypervisor
  qgatools.qga.guest_exec:
    uri: qemu+ssh://root@hv1.example.com/system
    domain: web1
    cmd: df -h / | tail -n 1
  delegate_to: localhost

- name: Initialise a database once
  qgatools.qga.guest_exec:
    domain: db1
    cmd: /usr/local/bin/init-db && touch /var/lib/db/.initialised
    creates: /var/lib/db/.initialised
    timeout: 1800

- name: Set a password from a secret, through stdin
  qgatools.qga.guest_exec:
    domain: web1
    argv: [chpasswd]
    stdin: "deploy:{{ deploy_password }}"
    stdin_sensitive: true

- name: Run with environment variables
  qgatools.qga.guest_exec:
    agent_socket: /run/qemu/web1-qga.sock
    argv: [/usr/local/bin/report]
    env:
      LANG: C.UTF-8
      REPORT_FORMAT: json
'''

RETURN = r'''
cmd:
  description: The command run, as a list (with I(cmd), C(/bin/sh), C(-c) and the command line).
  returned: always
  type: list
  elements: str
  sample: [/bin/sh, -c, echo hello]
rc:
  description: The command's exit code; minus the signal number when a signal killed it.
  returned: always
  type: int
  sample: 0
stdout:
  description: The command's standard output (invalid UTF-8 replaced).
  returned: always
  type: str
  sample: hello
stderr:
  description: The command's standard error.
  returned: always
  type: str
  sample: ''
stdout_lines:
  description: I(stdout) split into lines.
  returned: always
  type: list
  elements: str
  sample: [hello]
stderr_lines:
  description: I(stderr) split into lines.
  returned: always
  type: list
  elements: str
  sample: []
msg:
  description: Why the command did not run, or why the task failed.
  returned: always
  type: str
  sample: non-zero return code
start:
  description: When the command started, on the host running the module.
  returned: when the command ran
  type: str
  sample: '2025-01-31 12:00:00.123456'
end:
  description: When the command ended, on the host running the module.
  returned: when the command ran
  type: str
  sample: '2025-01-31 12:00:00.623456'
delta:
  description: How long the command ran.
  returned: when the command ran
  type: str
  sample: '0:00:00.500000'
pid:
  description: The command's process ID in the guest.
  returned: when the command ran
  type: int
  sample: 1234
signal:
  description: The signal that killed the command.
  returned: when a signal killed the command
  type: int
  sample: 9
'''
