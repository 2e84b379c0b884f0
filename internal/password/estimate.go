package password

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// estimateMaxRunes bounds the part of a password the estimator reads. Its
// cost grows with about the cube of the length (some 8 ms at 64
// characters, 80 ms at 128, 2 s at 512), and a password whose first 64
// characters resist guessing is strong whatever follows.
const estimateMaxRunes = 64

// estimate returns pw's zxcvbn score (0 to 4), with the user name and its
// parts as context-specific words, and a short reason naming what makes it
// guessable.
func estimate(pw, userName string) (score int, reason string) {
	if i := runeOffset(pw, estimateMaxRunes); i < len(pw) {
		pw = pw[:i]
	}
	words := nameWords(userName)
	res := zxcvbn.PasswordStrength(pw, words)
	return res.Score, weakness(res.Sequence, words)
}

// runeOffset is the byte offset of the n-th rune of s, or len(s).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// nameWords is the user name and, for names such as "alice.smith", its
// parts, so that "Smith2024" counts as guessable for that user.
func nameWords(name string) []string {
	if name == "" {
		return nil
	}
	words := []string{name}
	parts := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, p := range parts {
		if p != name && utf8.RuneCountInString(p) >= minNameLen {
			words = append(words, p)
		}
	}
	return words
}

// weakness describes the longest pattern zxcvbn found in the password:
// the part an attacker guesses cheaply and that most of the password
// rests on. names are the user's words given to zxcvbn.
func weakness(seq []*match.Match, names []string) string {
	var longest *match.Match
	size := 0
	for _, m := range seq {
		if m.Pattern == "bruteforce" {
			continue
		}
		if n := utf8.RuneCountInString(m.Token); n > size {
			longest, size = m, n
		}
	}
	if longest == nil {
		return "it could be guessed quickly"
	}
	switch longest.Pattern {
	case "dictionary":
		// A user name that is also a common name ("smith") may be
		// reported from either list; the user name says more.
		if longest.DictionaryName == "user_inputs" || slices.ContainsFunc(names, func(n string) bool {
			return strings.EqualFold(n, longest.MatchedWord)
		}) {
			return "it is based on the user name"
		}
		if longest.DictionaryName == "passwords" {
			return "it is a common password"
		}
		return "it is a common word or name"
	case "spatial":
		return "it contains a keyboard pattern"
	case "repeat":
		return "it repeats characters"
	case "sequence":
		return "it is a sequence"
	case "date", "regex":
		// zxcvbn's only regex pattern is "recent_year".
		return "it is a date"
	}
	return "it could be guessed quickly"
}
