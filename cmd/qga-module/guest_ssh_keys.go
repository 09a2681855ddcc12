package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// guest_ssh_keys manages a guest user's ~/.ssh/authorized_keys through the
// agent's guest-ssh-* commands: it reads the keys, works out what has to
// change, and changes only that, so a second run reports no change.

type sshKeysArgs struct {
	connectionArgs `mapstructure:",squash"`
	User           string   `mapstructure:"user"`
	Keys           []string `mapstructure:"keys"`
	State          string   `mapstructure:"state"`
	Exclusive      bool     `mapstructure:"exclusive"`
}

var guestSSHKeysModule = &module{
	Name: "guest_ssh_keys",
	Spec: withConnectionOptions(argSpec{Options: []option{
		{Name: "user", Type: typeStr, Required: true},
		// Keys split on lines, not commas: options such as from="a,b" hold
		// commas, and the contents of a .pub or authorized_keys file is
		// one key per line.
		{Name: "keys", Type: typeList, Required: true, Aliases: []string{"key"}, ListSeparator: "\n"},
		{Name: "state", Type: typeStr, Default: "present", Choices: []string{"present", "absent"}},
		{Name: "exclusive", Type: typeBool, Default: false},
	}}),
	Run: runGuestSSHKeys,
}

// sshKeysPlan is what a run has to do, worked out from the keys the guest
// has and the task's options.
type sshKeysPlan struct {
	Before, After  []string
	Added, Removed []string
}

// changed compares keys as sets: qemu-ga returns authorized keys in an
// order of its own (7.2 lists them last line first), so order carries no
// meaning here.
func (p sshKeysPlan) changed() bool { return len(p.Added) > 0 || len(p.Removed) > 0 }

func runGuestSSHKeys(ctx context.Context, req *request) (result, error) {
	var args sshKeysArgs
	if err := req.decode(&args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.User) == "" {
		return nil, fmt.Errorf("user must name a guest user, got an empty string")
	}
	if args.Exclusive && args.State == "absent" {
		return nil, fmt.Errorf("exclusive=true applies to state=present only (it makes the keys given the only ones); with state=absent, list the keys to remove")
	}
	wanted := normalizeKeys(args.Keys)

	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	cctx, cancel := g.call(ctx)
	current, err := g.client.SSHKeys(cctx, args.User)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("reading the authorized keys: %w", err)
	}
	plan := planSSHKeys(current, wanted, args.State, args.Exclusive)

	res := result{
		"changed": plan.changed(), "user": args.User, "state": args.State, "exclusive": args.Exclusive,
		"keys": plan.After, "added": plan.Added, "removed": plan.Removed,
	}
	if req.Diff {
		header := fmt.Sprintf("authorized keys of %s", args.User)
		res["diff"] = map[string]any{
			"before": keysText(sorted(plan.Before)), "after": keysText(sorted(plan.After)),
			"before_header": header, "after_header": header,
		}
	}
	if !plan.changed() || req.CheckMode {
		return res, nil
	}
	if err := applySSHKeys(ctx, g, args.User, plan); err != nil {
		return res, err
	}

	// Read back what the guest now has, so the result is the guest's truth
	// and not our expectation.
	cctx, cancel = g.call(ctx)
	after, err := g.client.SSHKeys(cctx, args.User)
	cancel()
	if err != nil {
		return res, fmt.Errorf("reading the authorized keys back after the change: %w", err)
	}
	res["keys"] = after
	if !sameKeys(after, plan.After) {
		req.warn("the guest's authorized keys for %s after the change differ from what was asked: %d keys instead of %d", args.User, len(after), len(plan.After))
	}
	return res, nil
}

// planSSHKeys works out the keys after the run. With state=present the
// keys are added (exclusive: they become the only keys); with state=absent
// they are removed.
func planSSHKeys(current, wanted []string, state string, exclusive bool) sshKeysPlan {
	p := sshKeysPlan{Before: nonNil(current), Added: []string{}, Removed: []string{}}
	switch {
	case state == "absent":
		for _, k := range current {
			if slices.Contains(wanted, k) {
				p.Removed = appendOnce(p.Removed, k)
			} else {
				p.After = append(p.After, k)
			}
		}
	case exclusive:
		p.After = slices.Clone(wanted)
		for _, k := range current {
			if !slices.Contains(wanted, k) {
				p.Removed = appendOnce(p.Removed, k)
			}
		}
		for _, k := range wanted {
			if !slices.Contains(current, k) {
				p.Added = append(p.Added, k)
			}
		}
	default:
		p.After = slices.Clone(current)
		for _, k := range wanted {
			if !slices.Contains(current, k) {
				p.Added = append(p.Added, k)
				p.After = append(p.After, k)
			}
		}
	}
	p.After = nonNil(p.After)
	return p
}

// applySSHKeys makes the change with as narrow an agent call as the plan
// allows: appending or removing single keys leaves the rest of the file,
// comments included, as it was; only a mix of both rewrites it.
func applySSHKeys(ctx context.Context, g *guest, user string, p sshKeysPlan) error {
	cctx, cancel := g.call(ctx)
	defer cancel()
	switch {
	case len(p.Removed) == 0:
		if err := g.client.AddSSHKeys(cctx, user, p.Added); err != nil {
			return fmt.Errorf("adding authorized keys: %w", err)
		}
	case len(p.Added) == 0:
		if err := g.client.RemoveSSHKeys(cctx, user, p.Removed); err != nil {
			return fmt.Errorf("removing authorized keys: %w", err)
		}
	default:
		if err := g.client.SetSSHKeys(cctx, user, p.After); err != nil {
			return fmt.Errorf("replacing the authorized keys: %w", err)
		}
	}
	return nil
}

// normalizeKeys turns the keys option into one key per entry: entries
// holding several lines are split, blank lines and comments dropped,
// surrounding space trimmed (the agent compares keys as exact strings), and
// repeats dropped.
func normalizeKeys(entries []string) []string {
	keys := []string{}
	for _, entry := range entries {
		for _, line := range strings.Split(entry, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			keys = appendOnce(keys, line)
		}
	}
	return keys
}

// keysText shows keys as authorized_keys lines, for Ansible's diff.
func keysText(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return strings.Join(keys, "\n") + "\n"
}

// sameKeys tells whether two key lists hold the same keys, in any order.
func sameKeys(a, b []string) bool {
	return slices.Equal(sorted(a), sorted(b))
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
