#!/usr/bin/env bash
# session-libvirtd.sh: a second, real libvirtd for the URIs the shared system
# daemon does not serve, without touching that daemon: the per-user
# ("session") libvirtd of a non-root user, QGA_TESTBED_SESSION_USER
# (qga-session, created here), with its own test-bed guest (the domain
# qga-session, 512 MiB, its agent answers about 15 s after start). Besides its
# unix socket (qemu:///session) it listens on loopback, with libvirtd's own
# listeners: TCP without authentication (as qemu+tcp:// with SASL off) and
# TLS with a CA, server and client certificates made here with openssl. The
# system daemon and its domains are left alone: Debian 12's libvirt 9.0 has
# no virtproxyd to forward qemu:///system, and a second privileged libvirtd
# would manage the same domains. Idempotent (0.1 s when up). Prints:
#   QGA_TEST_SESSION_USER, QGA_TEST_SESSION_HOME, QGA_TEST_SESSION_DOMAIN,
#   QGA_TEST_TCP_URI, QGA_TEST_TLS_URI, QGA_TEST_PKI (the test client's
#   pkipath), QGA_TEST_PKI_OTHER (a CA and client certificate that libvirtd
#   does not trust).
# Stop it with: session-libvirtd.sh stop
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

user=${QGA_TESTBED_SESSION_USER:-qga-session}
domain=qga-session
tcp_port=${QGA_TESTBED_TCP_PORT:-16509}
tls_port=${QGA_TESTBED_TLS_PORT:-16514}

[ "$(id -u)" = 0 ] || die "session-libvirtd.sh creates a user and runs its daemon: run it as root"

exec 9>"$QGA_CACHE/testbed/session-libvirtd.lock"
flock -w 300 9 || die "another session-libvirtd.sh has held its lock for 5 minutes"

