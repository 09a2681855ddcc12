package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

// managedKeysKey names the private state that lists the keys this resource
// put in authorized_keys: what the configuration listed at the last apply.
// Only these are ever removed (when dropped from the list, or on destroy). A
// key the configuration never listed, such as one adopted by an import or
// added by someone else, stays, whatever the state's keys say.
const managedKeysKey = "managed_keys"

// privateReader and privateWriter are the framework's private state (its
// type lives in an internal package).
type privateReader interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateWriter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// managedKeys returns the keys this resource manages. ok is false for a
// state written before the provider recorded them; the caller then falls
// back to what that state can tell.
func managedKeys(ctx context.Context, p privateReader, diags *diag.Diagnostics) (keys []string, ok bool) {
	raw, d := p.GetKey(ctx, managedKeysKey)
	diags.Append(d...)
	if len(raw) == 0 {
		return nil, false
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		diags.AddError("Unreadable private state", fmt.Sprintf("the list of managed SSH keys in the private state is not valid: %v; this is a bug in the provider", err))
		return nil, false
	}
	return keys, true
}

func setManagedKeys(ctx context.Context, p privateWriter, keys []string, diags *diag.Diagnostics) {
	if keys == nil {
		keys = []string{} // "[]": none managed, which is not "not recorded"
	}
	raw, err := json.Marshal(keys)
	if err != nil {
		diags.AddError("Private state", err.Error())
		return
	}
	diags.Append(p.SetKey(ctx, managedKeysKey, raw)...)
}

// managedOrLegacy returns the keys this resource may remove. A state from
// before managed keys were recorded lists, in non-exclusive mode, the keys
// the configuration listed; in exclusive mode it lists the whole file, which
// cannot be told apart from keys of others, so none are removed.
func managedOrLegacy(ctx context.Context, p privateReader, state guestSSHKeysModel, diags *diag.Diagnostics) []string {
	if keys, ok := managedKeys(ctx, p, diags); ok {
		return keys
	}
	if state.Exclusive.ValueBool() {
		return nil
	}
	return setStrings(ctx, state.Keys, diags)
}

// keyLabels names keys briefly for messages: type, end of the blob, comment.
func keyLabels(keys []string) string {
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = guestrules.Abbreviate(k)
	}
	return strings.Join(labels, ", ")
}
