// Package connhelper is the Go side of the Ansible connection plugin
// qgatools.qga.qga and of the inventory plugin qgatools.qga.libvirt_guests.
//
// The connection plugin starts `qga-module --connection` once per Ansible
// connection and speaks line-delimited JSON with it on stdin/stdout: one
// request per line, one response per line, in order. So the libvirt
// connection, the agent's guest-info and the learned write chunk are reused
// by every exec_command, put_file and fetch_file of a host, and the plugin
// itself stays a thin Python layer over internal/qgaclient.
//
// The inventory plugin runs `qga-module --inventory URI`, which prints the
// domains of a libvirt URI that have a guest agent channel, with what their
// agents report (see Inventory).
package connhelper
