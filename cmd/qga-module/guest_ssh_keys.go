package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
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

var guestSSHKeysModule = &ansible.Module{
	Name: "guest_ssh_keys",
	Spec: withConnectionOptions(ansible.ArgSpec{Options: []ansible.Option{
		{Name: "user", Type: ansible.TypeStr, Required: true},
		// Keys split on lines, not commas: options such as from="a,b" hold
		// commas, and the contents of a .pub or authorized_keys file is
		// one key per line.
		{Name: "keys", Type: ansible.TypeList, Required: true, Aliases: []string{"key"}, ListSeparator: "\n"},
		{Name: "state", Type: ansible.TypeStr, Default: "present", Choices: []string{"present", "absent"}},
		{Name: "exclusive", Type: ansible.TypeBool, Default: false},
	}}),
	Run: runGuestSSHKeys,
}

func runGuestSSHKeys(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args sshKeysArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.User) == "" {
		return nil, fmt.Errorf("user must name a guest user, got an empty string")
	}
	if args.Exclusive && args.State == "absent" {
		return nil, fmt.Errorf("exclusive=true applies to state=present only (it makes the keys given the only ones); with state=absent, list the keys to remove")
	}
	wanted := normalizeKeys(args.Keys)
	if err := checkKeys(wanted); err != nil {
		return nil, err
	}

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
	plan := guestrules.PlanKeys(current, keysRequest(wanted, args.State, args.Exclusive))

	res := ansible.Result{
		"changed": plan.Changed(), "user": args.User, "state": args.State, "exclusive": args.Exclusive,
		"keys": plan.After, "added": plan.Add, "removed": plan.Remove,
	}
	if req.Diff {
		header := fmt.Sprintf("authorized keys of %s", args.User)
		res["diff"] = map[string]any{
			"before": keysText(slices.Sorted(slices.Values(plan.Before))), "after": keysText(slices.Sorted(slices.Values(plan.After))),
			"before_header": header, "after_header": header,
		}
	}
	if !plan.Changed() || req.CheckMode {
		return res, nil
	}
	cctx, cancel = g.call(ctx)
	err = guestrules.ApplyKeys(cctx, g.client, args.User, plan)
	cancel()
	if err != nil {
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
		req.Warn("the guest's authorized keys for %s after the change differ from what was asked: %d keys instead of %d", args.User, len(after), len(plan.After))
	}
	return res, nil
}

// keysRequest turns the task's options into the shared rule's request:
// state=present adds the keys (exclusive: they become the only ones),
// state=absent removes them. Keys compare by type and key data
// (guestrules.KeyID), as in the provider: the same key with another comment
// is no change.
func keysRequest(keys []string, state string, exclusive bool) guestrules.KeysRequest {
	if state == "absent" {
		return guestrules.KeysRequest{Drop: keys}
	}
	return guestrules.KeysRequest{Want: keys, Exclusive: exclusive}
}

// checkKeys refuses what is not a list of OpenSSH public keys
// (guestrules.CheckKeys, the provider's plan-time rule too), before
// anything reaches the guest.
func checkKeys(keys []string) error {
	problems := guestrules.CheckKeys(keys)
	if len(problems) == 0 {
		return nil
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Error()
	}
	return fmt.Errorf("keys: %s", strings.Join(msgs, " "))
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
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
