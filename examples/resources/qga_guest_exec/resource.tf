resource "qga_guest_exec" "hostname" {
  domain = "web1"
  path   = "/bin/sh"
  args   = ["-c", "hostnamectl set-hostname web1 && hostname"]

  timeout       = "2m"
  ok_exit_codes = [0]
  triggers = {
    name = "web1" # change to run it again
  }

  # web1 may have just been created (e.g. by dmacvicar/libvirt) and its
  # agent not be up yet: wait for it up to 10 minutes, the command's 2
  # minutes included. Without the block: up to the provider's agent_timeout.
  timeouts {
    create = "10m"
  }
}

# Feed a secret on stdin, and clean up on destroy. input_wo (Terraform or
# OpenTofu 1.11 and later) keeps it out of the plan and the state; `input`
# would store it in the state, marked sensitive.
resource "qga_guest_exec" "token" {
  agent_socket     = "/var/lib/qemu/web2-qga.sock"
  path             = "/bin/sh"
  args             = ["-c", "umask 077; cat > /etc/app/token"]
  input_wo         = var.app_token
  input_wo_version = 1 # bump to write a new token
  destroy_path     = "/bin/rm"
  destroy_args     = ["-f", "/etc/app/token"]
}

variable "app_token" {
  type      = string
  sensitive = true
}

output "guest_hostname" {
  value = qga_guest_exec.hostname.stdout
}
