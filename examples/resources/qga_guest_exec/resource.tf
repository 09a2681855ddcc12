resource "qga_guest_exec" "hostname" {
  domain = "web1"
  path   = "/bin/sh"
  args   = ["-c", "hostnamectl set-hostname web1 && hostname"]

  timeout       = "2m"
  ok_exit_codes = [0]
  triggers = {
    name = "web1" # change to run it again
  }
}

# Feed a secret on stdin, and clean up on destroy.
resource "qga_guest_exec" "token" {
  agent_socket = "/var/lib/qemu/web2-qga.sock"
  path         = "/bin/sh"
  args         = ["-c", "umask 077; cat > /etc/app/token"]
  input        = var.app_token
  destroy_path = "/bin/rm"
  destroy_args = ["-f", "/etc/app/token"]
}

variable "app_token" {
  type      = string
  sensitive = true
}

output "guest_hostname" {
  value = qga_guest_exec.hostname.stdout
}
