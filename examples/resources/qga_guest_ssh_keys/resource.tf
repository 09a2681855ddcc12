# Add a deploy key for "deploy" in the guest; other keys stay.
resource "qga_guest_ssh_keys" "deploy" {
  domain   = "web1"
  username = "deploy"
  keys = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@ci",
  ]
}

# root's authorized_keys holds exactly these keys; any other is removed.
resource "qga_guest_ssh_keys" "root" {
  domain    = "web1"
  username  = "root"
  exclusive = true
  keys      = [file("~/.ssh/id_ed25519.pub")]
}
