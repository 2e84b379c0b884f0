package password

import (
	"strings"
	"testing"
	"unicode"
)

func TestGenerate(t *testing.T) {
	for _, n := range []int{-1, 0, 8, 15} {
		if _, err := Generate(n); err == nil {
			t.Errorf("Generate(%d) succeeded", n)
		}
	}
	seen := map[string]bool{}
	for _, n := range []int{16, 17, 32, 100} {
		for range 200 {
			pw, err := Generate(n)
			if err != nil {
				t.Fatal(err)
			}
			if len(pw) != n {
				t.Fatalf("Generate(%d) gave %d characters", n, len(pw))
			}
			if strings.ContainsAny(pw, "0O1lI") {
				t.Fatalf("ambiguous character in %q", pw)
			}
			var upper, lower, digit bool
			for _, r := range pw {
				upper = upper || unicode.IsUpper(r)
				lower = lower || unicode.IsLower(r)
				digit = digit || unicode.IsDigit(r)
				if !strings.ContainsRune(generateAlphabet, r) {
					t.Fatalf("character %q outside the alphabet", r)
				}
			}
			if !upper || !lower || !digit {
				t.Fatalf("%q lacks a character class", pw)
			}
			if seen[pw] {
				t.Fatalf("repeated password %q", pw)
			}
			seen[pw] = true
		}
	}
}

func TestGenerateUsesWholeAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for range 100 {
		pw, _ := Generate(64)
		for _, r := range pw {
			counts[r]++
		}
	}
	// 6400 draws over 57 characters: each appears about 112 times; one
	// missing would mean a broken mapping, not bad luck.
	if len(counts) != len(generateAlphabet) {
		t.Fatalf("only %d of %d characters drawn", len(counts), len(generateAlphabet))
	}
}

func TestGenerateForPassesTheNameRule(t *testing.T) {
	p := DefaultPolicy()
	for range 20 {
		pw, err := p.GenerateFor("alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Check(pw, "alice"); err != nil {
			t.Fatalf("GenerateFor gave %q, which the policy refuses: %v", pw, err)
		}
	}
}
