// Package guestrules holds the decisions that the Terraform provider
// (internal/provider) and the Ansible modules (cmd/qga-module) both make
// about a guest, so that they make them once and the same way:
//
//   - SSH keys: what a key's identity is, which lines are valid keys, and
//     which keys to add and remove in each mode (sshkeys*.go);
//   - crypt(3) hashes: what counts as one (crypthash.go);
//   - commands: running one with a deadline, then killing it, and what its
//     result means (exec.go);
//   - addresses: which of the guest's addresses a filter keeps, and waiting
//     until enough of them are there (addresses*.go);
//   - files: how a mode is spelled, and whether a file has the owner and
//     group asked for (files.go).
//
// The front ends only decode their input, call these rules and map the
// result to their own form (Terraform diagnostics and state, Ansible
// results). A parity test in cmd/qga-module feeds the same cases through
// both and checks that they decide the same.
//
// Where the two front ends used to decide differently, and which rule won:
//
//   - Key identity: the modules compared whole lines, the provider type and
//     key data. The provider's rule won: a comment or options are not part
//     of a key, so the same key with another comment is no change in either.
//     The provider's exclusive mode also showed such a key as drift; it now
//     records it as the configuration spells it (KeysOnRecord).
//   - Key validation: the modules checked nothing, so a malformed key went
//     into the guest. The provider's check won (CheckKeys), in both.
//   - Adding keys: the provider sent every listed key to the agent, which
//     compares exact lines and so added a key present under another comment
//     a second time. Both now add only the keys missing by identity.
//   - Crypt hashes: see cryptHash. DES refused (the provider's rule), a
//     leading "!" accepted (the modules' rule), "$id$x" without a separate
//     salt and hash refused (the provider's rule).
//   - Environment of a command: a default PATH when the variables set none
//     (the modules' rule, see DefaultGuestPath).
//   - Outcome of a command: both already used Client.Run for the deadline
//     and the kill; whether a finished command failed is now decided once
//     (Judge). Each front end keeps its own way to show a signal: the
//     provider's exit_code is 128 + N as a shell shows it, the module's rc
//     is -N as Ansible's command module shows it.
//   - Addresses: the provider dropped loopback only, the modules also
//     link-local and unspecified addresses. Both now go through one
//     AddressFilter, which by default keeps global addresses only and
//     leaves out the guest's own container and VM bridges (docker0, ...).
//   - File modes: qga_guest_file took three to five octal digits, guest_copy
//     any octal string, "0o755" too. Both now take three to five digits,
//     "0o" allowed (ParseFileMode); guest_copy still takes a YAML number.
//   - Owner and group: guest_copy compared a numeric spelling with the id
//     only, qga_guest_file with the name or the id. The provider's rule
//     won (SameAccount), as chown reads a number as a name first.
//
// The package talks to the guest only through *qgaclient.Client, and only
// where a rule needs to (applying a key plan, running a command, waiting
// for addresses); everything else is pure and tested without a guest.
package guestrules
