package connhelper

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"
)

// inventoryTimeout bounds a whole --inventory run.
const inventoryTimeout = 2 * time.Minute

// Main runs the helper mode args ask for, if any: `--connection` (Serve) or
// `--inventory [URI]` (WriteInventory). ok is false when args ask for
// neither, and the caller goes on as a module.
func Main(args []string, in io.Reader, out, errOut io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "--connection":
		if len(args) != 1 {
			_, _ = fmt.Fprintln(errOut, "usage: qga-module --connection (requests as JSON lines on stdin)")
			return 2, true
		}
		// Ansible ends a connection by closing our stdin; a signal ends the
		// pending call's context so that a running command is killed in the guest.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return Serve(ctx, in, out, errOut), true
	case "--inventory":
		if len(args) > 2 {
			_, _ = fmt.Fprintln(errOut, "usage: qga-module --inventory [LIBVIRT_URI]")
			return 2, true
		}
		uri := ""
		if len(args) == 2 {
			uri = args[1]
		}
		ctx, cancel := context.WithTimeout(context.Background(), inventoryTimeout)
		defer cancel()
		if err := WriteInventory(ctx, uri, out); err != nil {
			_, _ = fmt.Fprintf(errOut, "qga-module --inventory: %v\n", err)
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
