# Wait until the guest has an IPv4 address, then use it.
data "qga_guest_interfaces" "web1" {
  domain           = "web1"
  address_family   = "ipv4"
  wait_for_address = true
  wait_timeout     = "5m"
}

output "web1_ip" {
  value = data.qga_guest_interfaces.web1.addresses[0]
}
