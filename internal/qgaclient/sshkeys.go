package qgaclient

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// SSHKeys returns the keys in the user's ~/.ssh/authorized_keys. A missing
// file means no keys, not an error: that is what a fresh account looks like.
// The order is the agent's (qemu-ga 7.2 returns the file's lines last
// first): compare the keys as a set.
func (c *Client) SSHKeys(ctx context.Context, user string) ([]string, error) {
	const command = "guest-ssh-get-authorized-keys"
	if err := c.Require(ctx, command); err != nil {
		return nil, err
	}
	var keys []string
	var err error
	if t, ok := c.t.(typedAgent); ok {
		bctx, cancel := c.bounded(ctx)
		keys, err = t.sshKeys(bctx, user)
		cancel()
	} else {
		var out struct {
			Keys []string `json:"keys"`
		}
		err = c.call(ctx, command, map[string]any{"username": user}, &out)
		keys = out.Keys
	}
	if err != nil {
		if isMissingFile(err) {
			return []string{}, nil
		}
		return nil, withUser(err, user)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// AddSSHKeys appends keys to the user's authorized_keys; keys already there
// are left as they are (the agent does not duplicate them).
func (c *Client) AddSSHKeys(ctx context.Context, user string, keys []string) error {
	return c.changeSSHKeys(ctx, "guest-ssh-add-authorized-keys", user, keys, keysAppend)
}

// RemoveSSHKeys removes keys from the user's authorized_keys; absent keys are
// not an error.
func (c *Client) RemoveSSHKeys(ctx context.Context, user string, keys []string) error {
	return c.changeSSHKeys(ctx, "guest-ssh-remove-authorized-keys", user, keys, keysRemove)
}

// SetSSHKeys makes the user's authorized_keys hold exactly keys.
func (c *Client) SetSSHKeys(ctx context.Context, user string, keys []string) error {
	return c.changeSSHKeys(ctx, "guest-ssh-add-authorized-keys", user, keys, keysReplace)
}

func (c *Client) changeSSHKeys(ctx context.Context, command, user string, keys []string, mode keyMode) error {
	if err := c.Require(ctx, command); err != nil {
		return err
	}
	if keys == nil {
		keys = []string{}
	}
	if t, ok := c.t.(typedAgent); ok {
		bctx, cancel := c.bounded(ctx)
		defer cancel()
		return withUser(t.setSSHKeys(bctx, user, keys, mode), user)
	}
	args := map[string]any{"username": user, "keys": keys}
	if mode == keysReplace {
		args["reset"] = true
	}
	return withUser(c.call(ctx, command, args, nil), user)
}

// isMissingFile tells the agent's "authorized_keys does not exist" apart from
// real failures; qemu-ga reports it only in the error text.
func isMissingFile(err error) bool {
	var ae *AgentError
	if errors.As(err, &ae) {
		return strings.Contains(ae.Desc, "No such file or directory")
	}
	var e *Error
	return errors.As(err, &e) && e.Err != nil && strings.Contains(e.Err.Error(), "No such file or directory")
}

// withUser says which account an error was about, since the agent's own
// message often does not.
func withUser(err error, user string) error {
	return withAbout(err, "user "+strconv.Quote(user))
}
