# The demo of `make demo` (scripts/demo.sh): OpenTofu sets up user alice inside
# the demo VM through its QEMU guest agent, with no network access to the guest
# and no SSH: an SSH key, a password, a command, a file, and what the guest
# reports.
# scripts/demo.sh applies a copy of this file with the provider it just built;
# by hand: see examples/demo/README.md.
terraform {
  required_providers {
    qga = { source = "qgatools/qga" }
  }
}

variable "uri" {
  description = "libvirt URI of the hypervisor"
  type        = string
  default     = "qemu:///system"
}

variable "domain" {
  description = "libvirt domain of the guest"
  type        = string
  default     = "qga-demo"
}

variable "ssh_public_key_file" {
  description = "public key to let in as alice"
  type        = string
}

# Ephemeral and only sent through the write-only password_wo: it is in
# neither the plan nor the state (OpenTofu 1.11+ / Terraform 1.11+).
variable "password" {
  description = "alice's new password"
  type        = string
  sensitive   = true
  ephemeral   = true
}

provider "qga" {
  uri = var.uri
}

# Boots before anything else is asked of the guest: waits for an IPv4 address.
data "qga_guest_interfaces" "guest" {
  domain         = var.domain
  address_family = "ipv4"
  wait_for       = 1

  timeouts {
    read = "3m"
  }
}

data "qga_guest_osinfo" "guest" {
  domain = var.domain
}

# alice's authorized_keys holds exactly this key.
resource "qga_guest_ssh_keys" "alice" {
  domain    = var.domain
  username  = "alice"
  exclusive = true
  keys      = [trimspace(file(var.ssh_public_key_file))]
}

resource "qga_guest_user_password" "alice" {
  domain              = var.domain
  username            = "alice"
  password_wo         = var.password
  password_wo_version = 1 # bump to set the password again
}

# Runs once; change a trigger to run it again.
resource "qga_guest_exec" "hello" {
  domain   = var.domain
  path     = "/bin/sh"
  args     = ["-c", "uname -a; head -n 2 /etc/os-release"]
  timeout  = "1m"
  triggers = { demo = "1" }
}

# A file, written atomically (a temporary file in the same directory, then a
# rename), with the directory created if missing.
resource "qga_guest_file" "welcome" {
  domain             = var.domain
  path               = "/etc/qga-demo/welcome.txt"
  content            = "Configured by OpenTofu through the QEMU guest agent: no network, no SSH.\n"
  mode               = "0644"
  create_directories = true
}

# The same file read back from the guest: its sha256 is computed from what
# the guest holds, so it matching the resource's sha256 shows the write.
data "qga_guest_file" "welcome" {
  domain     = var.domain
  path       = qga_guest_file.welcome.path
  depends_on = [qga_guest_file.welcome]
}

output "guest" {
  value = {
    pretty_name    = data.qga_guest_osinfo.guest.pretty_name
    kernel_release = data.qga_guest_osinfo.guest.kernel_release
    machine        = data.qga_guest_osinfo.guest.machine
    hostname       = data.qga_guest_osinfo.guest.hostname
    timezone       = data.qga_guest_osinfo.guest.timezone
    agent_version  = data.qga_guest_osinfo.guest.agent_version
  }
}

output "addresses" {
  value = [
    for i in data.qga_guest_interfaces.guest.interfaces :
    "${i.name} ${join(", ", [for a in i.ip_addresses : "${a.address}/${a.prefix}"])}"
    if length(i.ip_addresses) > 0
  ]
}

output "alice_keys" {
  value = qga_guest_ssh_keys.alice.keys
}

output "alice_password_version" {
  value = qga_guest_user_password.alice.password_wo_version
}

output "file" {
  value = {
    path             = qga_guest_file.welcome.path
    sha256_written   = qga_guest_file.welcome.sha256
    sha256_read_back = data.qga_guest_file.welcome.sha256
    mode             = data.qga_guest_file.welcome.mode
  }
}

output "exec_stdout" {
  value = qga_guest_exec.hello.stdout
}

# The address to connect to: global, not a container bridge's.
output "ipv4_address" {
  value = data.qga_guest_interfaces.guest.ipv4_address
}
