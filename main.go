// Command terraform-provider-qga is the Terraform provider that manages
// things inside QEMU/KVM guests through the QEMU guest agent.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/qgatools/terraform-provider-qga/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := provider.Serve(context.Background(), version, providerserver.ServeOpts{
		Address: "registry.terraform.io/qgatools/qga",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
