package connhelper

import (
	"encoding/json"
	"errors"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Request is one line from the plugin. Op says which fields apply:
//
//	open:  URI + Domain, or Socket; AgentTimeout, CallTimeout (seconds)
//	exec:  Argv, or Shell (run with /bin/sh -c); Stdin (bytes, base64 in JSON); Timeout (seconds)
//	put:   Src (a local file) → Dest (a guest path)
//	fetch: Src (a guest path) → Dest (a local file)
//	close: ends the session
type Request struct {
	Op           string   `json:"op"`
	URI          string   `json:"uri,omitempty"`
	Domain       string   `json:"domain,omitempty"`
	Socket       string   `json:"socket,omitempty"`
	AgentTimeout float64  `json:"agent_timeout,omitempty"`
	CallTimeout  float64  `json:"call_timeout,omitempty"`
	Argv         []string `json:"argv,omitempty"`
	Shell        string   `json:"shell,omitempty"`
	Stdin        []byte   `json:"stdin,omitempty"`
	Timeout      float64  `json:"timeout,omitempty"`
	Src          string   `json:"src,omitempty"`
	Dest         string   `json:"dest,omitempty"`
}

// Response is one line to the plugin. Failed requests have OK false, Error
// (a message for the user) and Kind (one of the kinds below).
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"`
	// exec
	RC              *int   `json:"rc,omitempty"`
	Stdout          []byte `json:"stdout,omitempty"`
	Stderr          []byte `json:"stderr,omitempty"`
	OutputTruncated bool   `json:"output_truncated,omitempty"`
	// put, fetch
	Bytes int64 `json:"bytes,omitempty"`
	// open
	Target string `json:"target,omitempty"`
}

// Kinds of failure, for the plugin to choose between "unreachable"
// (AnsibleConnectionFailure) and a failed task (AnsibleError).
const (
	KindBadRequest         = "bad_request"
	KindDomainNotFound     = "domain_not_found"
	KindDomainNotRunning   = "domain_not_running"
	KindAgentNotConfigured = "agent_not_configured"
	KindAgentUnavailable   = "agent_unavailable"
	KindCommandDisabled    = "command_disabled"
	KindCommandUnsupported = "command_unsupported"
	KindTimeout            = "timeout"
	KindConnection         = "connection"
	KindAgentFailed        = "agent_failed"
	KindLocalFile          = "local_file"
	KindOther              = "error"
)

var kindOf = []struct {
	err  error
	kind string
}{
	{qgaclient.ErrDomainNotFound, KindDomainNotFound},
	{qgaclient.ErrDomainNotRunning, KindDomainNotRunning},
	{qgaclient.ErrAgentNotConfigured, KindAgentNotConfigured},
	{qgaclient.ErrAgentUnavailable, KindAgentUnavailable},
	{qgaclient.ErrCommandDisabled, KindCommandDisabled},
	{qgaclient.ErrCommandUnsupported, KindCommandUnsupported},
	{qgaclient.ErrTimeout, KindTimeout},
	{qgaclient.ErrConnection, KindConnection},
	{qgaclient.ErrAgentFailed, KindAgentFailed},
}

// localError marks a failure on the controller's side of a transfer.
type localError struct{ err error }

func (e localError) Error() string { return e.err.Error() }
func (e localError) Unwrap() error { return e.err }

func failure(err error) Response {
	r := Response{Error: err.Error(), Kind: KindOther}
	var le localError
	if errors.As(err, &le) {
		r.Kind = KindLocalFile
		return r
	}
	for _, k := range kindOf {
		if errors.Is(err, k.err) {
			r.Kind = k.kind
			break
		}
	}
	return r
}

func badRequest(msg string) Response {
	return Response{Error: msg, Kind: KindBadRequest}
}

// encodeLine writes v as one JSON line.
func encodeLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
