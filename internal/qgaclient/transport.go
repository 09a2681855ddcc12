package qgaclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Transport carries agent commands to one guest. It is the only thing that
// knows how the guest is reached (libvirt or a QEMU chardev socket); the
// Client and everything above it never ask.
type Transport interface {
	// Run sends one agent command with its arguments (nil for none) and
	// returns the raw JSON of the reply's "return" member, or an *Error.
	// It honours ctx's deadline and cancellation. The returned bytes belong
	// to the caller, who may change them (output is base64-decoded in place).
	Run(ctx context.Context, command string, args any) (json.RawMessage, error)
	// Target names the guest for error messages: `domain "web1"`.
	Target() string
	// Close releases what this transport holds; shared connections stay open
	// for other users.
	Close() error
}

// typedAgent is implemented by transports that offer typed calls for some
// agent commands (libvirt does: it validates arguments, and its typed calls
// are what libvirt's own tools use). The Client prefers them to Run.
type typedAgent interface {
	guestInfo(ctx context.Context) (*GuestInfo, error)
	sshKeys(ctx context.Context, user string) ([]string, error)
	setSSHKeys(ctx context.Context, user string, keys []string, mode keyMode) error
	setUserPassword(ctx context.Context, user, password string, crypted bool) error
}

// fileChunker is implemented by transports that know how many bytes of a
// file one guest-file-read may return and one guest-file-write may carry
// through them (see each transport's constants).
type fileChunker interface {
	fileChunks() (read, write int)
}

// defaultFileChunks are the chunk sizes for a transport that does not say:
// the libvirt transport's, the smallest.
func defaultFileChunks() (read, write int) { return libvirtReadChunk, libvirtWriteChunk }

// keyMode says how setSSHKeys treats keys already in authorized_keys.
type keyMode int

const (
	keysAppend  keyMode = iota // add the keys, keep the others
	keysRemove                 // remove the keys, keep the others
	keysReplace                // authorized_keys holds exactly the keys
)

// request is the wire form of one agent command.
type request struct {
	Execute   string `json:"execute"`
	Arguments any    `json:"arguments,omitempty"`
}

// reply is the wire form of the agent's answer.
type reply struct {
	Return json.RawMessage `json:"return"`
	Error  *AgentError     `json:"error"`
}

// decodeReply extracts "return" or the agent's error from one reply. The
// returned value is a view into frame, not a copy: a large reply (16 MiB
// of command output is 22 MB of base64) is held once, not three times.
// The caller must own frame (see frameReader.next).
func decodeReply(frame []byte) (json.RawMessage, error) {
	var r struct {
		Return rawView     `json:"return"`
		Error  *AgentError `json:"error"`
	}
	if err := json.Unmarshal(frame, &r); err != nil {
		return nil, fmt.Errorf("malformed agent reply: %w", err)
	}
	if r.Error != nil {
		return nil, r.Error
	}
	if r.Return == nil {
		return nil, errors.New("agent reply has neither return nor error")
	}
	return json.RawMessage(r.Return), nil
}

// rawView is json.RawMessage without the copy: encoding/json hands
// UnmarshalJSON a slice of its input.
type rawView []byte

func (v *rawView) UnmarshalJSON(b []byte) error {
	*v = b
	return nil
}
