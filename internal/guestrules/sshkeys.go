package guestrules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// A key's identity is its type and key data, as ssh-keygen would print
// them: the comment and any options (from="...", command="...") are not
// part of it. So the same key written with another comment is the same key,
// in the provider and in the modules alike, and is neither added twice nor
// reported as a change.

// KeyID returns the identity of one authorized_keys line, or why the line
// is not one OpenSSH public key.
func KeyID(line string) (string, error) {
	if strings.ContainsAny(strings.TrimSpace(line), "\n\r") {
		return "", errors.New("it spans several lines")
	}
	pub, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", err
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return "", errors.New("more than one key")
	}
	return string(ssh.MarshalAuthorizedKey(pub)), nil
}

// KeyError is one problem with a list of keys the user gave.
type KeyError struct {
	Line      string // the offending line (a public key: safe to show)
	Duplicate bool   // the same key listed twice under other spellings
	msg       string
}

func (e *KeyError) Error() string { return e.msg }

// CheckKeys returns every problem with keys the user asks for: lines that
// are not one OpenSSH public key each, and a key listed twice under
// different comments or options (the guest would hold it twice, and which
// spelling wins would be a guess). Identical lines are not a problem: both
// front ends drop exact repeats before asking.
func CheckKeys(lines []string) []*KeyError {
	var problems []*KeyError
	seen := map[string]string{}
	for _, line := range lines {
		id, err := KeyID(line)
		if err != nil {
			problems = append(problems, &KeyError{Line: line, msg: fmt.Sprintf(
				"%q is not an OpenSSH public key (%v). Give one key per entry, as in authorized_keys, e.g. \"ssh-ed25519 AAAA... user@host\".",
				Abbreviate(line), err)})
			continue
		}
		if prev, dup := seen[id]; dup && prev != line {
			problems = append(problems, &KeyError{Line: line, Duplicate: true, msg: fmt.Sprintf(
				"the same key is listed twice: %q and %q. List each key once.", Abbreviate(prev), Abbreviate(line))})
			continue
		}
		seen[id] = line
	}
	return problems
}

// ContainsKey tells whether list holds key, comparing identities, so that a
// key the guest's file spells with another comment still counts as there.
// Lines that are not keys (a corrupt file) only match exactly.
func ContainsKey(list []string, key string) bool {
	id, err := KeyID(key)
	return slices.ContainsFunc(list, func(k string) bool {
		if k == key {
			return true
		}
		other, err2 := KeyID(k)
		return err == nil && err2 == nil && other == id
	})
}

// MissingFrom returns the keys of had that want does not hold.
func MissingFrom(want, had []string) []string {
	var out []string
	for _, k := range had {
		if !ContainsKey(want, k) {
			out = append(out, k)
		}
	}
	return out
}

// Abbreviate shortens a key line for messages: its start (type, start of
// the data) and its end (comment).
func Abbreviate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		return s[:40] + "..." + s[len(s)-12:]
	}
	return s
}
