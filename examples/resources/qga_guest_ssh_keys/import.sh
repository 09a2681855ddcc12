# <domain>/<username>, or <agent socket path>/<username>. The domain may be
# given by name or UUID. The import adopts every key in the file, but with
# exclusive = false only keys the configuration lists (and later drops) are
# ever removed: the other keys stay, on apply and on destroy.
terraform import qga_guest_ssh_keys.deploy web1/deploy
