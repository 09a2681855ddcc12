package guestrules

import (
	"context"
	"fmt"
	"slices"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// KeysRequest is what a front end asks of a user's authorized_keys.
//
//   - Want: keys that must be there. A key already there under another
//     comment counts as there.
//   - Drop: keys that must go (compared by identity). Only keys the user
//     asked to remove are ever listed here: the provider lists keys its
//     configuration listed before and no longer does, the module lists the
//     keys of a state=absent task. Want wins over Drop.
//   - Exclusive: no key but Want may stay ("exactly these keys").
type KeysRequest struct {
	Want      []string
	Drop      []string
	Exclusive bool
}

// KeysPlan is what has to change: lines to add, lines of the file to
// remove (spelled as the file spells them, since the agent removes exact
// lines), and the keys before and after.
type KeysPlan struct {
	Before, After []string
	Add, Remove   []string
}

// Changed tells whether the plan changes the file. Order is no change:
// qemu-ga lists keys in an order of its own (7.2: last line first).
func (p KeysPlan) Changed() bool { return len(p.Add) > 0 || len(p.Remove) > 0 }

// PlanKeys works out the change from the keys the guest has. Keys that the
// request neither wants, drops nor (exclusive) excludes stay as they are.
func PlanKeys(current []string, r KeysRequest) KeysPlan {
	p := KeysPlan{Before: nonNil(current), After: []string{}, Add: []string{}, Remove: []string{}}
	for _, line := range current {
		wanted := ContainsKey(r.Want, line)
		if !wanted && (r.Exclusive || ContainsKey(r.Drop, line)) {
			p.Remove = appendOnce(p.Remove, line)
			continue
		}
		p.After = append(p.After, line)
	}
	for _, key := range r.Want {
		if !ContainsKey(p.After, key) {
			p.Add = append(p.Add, key)
			p.After = append(p.After, key)
		}
	}
	return p
}

// ApplyKeys makes the planned change with as narrow an agent call as the
// plan allows: appending or removing keys leaves the rest of the file,
// comments included, as it was; only a mix of both rewrites it.
func ApplyKeys(ctx context.Context, c *qgaclient.Client, user string, p KeysPlan) error {
	switch {
	case !p.Changed():
		return nil
	case len(p.Remove) == 0:
		if err := c.AddSSHKeys(ctx, user, p.Add); err != nil {
			return fmt.Errorf("adding authorized keys: %w", err)
		}
	case len(p.Add) == 0:
		if err := c.RemoveSSHKeys(ctx, user, p.Remove); err != nil {
			return fmt.Errorf("removing authorized keys: %w", err)
		}
	default:
		if err := c.SetSSHKeys(ctx, user, p.After); err != nil {
			return fmt.Errorf("replacing the authorized keys: %w", err)
		}
	}
	return nil
}

// KeysOnRecord is what the provider's state shows after reading the
// guest's keys. wholeFile (exclusive, or just imported): every key of the
// file, spelled as listed when listed holds that key, so that a comment
// changed in the guest is no drift. Otherwise: the listed keys the file
// holds; one removed in the guest drops out, and the next plan adds it
// back.
func KeysOnRecord(current, listed []string, wholeFile bool) []string {
	var out []string
	if wholeFile {
		for _, line := range current {
			// Two spellings of one key in the file show once.
			out = appendOnce(out, spelledAs(listed, line))
		}
		return out
	}
	for _, k := range listed {
		if ContainsKey(current, k) {
			out = append(out, k)
		}
	}
	return out
}

// spelledAs returns the element of list that is the same key as line, or
// line.
func spelledAs(list []string, line string) string {
	for _, k := range list {
		if ContainsKey([]string{k}, line) {
			return k
		}
	}
	return line
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
