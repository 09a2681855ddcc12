package ansible

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// NoLogPlaceholder is what Ansible prints instead of a no_log value.
const NoLogPlaceholder = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

// maskedSubstring replaces a secret found inside a longer string, as
// Ansible's remove_values does.
const maskedSubstring = "********"

// removeSecrets returns a copy of v (decoded JSON: maps, slices, strings,
// numbers, booleans) in which every string equal to a secret becomes
// NoLogPlaceholder and every secret inside a longer string becomes
// "********": the rule Ansible applies to a module's whole result, so a
// secret echoed in stdout or an error message is hidden as well. Booleans
// are left alone so that "changed" and "failed" survive a secret like
// "True".
func removeSecrets(v any, secrets []string) any {
	secrets = nonEmpty(secrets)
	if len(secrets) == 0 {
		return v
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return removeSecretsFrom(v, secrets)
}

func removeSecretsFrom(v any, secrets []string) any {
	switch v := v.(type) {
	case string:
		return maskString(v, secrets)
	case json.Number:
		if masked := maskString(v.String(), secrets); masked != v.String() {
			return NoLogPlaceholder
		}
		return v
	case float64:
		if masked := maskString(fmt.Sprint(v), secrets); masked != fmt.Sprint(v) {
			return NoLogPlaceholder
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = removeSecretsFrom(e, secrets)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = removeSecretsFrom(e, secrets)
		}
		return out
	}
	return v
}

func maskString(s string, secrets []string) string {
	for _, secret := range secrets {
		if s == secret {
			return NoLogPlaceholder
		}
	}
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, maskedSubstring)
	}
	return s
}

// leafStrings lists the scalar values inside an option's value, each as a
// secret to hide (a no_log list or dict hides all its parts).
func leafStrings(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, leafStrings(e)...)
		}
		return out
	case []string:
		return v
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, leafStrings(e)...)
		}
		return out
	case map[string]string:
		var out []string
		for _, e := range v {
			out = append(out, e)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
