# A configuration file, replaced atomically; put back if it changes in the guest.
resource "qga_guest_file" "motd" {
  domain  = "web1"
  path    = "/etc/motd"
  content = "Managed by Terraform.\n"
  mode    = "0644"
}

# A large file copied from the machine that runs Terraform.
resource "qga_guest_file" "bundle" {
  domain             = "web1"
  path               = "/opt/app/bundle.tar.gz"
  source             = "${path.module}/bundle.tar.gz"
  create_directories = true
}

# A secret that never reaches the plan or the state (Terraform/OpenTofu 1.11+):
# bump content_wo_version to write a new value.
resource "qga_guest_file" "token" {
  domain             = "web1"
  path               = "/etc/app/token"
  content_wo         = var.app_token
  content_wo_version = 1
  mode               = "0600"
  owner              = "app"
}

variable "app_token" {
  type      = string
  sensitive = true
}
