//go:build tools

// Package deps pins modules that the packages below import, so tidy keeps them while they are being written.
package deps
import (
_ "modernc.org/sqlite"
_ "github.com/spf13/cobra"
_ "github.com/BurntSushi/toml"
_ "golang.org/x/crypto/argon2"
_ "golang.org/x/crypto/bcrypt"
_ "github.com/jlaffaye/ftp"
_ "golang.org/x/term"
)
