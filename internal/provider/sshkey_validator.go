package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/crypto/ssh"
)

// authorizedKeysValidator checks at plan time that every element of a set is
// one OpenSSH public key line, and that no key appears twice under
// different comments (the guest would hold it twice).
type authorizedKeysValidator struct{}

func (authorizedKeysValidator) Description(context.Context) string {
	return "each element must be one OpenSSH public key in authorized_keys format"
}

func (v authorizedKeysValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (authorizedKeysValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var keys []types.String
	resp.Diagnostics.Append(req.ConfigValue.ElementsAs(ctx, &keys, false)...)
	seen := map[string]string{}
	for _, k := range keys {
		if k.IsUnknown() || k.IsNull() {
			continue
		}
		line := k.ValueString()
		blob, err := parseAuthorizedKey(line)
		if err != nil {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid SSH public key",
				fmt.Sprintf("%q is not an OpenSSH public key (%v). Give one key per element, as in authorized_keys, e.g. \"ssh-ed25519 AAAA... user@host\".", abbreviate(line), err))
			continue
		}
		if prev, dup := seen[blob]; dup {
			resp.Diagnostics.AddAttributeError(req.Path, "Duplicate SSH public key",
				fmt.Sprintf("the same key is listed twice: %q and %q. List each key once.", abbreviate(prev), abbreviate(line)))
		}
		seen[blob] = line
	}
}

// parseAuthorizedKey parses one authorized_keys line and returns the key's
// identity (type and blob, without options or comment).
func parseAuthorizedKey(line string) (string, error) {
	if strings.ContainsAny(strings.TrimSpace(line), "\n\r") {
		return "", fmt.Errorf("it spans several lines")
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", err
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return "", fmt.Errorf("more than one key")
	}
	return string(ssh.MarshalAuthorizedKey(pub)), nil
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:40] + "..." + s[len(s)-12:]
	}
	return s
}
