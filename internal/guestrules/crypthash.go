package guestrules

import (
	"errors"
	"regexp"
)

// cryptHash is what a crypted password must look like: a modular crypt(3)
// hash, "$id$" then at least two more "$"-separated fields (salt or
// parameters, and the hash): yescrypt "$y$j9T$salt$hash", SHA-512
// "$6$salt$hash" or "$6$rounds=N$salt$hash", bcrypt "$2b$12$...". Leading
// "!" (an account locked by usermod -L / passwd -l, as /etc/shadow shows it)
// is allowed: such a value is still a hash, and no plain password given by
// mistake looks like one.
//
// Traditional 13-character DES hashes are refused. The provider always
// refused them and the modules accepted them; the provider's rule won
// because the check exists to catch a plain password given with crypted
// set, and any 13-character password of letters and digits ("Summer2024abc")
// passes for a DES hash and would be written to /etc/shadow as one, leaving
// the user a password nobody knows. DES keeps only 8 characters of a
// password and current libxcrypt builds do not create it anymore; a user
// who really has one can set crypted = false with the password instead.
var cryptHash = regexp.MustCompile(`^!*\$[0-9a-z]+(\$[^:\s$]*)+\$[^:\s$]+$`)

// ErrNotCryptHash is CheckCryptHash's answer for a value that is not a
// hash. Its text never quotes the value: it may be a password.
var ErrNotCryptHash = errors.New(`the crypted password is not a crypt(3) hash such as "$y$j9T$salt$hash" or "$6$salt$hash" ` +
	`(make one with mkpasswd(1) or Ansible's password_hash filter; 13-character DES hashes are not accepted); ` +
	`for a plain password, turn crypted off`)

// CheckCryptHash returns nil when s can be written to /etc/shadow as a
// hash, else ErrNotCryptHash.
func CheckCryptHash(s string) error {
	if !cryptHash.MatchString(s) {
		return ErrNotCryptHash
	}
	return nil
}
