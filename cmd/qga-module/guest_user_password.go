package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

// guest_user_password sets a guest user's password with the agent's
// guest-set-user-password.
//
// How "changed" is decided: the agent can set a password but never read
// one back. With crypted=true the module reads the user's hash from the
// guest's /etc/shadow (guest-file-read) and reports changed=false, setting
// nothing, when it equals the hash given; so a task with a fixed hash is
// idempotent. A plain-text password cannot be compared without the guest's
// crypt(3), so it is set on every run and reported as changed. If
// /etc/shadow cannot be read (file commands disabled, not a Linux guest),
// the hash is set and reported as changed, with a warning.

type userPasswordArgs struct {
	connectionArgs `mapstructure:",squash"`
	User           string `mapstructure:"user"`
	Password       string `mapstructure:"password"`
	Crypted        bool   `mapstructure:"crypted"`
}

var guestUserPasswordModule = &ansible.Module{
	Name: "guest_user_password",
	Spec: withConnectionOptions(ansible.ArgSpec{Options: []ansible.Option{
		{Name: "user", Type: ansible.TypeStr, Required: true},
		{Name: "password", Type: ansible.TypeStr, Required: true, NoLog: true},
		{Name: "crypted", Type: ansible.TypeBool, Default: false},
	}}),
	Run: runGuestUserPassword,
}

// shadowPath is where a Linux guest keeps password hashes.
const shadowPath = "/etc/shadow"

var errNoShadowEntry = errors.New("no entry")

func runGuestUserPassword(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args userPasswordArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.User) == "" {
		return nil, fmt.Errorf("user must name a guest user, got an empty string")
	}
	if args.Password == "" {
		return nil, fmt.Errorf("password must not be empty")
	}
	if args.Crypted {
		// Writing a plain password as a hash would lock the account; the
		// provider's plan-time rule too.
		if err := guestrules.CheckCryptHash(args.Password); err != nil {
			return nil, fmt.Errorf("password with crypted=true: %w", err)
		}
	}

	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	// Fail before deciding anything, in check mode too, when the agent
	// cannot set passwords at all.
	cctx, cancel := g.call(ctx)
	err = g.client.Require(cctx, "guest-set-user-password")
	cancel()
	if err != nil {
		return nil, err
	}

	res := ansible.Result{"user": args.User, "crypted": args.Crypted, "hash_compared": false}
	changed := true
	if args.Crypted {
		current, err := shadowHash(ctx, g, args.User)
		switch {
		case errors.Is(err, errNoShadowEntry):
			return nil, fmt.Errorf("user %q does not exist in the guest (no entry in %s)", args.User, shadowPath)
		case err != nil:
			req.Warn("could not compare with the hash in the guest's %s, so the password is set and reported as changed: %v", shadowPath, err)
		default:
			res["hash_compared"] = true
			changed = current != args.Password
		}
	} else {
		res["msg"] = "a plain-text password is set on every run and reported as changed: the guest agent cannot read passwords back; give a crypt(3) hash with crypted=true to make the task idempotent"
	}
	res["changed"] = changed
	if !changed || req.CheckMode {
		return res, nil
	}

	cctx, cancel = g.call(ctx)
	defer cancel()
	if err := g.client.SetUserPassword(cctx, args.User, args.Password, args.Crypted); err != nil {
		return res, fmt.Errorf("setting the password: %w", err)
	}
	return res, nil
}

// shadowHash reads the user's password hash from the guest's /etc/shadow.
// Only that one field is kept; the rest of the file is never reported.
func shadowHash(ctx context.Context, g *guest, user string) (string, error) {
	cctx, cancel := g.call(ctx)
	defer cancel()
	data, err := g.client.ReadFile(cctx, shadowPath)
	if err != nil {
		return "", err
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		fields := strings.SplitN(string(line), ":", 3)
		if len(fields) >= 2 && fields[0] == user {
			return fields[1], nil
		}
	}
	return "", errNoShadowEntry
}
