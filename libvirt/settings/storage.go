package settings

import (
	"fmt"
	"path/filepath"

	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/libvirt/image"
)

// Defaults of the storage pool and volume, as in the product
// documentation.
const (
	// DefaultPoolPath is the target directory of a pool unless told
	// otherwise.
	DefaultPoolPath = "/var/lib/libvirt/images"
	// DefaultVolumeName is the volume name unless told otherwise.
	DefaultVolumeName = "podvm-base.qcow2"
)

// CheckPoolPath checks a pool directory: absolute, clean, not the root.
func CheckPoolPath(setting, path string) error {
	switch {
	case !filepath.IsAbs(path):
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not an absolute path", path), "use an absolute directory such as "+DefaultPoolPath)
	case filepath.Clean(path) != path && filepath.Clean(path)+"/" != path:
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not a clean path", path), fmt.Sprintf("use %q", filepath.Clean(path)))
	case filepath.Clean(path) == "/":
		return problems.Invalid(setting, "is the root directory", "use a directory of its own such as "+DefaultPoolPath)
	}
	return nil
}

// CheckFormat checks a volume format name.
func CheckFormat(setting, format string) error {
	if format != image.QCOW2 && format != image.Raw {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not a supported format", format), `use "qcow2" or "raw"`)
	}
	return nil
}

// SourceNames name the settings CheckSource reports problems on.
type SourceNames struct{ Source, Format, Capacity string }

// CheckSource checks an image against the volume's format (empty: not
// compared) and capacity (nil: the image's size).
func CheckSource(names SourceNames, path, format string, capacity *int) (image.Info, error) {
	var ps problems.List
	if !filepath.IsAbs(path) {
		return image.Info{}, problems.Invalid(names.Source, fmt.Sprintf("is %q, which is not an absolute path", path), "give the image's absolute path")
	}
	info, err := image.Inspect(path)
	if err != nil {
		return image.Info{}, problems.Invalid(names.Source, fmt.Sprintf("cannot be read: %v", err), "give an existing image file")
	}
	if format != "" && info.Format != format {
		ps.Add(problems.Invalid(names.Format, fmt.Sprintf("is %q, but %s is a %s image", format, path, info.Format), fmt.Sprintf("set it to %q or give a %s image", info.Format, format)))
	}
	if capacity != nil && int64(*capacity) < info.VirtualSize {
		ps.Add(problems.Invalid(names.Capacity, fmt.Sprintf("is %d bytes, smaller than the image %s (%d bytes)", *capacity, path, info.VirtualSize),
			fmt.Sprintf("use at least %d, or leave it unset to use the image's size", info.VirtualSize)))
	}
	return info, ps.Err()
}
