module github.com/qgatools/terraform-provider-qga

go 1.26.8

require github.com/digitalocean/go-libvirt v0.0.0-20261013170128-efbbdf578ac8

require (
	golang.org/x/crypto v0.50.0 // indirect
	golang.org/x/sys v0.43.0 // indirect
)