# as_user runs a command as the session user with a clean environment: no
# XDG_RUNTIME_DIR (there is no login session here), so libvirt puts its
# sockets in ~/.cache/libvirt, where qemu:///session finds them.
as_user() {
	runuser -u "$user" -- env -i HOME="$home" PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

if [ "${1:-}" = stop ]; then
	if id "$user" >/dev/null 2>&1; then
		home=$(getent passwd "$user" | cut -d: -f6)
		as_user virsh -q -c qemu:///session destroy "$domain" >/dev/null 2>&1 || true
		if pid_alive "$home/qga/libvirtd.pid"; then
			kill "$(cat "$home/qga/libvirtd.pid")"
			log "stopped the session libvirtd of $user"
		fi
	fi
	exit 0
fi

apt_install libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 openssl util-linux
id "$user" >/dev/null 2>&1 || { log "creating the user $user"; useradd -m -s /bin/sh "$user"; }
home=$(getent passwd "$user" | cut -d: -f6)
state="$home/qga"
install -d -o "$user" -g "$user" -m 700 "$state" "$state/pki"

# Certificates: a CA, the daemon's (localhost, 127.0.0.1), a client's; and
# another CA with a client certificate of its own, which libvirtd must refuse.
# libvirt checks the key usages, so each certificate says what it is for.
pki="$QGA_CACHE/testbed/session-pki"
make_ca() {
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
		-keyout "$1/cakey.pem" -out "$1/cacert.pem" -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_leaf() { # CADIR OUTDIR NAME CN USAGE [SAN]
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$2/$3key.pem" -out "$2/$3.csr" -subj "/CN=$4" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$5" "${6:-}" >"$2/$3.ext"
	openssl x509 -req -in "$2/$3.csr" -CA "$1/cacert.pem" -CAkey "$1/cakey.pem" -CAcreateserial \
		-days 3650 -extfile "$2/$3.ext" -out "$2/$3cert.pem" 2>/dev/null
	rm -f "$2/$3.csr" "$2/$3.ext"
}
if [ ! -f "$pki/done" ]; then
	log "making the TLS certificates in $pki"
	rm -rf "$pki" && mkdir -p "$pki/client" "$pki/other" "$pki/server" && chmod 700 "$pki"
	make_ca "$pki/client" "qga test CA"
	make_leaf "$pki/client" "$pki/server" server localhost serverAuth "subjectAltName=DNS:localhost,IP:127.0.0.1"
	make_leaf "$pki/client" "$pki/client" client qga-test-client clientAuth
	make_ca "$pki/other" "qga untrusted CA"
	make_leaf "$pki/other" "$pki/other" client qga-test-client clientAuth
	rm -f "$pki"/*/*.srl
	touch "$pki/done"
fi
install -o "$user" -m 600 "$pki/client/cacert.pem" "$state/pki/cacert.pem"
install -o "$user" -m 600 "$pki/server/servercert.pem" "$pki/server/serverkey.pem" "$state/pki/"

cat >"$state/libvirtd.conf.new" <<CONF
# Written by testbed/session-libvirtd.sh.
listen_tcp = 1
listen_tls = 1
listen_addr = "127.0.0.1"
tcp_port = "$tcp_port"
tls_port = "$tls_port"
auth_tcp = "none"
auth_tls = "none"
ca_file = "$state/pki/cacert.pem"
cert_file = "$state/pki/servercert.pem"
key_file = "$state/pki/serverkey.pem"
CONF
chown "$user:" "$state/libvirtd.conf.new"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
session_up() { as_user virsh -q -c qemu:///session version >/dev/null 2>&1; }
if pid_alive "$state/libvirtd.pid" && cmp -s "$state/libvirtd.conf.new" "$state/libvirtd.conf"; then
	rm "$state/libvirtd.conf.new"
else
	if pid_alive "$state/libvirtd.pid"; then
		log "the session libvirtd's configuration changed: restarting it"
		kill "$(cat "$state/libvirtd.pid")"
		sleep 1
	fi
	for p in "$tcp_port" "$tls_port"; do
		listening "$p" && die "port $p on 127.0.0.1 is taken by another program: set QGA_TESTBED_TCP_PORT / QGA_TESTBED_TLS_PORT"
	done
	mv "$state/libvirtd.conf.new" "$state/libvirtd.conf"
	log "starting the session libvirtd of $user (tcp $tcp_port, tls $tls_port on 127.0.0.1)"
	(cd / && as_user libvirtd -d --listen -f "$state/libvirtd.conf" -p "$state/libvirtd.pid")
	wait_for "the session libvirtd" 30 "" session_up
fi

# The guest: the test bed's image, copied where the user's QEMU can read it.
guest=$("$TESTBED_DIR/build-guest.sh")
if ! cmp -s "$guest/kernel" "$state/kernel" || ! cmp -s "$guest/initrd.img" "$state/initrd.img"; then
	as_user virsh -q -c qemu:///session destroy "$domain" >/dev/null 2>&1 || true
	install -o "$user" -m 644 "$guest/kernel" "$guest/initrd.img" "$state/"
fi
cat >"$state/$domain.xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$state/kernel</kernel>
    <initrd>$state/initrd.img</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'><source path='$state/console.log' append='off'/><target port='0'/></serial>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
chown "$user:" "$state/$domain.xml"
ping_agent() { as_user virsh -q -c qemu:///session qemu-agent-command "$domain" --timeout 5 '{"execute":"guest-ping"}' >/dev/null 2>&1; }
if [ "$(as_user virsh -q -c qemu:///session domstate "$domain" 2>/dev/null)" != running ]; then
	log "starting the session domain $domain"
	as_user virsh -q -c qemu:///session create "$state/$domain.xml" >/dev/null
fi
wait_for "the session guest's agent" "$QGA_TESTBED_WAIT" "$state/console.log" ping_agent

echo "QGA_TEST_SESSION_USER=$user"
echo "QGA_TEST_SESSION_HOME=$home"
echo "QGA_TEST_SESSION_DOMAIN=$domain"
# On libvirt's default ports the URIs name none, as users write them.
tcp_host=127.0.0.1 tls_host=localhost
[ "$tcp_port" = 16509 ] || tcp_host+=":$tcp_port"
[ "$tls_port" = 16514 ] || tls_host+=":$tls_port"
echo "QGA_TEST_TCP_URI=qemu+tcp://$tcp_host/session"
echo "QGA_TEST_TLS_URI=qemu+tls://$tls_host/session?pkipath=$pki/client"
echo "QGA_TEST_PKI=$pki/client"
echo "QGA_TEST_PKI_OTHER=$pki/other"
