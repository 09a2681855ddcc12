package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// diff is guest_copy's --diff: the content as text (both sides text and
// at most maxDiffSize), else why not, in the keys Ansible's callbacks
// know (dst_binary, src_larger, prepared); and the attributes that change.
// Content given with the no_log content option is never shown, on either
// side: the old file is as secret as the new one.
func (job *copyJob) diff(ctx context.Context, g *guest, before *qgaclient.FileInfo, changes []string) []map[string]any {
	if len(changes) == 0 {
		return nil
	}
	header := job.put.Path
	var out []map[string]any
	contentChanges := !before.Exists || !before.Regular() || slices.Contains(changes, "content")
	switch {
	case !contentChanges:
	case job.secret:
		out = append(out, map[string]any{"prepared": fmt.Sprintf("content of %s not shown: it comes from content, which is no_log (sha256 %s -> %s)\n",
			header, orNone(before.SHA256), job.sum)})
	default:
		out = append(out, job.contentDiff(ctx, g, before))
	}
	if attrs := job.attributeDiff(before); attrs != nil {
		out = append(out, attrs)
	}
	return out
}

func (job *copyJob) contentDiff(ctx context.Context, g *guest, before *qgaclient.FileInfo) map[string]any {
	d := map[string]any{"before_header": job.put.Path, "after_header": job.put.Path}
	after, ok := "", false
	switch {
	case job.size > maxDiffSize:
		d["src_larger"] = maxDiffSize
	case job.src != "":
		// Small enough to show: read from src now (it is streamed otherwise).
		data, err := readLocalFile("src", job.src, maxDiffSize)
		if err != nil {
			d["prepared"] = fmt.Sprintf("diff skipped: %v\n", err)
			return d
		}
		after, ok = diffText(data)
	default:
		after, ok = diffText(job.put.Content)
	}
	if !ok && job.size <= maxDiffSize {
		d["src_binary"] = 1
	}
	old := ""
	switch {
	case !before.Exists || !before.Regular():
	case before.Size > maxDiffSize:
		d["dst_larger"] = maxDiffSize
	default:
		cctx, cancel := g.call(ctx)
		data, err := g.client.ReadFile(cctx, job.put.Path)
		cancel()
		text, isText := diffText(data)
		switch {
		case err != nil:
			d["prepared"] = fmt.Sprintf("diff skipped: reading %s back failed: %v\n", job.put.Path, err)
		case !isText:
			d["dst_binary"] = 1
		default:
			old = text
		}
	}
	if len(d) == 2 { // headers only: both sides are text
		d["before"], d["after"] = old, after
	}
	return d
}

// attributeDiff shows mode, owner and group before and after, when one of
// them changes.
func (job *copyJob) attributeDiff(before *qgaclient.FileInfo) map[string]any {
	p := job.put
	was := map[string]string{}
	if before.Exists && before.Regular() {
		was = map[string]string{"mode": guestrules.FormatFileMode(before.Mode), "owner": before.Owner, "group": before.Group}
	}
	will := map[string]string{"mode": was["mode"], "owner": was["owner"], "group": was["group"]}
	if p.Mode != nil {
		will["mode"] = guestrules.FormatFileMode(*p.Mode)
	} else if will["mode"] == "" {
		will["mode"] = guestrules.FormatFileMode(qgaclient.DefaultFileMode)
	}
	if p.Owner != "" && (was["owner"] == "" || !guestrules.SameAccount(p.Owner, before.Owner, before.UID)) {
		will["owner"] = p.Owner
	}
	if p.Group != "" && (was["group"] == "" || !guestrules.SameAccount(p.Group, before.Group, before.GID)) {
		will["group"] = p.Group
	}
	text := func(m map[string]string) string {
		s := ""
		for _, k := range []string{"mode", "owner", "group"} {
			if m[k] != "" {
				s += k + ": " + m[k] + "\n"
			}
		}
		return s
	}
	if text(was) == text(will) {
		return nil
	}
	h := job.put.Path + " (attributes)"
	return map[string]any{"before": text(was), "after": text(will), "before_header": h, "after_header": h}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
