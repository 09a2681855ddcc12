data "qga_guest_osinfo" "web1" {
  domain = "web1"
}

output "web1_os" {
  value = "${data.qga_guest_osinfo.web1.pretty_name} (kernel ${data.qga_guest_osinfo.web1.kernel_release}, agent ${data.qga_guest_osinfo.web1.agent_version})"
}
