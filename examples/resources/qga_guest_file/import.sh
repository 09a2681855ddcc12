# <domain>:<absolute path>, or <agent socket path>:<absolute path> (the first
# ":/" ends the guest part). The import reads the file's sha256, mode, owner
# and group; the next apply writes the configured content once, unless the
# guest already has it.
terraform import qga_guest_file.motd web1:/etc/motd
