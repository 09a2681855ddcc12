# <domain>/<username>, or <agent socket path>/<username>
terraform import qga_guest_ssh_keys.deploy web1/deploy
