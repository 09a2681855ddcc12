package qgaclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/digitalocean/go-libvirt"
)

// The libvirt transport's typed calls (see typedAgent).

func (t *libvirtTransport) sshKeys(ctx context.Context, user string) ([]string, error) {
	var keys []string
	err := t.do(ctx, "guest-ssh-get-authorized-keys", func(l *libvirt.Libvirt, dom libvirt.Domain) error {
		var err error
		keys, err = l.DomainAuthorizedSshKeysGet(dom, user, 0)
		return err
	})
	return keys, err
}

func (t *libvirtTransport) setSSHKeys(ctx context.Context, user string, keys []string, mode keyMode) error {
	command, flags := "guest-ssh-add-authorized-keys", uint32(libvirt.DomainAuthorizedSSHKeysSetAppend)
	switch mode {
	case keysRemove:
		command, flags = "guest-ssh-remove-authorized-keys", uint32(libvirt.DomainAuthorizedSSHKeysSetRemove)
	case keysReplace:
		flags = 0 // neither flag: replace the whole file
	}
	return t.do(ctx, command, func(l *libvirt.Libvirt, dom libvirt.Domain) error {
		return l.DomainAuthorizedSshKeysSet(dom, user, keys, flags)
	})
}

func (t *libvirtTransport) setUserPassword(ctx context.Context, user, password string, crypted bool) error {
	var flags libvirt.DomainSetUserPasswordFlags
	if crypted {
		flags = libvirt.DomainPasswordEncrypted
	}
	return t.do(ctx, "guest-set-user-password", func(l *libvirt.Libvirt, dom libvirt.Domain) error {
		return l.DomainSetUserPassword(dom, libvirt.OptString{user}, libvirt.OptString{password}, flags)
	})
}

func (t *libvirtTransport) guestInfo(ctx context.Context) (*GuestInfo, error) {
	types := uint32(libvirt.DomainGuestInfoOs | libvirt.DomainGuestInfoHostname | libvirt.DomainGuestInfoTimezone | libvirt.DomainGuestInfoUsers)
	var params []libvirt.TypedParam
	err := t.do(ctx, "", func(l *libvirt.Libvirt, dom libvirt.Domain) error {
		var err error
		params, err = l.DomainGetGuestInfo(dom, types, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	return guestInfoFromParams(params), nil
}

// guestInfoFromParams reads libvirt's flat typed parameters ("os.id",
// "timezone.offset", "user.0.name", ...) into a GuestInfo.
func guestInfoFromParams(params []libvirt.TypedParam) *GuestInfo {
	gi := &GuestInfo{}
	os := map[string]*string{
		"os.id": &gi.OS.ID, "os.name": &gi.OS.Name, "os.pretty-name": &gi.OS.PrettyName,
		"os.version": &gi.OS.Version, "os.version-id": &gi.OS.VersionID, "os.variant": &gi.OS.Variant,
		"os.variant-id": &gi.OS.VariantID, "os.kernel-release": &gi.OS.KernelRelease,
		"os.kernel-version": &gi.OS.KernelVersion, "os.machine": &gi.OS.Machine,
		"hostname": &gi.Hostname, "timezone.name": &gi.Timezone.Zone,
	}
	users := map[int]*User{}
	for _, p := range params {
		if dst, ok := os[p.Field]; ok {
			*dst = fmt.Sprint(p.Value.I)
			continue
		}
		if p.Field == "timezone.offset" {
			gi.Timezone.Offset = int(paramInt(p.Value))
			continue
		}
		// user.<n>.name, user.<n>.domain, user.<n>.login-time (milliseconds)
		parts := strings.SplitN(p.Field, ".", 3)
		if len(parts) != 3 || parts[0] != "user" {
			continue
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil {
			continue
		}
		u := users[n]
		if u == nil {
			u = &User{}
			users[n] = u
		}
		switch parts[2] {
		case "name":
			u.Name = fmt.Sprint(p.Value.I)
		case "domain":
			u.Domain = fmt.Sprint(p.Value.I)
		case "login-time":
			u.LoginTime = float64(paramInt(p.Value)) / 1000
		}
	}
	gi.Users = make([]User, 0, len(users))
	for i := 0; i < len(users); i++ {
		if u := users[i]; u != nil {
			gi.Users = append(gi.Users, *u)
		}
	}
	return gi
}

func paramInt(v libvirt.TypedParamValue) int64 {
	switch x := v.I.(type) {
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}
