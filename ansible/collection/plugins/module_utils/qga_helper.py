# Copyright (c) qgatools
# Mozilla Public License Version 2.0 (see LICENSE)
"""Finding and talking to the collection's Go helper (bin/qga-module).

Shared by the connection plugin qgatools.qga.qga and the inventory plugin
qgatools.qga.libvirt_guests. Runs on the controller only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

# Where build-collection.sh puts the binary, relative to plugins/<type>/<file>.py.
_BUNDLED = os.path.join('..', '..', 'bin', 'qga-module')


def helper_path(plugin_file, configured=None):
    """The qga-module binary: the configured one, else the collection's own."""
    if configured:
        return configured
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(plugin_file)), _BUNDLED))


def missing_helper_message(path):
    return ('the qgatools.qga helper %s is missing or not executable: install the collection from its '
            'release tarball for this controller\'s architecture (ansible-galaxy collection install '
            'qgatools-qga-VERSION-linux-ARCH.tar.gz), or set the helper option' % path)
