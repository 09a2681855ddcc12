"""Serves a directory over HTTPS on 127.0.0.1, on a free port written to a
file: the static provider registry of scripts/test-release.sh.

Usage: https-server.py ROOT CERT KEY PORT_FILE
"""
import functools
import http.server
import os
import ssl
import sys

root, cert, key, port_file = sys.argv[1:]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(cert, key)
server.socket = tls.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# Renamed, so that a reader never sees a half-written port.
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
