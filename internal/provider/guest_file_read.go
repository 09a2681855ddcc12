package provider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Reading a guest file whole, for the data source and the ephemeral
// resource qga_guest_file: the same model, the same bound.

// defaultReadLimit bounds what a read keeps in memory (and in the state,
// for the data source) unless max_size says otherwise.
const defaultReadLimit = 1 << 20

type guestFileReadModel struct {
	guestRef
	Path          types.String `tfsdk:"path"`
	MaxSize       types.Int64  `tfsdk:"max_size"`
	Content       types.String `tfsdk:"content"`
	ContentBase64 types.String `tfsdk:"content_base64"`
	SHA256        types.String `tfsdk:"sha256"`
	Size          types.Int64  `tfsdk:"size"`
	Mode          types.String `tfsdk:"mode"`
	Owner         types.String `tfsdk:"owner"`
	Group         types.String `tfsdk:"group"`
}

const (
	readPathDescription    = "Absolute path of the file in the guest."
	readMaxSizeDescription = "Largest file to read, in bytes (default 1 MiB, at most 64 MiB): a larger file fails the read."
	readContentDescription = "The content as text; null when it is not valid UTF-8 (use `content_base64`)."
	readBase64Description  = "The content, base64-encoded."
	readModeDescription    = "Mode in octal (`0644`); null where the guest blocks guest-exec (then only the content is read)."
)

func maxSizeValidators() []validator.Int64 {
	return []validator.Int64{int64validator.Between(1, qgaclient.MaxReadFile)}
}

// readGuestFile fills m from the guest's file at m.Path.
func readGuestFile(ctx context.Context, pd *providerData, m *guestFileReadModel, diags *diag.Diagnostics) {
	if !requireKnownURI(pd, m.guestRef, diags) {
		return
	}
	p := m.Path.ValueString()
	limit := int64(defaultReadLimit)
	if !m.MaxSize.IsNull() {
		limit = m.MaxSize.ValueInt64()
	}
	c := pd.connect(ctx, m.guestRef, diags)
	if c == nil {
		return
	}
	data, err := c.ReadFileLimited(ctx, p, int(limit))
	if err != nil {
		agentError(diags, "reading "+strconv.Quote(p), err)
		return
	}
	sum := sha256.Sum256(data)
	m.ContentBase64 = types.StringValue(base64.StdEncoding.EncodeToString(data))
	m.Content = types.StringNull()
	if utf8.Valid(data) {
		m.Content = types.StringValue(string(data))
	}
	m.SHA256, m.Size = types.StringValue(hex.EncodeToString(sum[:])), types.Int64Value(int64(len(data)))
	m.Mode, m.Owner, m.Group = types.StringNull(), types.StringNull(), types.StringNull()
	info, err := c.StatFile(ctx, p, false)
	switch {
	case errors.Is(err, qgaclient.ErrCommandDisabled) || errors.Is(err, qgaclient.ErrCommandUnsupported):
		// Content only: mode and owner need guest-exec.
	case err != nil:
		agentError(diags, "looking at "+strconv.Quote(p), err)
	default:
		m.Mode = types.StringValue(fmt.Sprintf("%04o", info.Mode))
		m.Owner, m.Group = types.StringValue(info.Owner), types.StringValue(info.Group)
	}
}
