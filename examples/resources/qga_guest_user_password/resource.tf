# Terraform/OpenTofu >= 1.11: the password never reaches the state.
resource "qga_guest_user_password" "admin" {
  domain              = "web1"
  username            = "admin"
  password_wo         = var.admin_password
  password_wo_version = 1 # bump to set the password again
}

# Older Terraform: a sensitive attribute (kept in the state).
resource "qga_guest_user_password" "ops" {
  domain   = "web1"
  username = "ops"
  password = var.ops_password_hash
  crypted  = true # a crypt(3) hash, e.g. from `mkpasswd -m yescrypt`
}

variable "admin_password" {
  type      = string
  sensitive = true
}

variable "ops_password_hash" {
  type      = string
  sensitive = true
}
