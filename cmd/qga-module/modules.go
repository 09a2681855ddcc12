package main

import "github.com/qgatools/terraform-provider-qga/internal/ansible"

// collection is the collection qgatools.qga: every module this binary is.
// The connection URI's password and secret query values are hidden in all
// output, and redacted in invocation.module_args.
var collection = &ansible.Collection{
	Name:       "qgatools.qga",
	Modules:    []*ansible.Module{guestExecModule, guestSSHKeysModule, guestUserPasswordModule, guestOSInfoModule, guestInterfacesModule, guestCopyModule, guestFetchModule},
	Secrets:    uriSecrets,
	Invocation: withRedactedURI,
}
