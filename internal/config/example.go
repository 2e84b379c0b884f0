package config

import _ "embed"

// The repository's bulwark.example.toml is a copy of this file; a test keeps
// the two identical.
//
//go:embed example.toml
var example string

// Example returns the commented example configuration, which sets every key
// to its default.
func Example() string { return example }
