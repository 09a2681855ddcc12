package qgaclient

import (
	"context"
	"encoding/base64"
	"errors"
)

// SetUserPassword sets a user's password in the guest. With crypted, password
// is a crypt(3) hash (e.g. "$y$..." or "$6$...") written as is; otherwise the
// guest hashes it. The password never appears in errors or logs.
func (c *Client) SetUserPassword(ctx context.Context, user, password string, crypted bool) error {
	const command = "guest-set-user-password"
	if password == "" {
		return newError(c.t.Target(), command, nil, errors.New("the password is empty: give a non-empty password or crypt(3) hash"))
	}
	if err := c.Require(ctx, command); err != nil {
		return withUser(err, user)
	}
	if t, ok := c.t.(typedAgent); ok {
		bctx, cancel := c.bounded(ctx)
		defer cancel()
		return withUser(t.setUserPassword(bctx, user, password, crypted), user)
	}
	args := map[string]any{
		"username": user,
		"password": base64.StdEncoding.EncodeToString([]byte(password)),
		"crypted":  crypted,
	}
	return withUser(c.call(ctx, command, args, nil), user)
}
