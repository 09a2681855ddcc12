# A join token the guest generated, passed on to another guest without ever
# being stored in a plan or a state (Terraform 1.11+ / OpenTofu 1.11+ for the
# write-only attribute that receives it).
ephemeral "qga_guest_file" "join_token" {
  domain = "control1"
  path   = "/var/lib/cluster/join-token"
}

resource "qga_guest_file" "worker_token" {
  domain             = "worker1"
  path               = "/etc/cluster/join-token"
  content_wo         = ephemeral.qga_guest_file.join_token.content
  content_wo_version = 1
  mode               = "0600"
}
