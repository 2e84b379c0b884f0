package user

import (
	"errors"
	"fmt"
	"strings"
)

// Rights is a set of operations a user may perform at a virtual path.
type Rights uint16

// The individual rights.
const (
	RightList      Rights = 1 << iota // see directory contents (LIST, NLST, MLSD, MLST, STAT path)
	RightDownload                     // read file contents and metadata (RETR, SIZE, MDTM, HASH)
	RightUpload                       // create a new file (STOR, STOU)
	RightOverwrite                    // replace an existing file (STOR over a file)
	RightAppend                       // APPE, and REST + STOR resume
	RightDelete                       // DELE
	RightRename                       // RNFR/RNTO source
	RightMkdir                        // MKD
	RightRmdir                        // RMD
	RightChmod                        // SITE CHMOD
	RightMtime                        // MFMT
)

// Shorthands.
const (
	RightsNone  Rights = 0
	RightsRead         = RightList | RightDownload
	RightsWrite        = RightUpload | RightOverwrite | RightAppend | RightMkdir
	RightsAll          = RightList | RightDownload | RightUpload | RightOverwrite | RightAppend |
		RightDelete | RightRename | RightMkdir | RightRmdir | RightChmod | RightMtime
)

// rightNames lists every single right in canonical order.
var rightNames = [...]struct {
	name  string
	right Rights
}{
	{"list", RightList}, {"download", RightDownload}, {"upload", RightUpload},
	{"overwrite", RightOverwrite}, {"append", RightAppend}, {"delete", RightDelete},
	{"rename", RightRename}, {"mkdir", RightMkdir}, {"rmdir", RightRmdir},
	{"chmod", RightChmod}, {"mtime", RightMtime},
}

// ErrInvalidRights is wrapped by ParseRights errors.
var ErrInvalidRights = errors.New("invalid rights")

// ParseRights reads a comma-separated list of rights and shorthands
// ("read,upload", "all", "none"). Case and spaces around names are ignored.
func ParseRights(s string) (Rights, error) {
	var r Rights
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("%w: empty (use \"none\" for no rights)", ErrInvalidRights)
	}
	for _, part := range strings.Split(s, ",") {
		name := strings.ToLower(strings.TrimSpace(part))
		switch name {
		case "all":
			r |= RightsAll
			continue
		case "read":
			r |= RightsRead
			continue
		case "write":
			r |= RightsWrite
			continue
		case "none":
			continue
		}
		found := false
		for _, rn := range rightNames {
			if rn.name == name {
				r |= rn.right
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%w: unknown right %q (known: %s, and all, read, write, none)",
				ErrInvalidRights, part, strings.Join(RightNames(), ", "))
		}
	}
	return r, nil
}

// RightNames returns the names of the single rights in canonical order.
func RightNames() []string {
	out := make([]string, len(rightNames))
	for i, rn := range rightNames {
		out[i] = rn.name
	}
	return out
}

// Has reports whether r includes every right in x.
func (r Rights) Has(x Rights) bool { return r&x == x }

// Names returns the single rights in r, in canonical order.
func (r Rights) Names() []string {
	var out []string
	for _, rn := range rightNames {
		if r.Has(rn.right) {
			out = append(out, rn.name)
		}
	}
	return out
}

// String renders r so that ParseRights reads it back, using the shorthands
// where they fit: "all", "none", "read", "read,upload", "write,delete".
func (r Rights) String() string {
	switch r & RightsAll {
	case RightsAll:
		return "all"
	case RightsNone:
		return "none"
	}
	var parts []string
	rest := r & RightsAll
	if rest.Has(RightsRead) {
		parts = append(parts, "read")
		rest &^= RightsRead
	}
	if rest.Has(RightsWrite) {
		parts = append(parts, "write")
		rest &^= RightsWrite
	}
	return strings.Join(append(parts, rest.Names()...), ",")
}

// Describe says in plain words what r allows, for refusal messages:
// "upload only", "read only", "no access", "list, download, upload".
func (r Rights) Describe() string {
	switch r & RightsAll {
	case RightsNone:
		return "no access"
	case RightsAll:
		return "full access"
	case RightsRead:
		return "read only"
	case RightList:
		return "list only"
	case RightDownload:
		return "download only"
	}
	names := r.Names()
	if len(names) == 1 {
		return names[0] + " only"
	}
	return strings.Join(names, ", ")
}
