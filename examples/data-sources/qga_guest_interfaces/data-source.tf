# Wait until the guest has a global IPv4 address (DHCP may answer after the
# agent does), then connect to it. Link-local, site-local and loopback
# addresses, and container bridges such as docker0, are left out by default.
data "qga_guest_interfaces" "web1" {
  domain         = "web1"
  address_family = "ipv4"
  wait_for       = 1

  timeouts {
    read = "5m"
  }
}

resource "terraform_data" "bootstrap" {
  connection {
    type = "ssh"
    user = "admin"
    host = data.qga_guest_interfaces.web1.ipv4_address
  }

  provisioner "remote-exec" {
    inline = ["uptime"]
  }
}

# Only the NIC libvirt gave this MAC, and only addresses in the lab network.
data "qga_guest_interfaces" "lab" {
  domain           = "web1"
  hardware_address = "52:54:00:12:34:56"
  cidr             = ["10.0.0.0/8"]
}

output "web1_ip" {
  value = data.qga_guest_interfaces.web1.ipv4_address
}
