package qgaclient

import (
	"context"
	"errors"
)

// AgentInfo is guest-info: the agent's version and its commands.
type AgentInfo struct {
	Version  string        `json:"version"`
	Commands []CommandInfo `json:"supported_commands"`
}

// CommandInfo describes one agent command.
type CommandInfo struct {
	Name            string `json:"name"`
	Enabled         bool   `json:"enabled"`
	SuccessResponse bool   `json:"success-response"`
}

// Command looks a command up by name.
func (i *AgentInfo) Command(name string) (CommandInfo, bool) {
	for _, c := range i.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return CommandInfo{}, false
}

// OSInfo is guest-get-osinfo. Fields the guest does not report are empty.
type OSInfo struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	PrettyName    string `json:"pretty-name,omitempty"`
	Version       string `json:"version,omitempty"`
	VersionID     string `json:"version-id,omitempty"`
	Variant       string `json:"variant,omitempty"`
	VariantID     string `json:"variant-id,omitempty"`
	KernelRelease string `json:"kernel-release,omitempty"`
	KernelVersion string `json:"kernel-version,omitempty"`
	Machine       string `json:"machine,omitempty"`
}

// Timezone is guest-get-timezone.
type Timezone struct {
	Zone   string `json:"zone,omitempty"`
	Offset int    `json:"offset"` // seconds east of UTC
}

// User is one logged-in user from guest-get-users.
type User struct {
	Name      string  `json:"user"`
	Domain    string  `json:"domain,omitempty"`
	LoginTime float64 `json:"login-time"` // seconds since the epoch
}

// GuestInfo gathers what libvirt's guest-info API returns in one call.
type GuestInfo struct {
	OS       OSInfo
	Hostname string
	Timezone Timezone
	Users    []User
}

// Ping checks that the agent answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, "guest-ping", nil, nil)
}

// Info returns the agent's version and commands (uncached).
func (c *Client) Info(ctx context.Context) (*AgentInfo, error) {
	var info AgentInfo
	if err := c.call(ctx, "guest-info", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// OSInfo returns the guest's operating system details.
func (c *Client) OSInfo(ctx context.Context) (*OSInfo, error) {
	if t, ok := c.t.(typedAgent); ok {
		gi, err := c.typedGuestInfo(ctx, t, "guest-get-osinfo")
		if err != nil {
			return nil, err
		}
		return &gi.OS, nil
	}
	var os OSInfo
	if err := c.call(ctx, "guest-get-osinfo", nil, &os); err != nil {
		return nil, err
	}
	return &os, nil
}

// Hostname returns the guest's host name.
func (c *Client) Hostname(ctx context.Context) (string, error) {
	if t, ok := c.t.(typedAgent); ok {
		gi, err := c.typedGuestInfo(ctx, t, "guest-get-host-name")
		if err != nil {
			return "", err
		}
		return gi.Hostname, nil
	}
	var h struct {
		Name string `json:"host-name"`
	}
	if err := c.call(ctx, "guest-get-host-name", nil, &h); err != nil {
		return "", err
	}
	return h.Name, nil
}

// Timezone returns the guest's time zone.
func (c *Client) Timezone(ctx context.Context) (*Timezone, error) {
	if t, ok := c.t.(typedAgent); ok {
		gi, err := c.typedGuestInfo(ctx, t, "guest-get-timezone")
		if err != nil {
			return nil, err
		}
		return &gi.Timezone, nil
	}
	var tz Timezone
	if err := c.call(ctx, "guest-get-timezone", nil, &tz); err != nil {
		return nil, err
	}
	return &tz, nil
}

// Users returns the users logged in to the guest.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	if t, ok := c.t.(typedAgent); ok {
		gi, err := c.typedGuestInfo(ctx, t, "guest-get-users")
		if err != nil {
			return nil, err
		}
		return gi.Users, nil
	}
	users := []User{}
	if err := c.call(ctx, "guest-get-users", nil, &users); err != nil {
		return nil, err
	}
	return users, nil
}

// typedGuestInfo runs libvirt's guest-info API after checking that the agent
// command behind the wanted part is available: libvirt silently leaves out
// parts whose command is missing or disabled, and callers need to know why.
func (c *Client) typedGuestInfo(ctx context.Context, t typedAgent, command string) (*GuestInfo, error) {
	if err := c.Require(ctx, command); err != nil {
		return nil, err
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	gi, err := t.guestInfo(ctx)
	if err != nil {
		c.forgetInfoOn(err)
		var e *Error
		if errors.As(err, &e) && e.Command == "" {
			e.Command = command
		}
		return nil, err
	}
	return gi, nil
}
