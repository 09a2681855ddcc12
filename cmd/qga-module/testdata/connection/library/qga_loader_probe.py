#!/usr/bin/python
# A test module (cmd/qga-module/testdata/connection): reports where the
# guest's Python loaded ansible.module_utils.basic from, so that the
# connection test sees whether the connection plugin's precompiled bytecode
# (plugins/plugin_utils/precompile.py) was used: .../basic.pyc, or the
# source .../basic.py when precompile is off.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils import basic


def main():
    module = basic.AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, origin=basic.__spec__.origin)


if __name__ == '__main__':
    main()
