package qgaclient

import "strings"

// shellQuote makes s one word for a POSIX shell, whatever it holds: it is
// put in single quotes, inside which the shell interprets nothing, and each
// single quote in it is written as: close the quotes, a backslash-escaped
// quote, reopen the quotes. This is the rule libvirt's own client applies
// (virBufferEscapeShell) to what it sends through ssh. Newlines are kept as
// they are: a POSIX shell keeps them inside single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellCommand joins words into a command line in which each word reaches
// the program as it is, one argument each.
func shellCommand(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}
