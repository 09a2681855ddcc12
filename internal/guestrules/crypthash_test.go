package guestrules

import (
	"strings"
	"testing"
)

func TestCheckCryptHash(t *testing.T) {
	for _, h := range []string{
		"$6$saltsalt$Ti18C./jVtAHCgXyZK3DSkoWryvOnHY1ZCHx9dkTHYoNlC9dwk2aLg2JP2gX4XqbwclerYxwuZ1pkNRI4Dh4f.",
		"$y$j9T$salt$hash", "$6$rounds=5000$salt$hash", "$2b$12$abcdefghijklmnopqrstuu", "!$6$x$y", "!!$y$j9T$s$h", "$6$$hash",
	} {
		if err := CheckCryptHash(h); err != nil {
			t.Errorf("%q refused: %v", h, err)
		}
	}
	for _, p := range []string{
		"secret", "$6$", "$6$onlysalt", "$6$abc$", "with space$6$x$y", "$6$x$y z", "x1:y2", "$6$a:b$c",
		"abcdefghijklm", // 13 characters: a DES hash, or a plain password
		"!", "!!", "$$x$y",
	} {
		err := CheckCryptHash(p)
		if err == nil {
			t.Errorf("%q taken for a hash", p)
			continue
		}
		if len(p) >= 6 && strings.Contains(err.Error(), p) {
			t.Errorf("the message quotes the value, which may be a password: %v", err)
		}
	}
}
