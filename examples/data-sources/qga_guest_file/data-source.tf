# Read what cloud-init left in the guest.
data "qga_guest_file" "cloud_init_result" {
  domain = "web1"
  path   = "/var/lib/cloud/data/result.json"
}

output "cloud_init_errors" {
  value = jsondecode(data.qga_guest_file.cloud_init_result.content).v1.errors
}
