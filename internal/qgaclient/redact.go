package qgaclient

import (
	"net/url"
	"slices"
	"strings"
)

// redactedMark replaces a secret in a URI, as url.URL.Redacted does.
const redactedMark = "xxxxx"

// publicURIParams are the libvirt URI parameters whose values are not
// secret: they are shown as written. Any other parameter's value is
// redacted, so that a parameter this code does not know (a token, a
// passphrase) is never printed.
var publicURIParams = map[string]bool{
	"socket": true, "keyfile": true, "no_verify": true, "no_tty": true, "pkipath": true,
	"known_hosts": true, "known_hosts_verify": true, "sshauth": true, "mode": true,
	"netcat": true, "command": true, "proxy": true, "tls_priority": true, "transport": true,
	"name": true, // itself a URI: redacted in turn
}

// RedactURI returns uri fit for messages and logs: the password of its user
// information, the value of every query parameter not known to be harmless
// and the fragment are replaced with "xxxxx". It works on the text, not on
// url.Parse's result, so that a URI url.Parse rejects (where a typo, or a
// password with a '%', '/' or '#' in it, often is) is redacted too.
func RedactURI(uri string) string {
	if start, end, ok := passwordSpan(uri); ok {
		uri = uri[:start] + redactedMark + uri[end:]
	}
	rest, fragment, hasFragment := strings.Cut(uri, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	var b strings.Builder
	b.WriteString(base)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactQuery(query))
	}
	if hasFragment && fragment != "" {
		b.WriteString("#" + redactedMark)
	}
	return b.String()
}

// passwordSpan finds the password in "scheme://user:password@host/path"
// (the scheme may be missing): the offsets of its first byte and of the '@'
// after it. A password holding '/', '?' or '#' (invalid, but written by
// users) is found too: then the last '@' of the URI ends the user
// information, unless what follows the ':' is a port.
func passwordSpan(uri string) (start, end int, ok bool) {
	authStart := 0
	if i := strings.Index(uri, "://"); i >= 0 {
		authStart = i + 3
	}
	rest := uri[authStart:]
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		at = strings.LastIndexByte(rest, '@')
		if at < 0 {
			return 0, 0, false
		}
		colon := strings.IndexByte(rest[:at], ':')
		if colon < 0 || strings.ContainsAny(rest[:colon], "/?#") || isPort(rest[colon+1:]) {
			return 0, 0, false
		}
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return 0, 0, false
	}
	return authStart + colon + 1, authStart + at, true
}

// isPort tells whether s starts with a port number that ends the authority.
func isPort(s string) bool {
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	return digits > 0 && (digits == len(s) || strings.IndexByte("/?#", s[digits]) >= 0)
}

// redactQuery hides the values of the parameters that may be secret.
func redactQuery(query string) string {
	parts := strings.Split(query, "&")
	for i, part := range parts {
		key, value, hasValue := strings.Cut(part, "=")
		if !hasValue || value == "" {
			continue
		}
		name, err := url.QueryUnescape(key)
		switch {
		case err != nil || !publicURIParams[name]:
			parts[i] = key + "=" + redactedMark
		case name == "name":
			parts[i] = key + "=" + redactEscapedURI(value)
		}
	}
	return strings.Join(parts, "&")
}

// redactEscapedURI redacts a URI given as a query value (percent-encoded).
func redactEscapedURI(value string) string {
	raw, err := url.QueryUnescape(value)
	if err != nil {
		return redactedMark
	}
	return url.QueryEscape(RedactURI(raw))
}

// uriSecrets lists the secret strings of a URI, each as written and as
// decoded, so that they can be scrubbed from text that quotes them in
// either form (go-libvirt's errors may echo the URI or the password).
func uriSecrets(uri string) []string {
	var secrets []string
	add := func(s string) {
		if s == "" {
			return
		}
		secrets = append(secrets, s)
		if d, err := url.PathUnescape(s); err == nil && d != s {
			secrets = append(secrets, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s {
			secrets = append(secrets, d)
		}
	}
	if start, end, ok := passwordSpan(uri); ok {
		add(uri[start:end])
		uri = uri[:start] + uri[end:]
	}
	rest, fragment, _ := strings.Cut(uri, "#")
	add(fragment)
	_, query, _ := strings.Cut(rest, "?")
	for _, part := range strings.Split(query, "&") {
		key, value, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(key)
		if err != nil || !publicURIParams[name] {
			add(value)
		}
		if name == "name" {
			if raw, err := url.QueryUnescape(value); err == nil {
				secrets = append(secrets, uriSecrets(raw)...)
			}
		}
	}
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) }) // longest first
	return slices.Compact(secrets)
}

// URISecrets lists the secret strings of a URI (its password, the values of
// parameters that may be secret), as written and decoded, for callers that
// must scrub them from text this package does not produce (a program's
// output, a log).
func URISecrets(uri string) []string { return uriSecrets(uri) }

// ScrubURISecrets replaces each secret of uri (see URISecrets) in text with
// "xxxxx", for text this package did not produce.
func ScrubURISecrets(text, uri string) string { return scrubSecrets(text, uriSecrets(uri)) }

// scrubSecrets replaces each secret in s with "xxxxx".
func scrubSecrets(s string, secrets []string) string {
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, redactedMark)
	}
	return s
}

// scrubbedError is an error whose text has the secrets taken out. It
// unwraps to the original, so errors.Is and errors.As still see the cause.
type scrubbedError struct {
	err     error
	secrets []string
}

func (e *scrubbedError) Error() string { return scrubSecrets(e.err.Error(), e.secrets) }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubError is the last line of defence for errors that leave the
// connection layer: whatever the error quotes, the URI's secrets are gone.
func scrubError(err error, uri string) error {
	secrets := uriSecrets(uri)
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &scrubbedError{err: err, secrets: secrets}
}
