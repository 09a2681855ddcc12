# Local libvirt (the default): guests are named by their libvirt domain.
provider "qga" {
  uri           = "qemu:///system"
  agent_timeout = "3m"
}

# A remote hypervisor, reached with the ssh program like virsh does:
# provider "qga" {
#   uri = "qemu+ssh://root@hypervisor.example.com/system"
# }
