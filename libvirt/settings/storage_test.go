package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/problems"
)

// problemsOf returns the settings err names, and its fixes.
func problemsOf(err error) (settings []string, fixes string) {
	for _, ie := range problems.InputErrors(err) {
		settings = append(settings, ie.Setting)
		fixes += ie.Fix + "\n"
	}
	return settings, fixes
}

func TestCheckPoolPath(t *testing.T) {
	cases := map[string]string{
		DefaultPoolPath:       "",
		DefaultPoolPath + "/": "",
		"/srv/pods":           "",
		"images":              "absolute directory",
		"/srv/../pods":        `use "/pods"`,
		"/":                   "a directory of its own",
	}
	for path, fix := range cases {
		settings, fixes := problemsOf(CheckPoolPath("dir", path))
		switch {
		case fix == "" && settings != nil:
			t.Errorf("%q: %v %s", path, settings, fixes)
		case fix != "" && (!reflect.DeepEqual(settings, []string{"dir"}) || !strings.Contains(fixes, fix)):
			t.Errorf("%q: problems on %v, fix %q; want dir, %q", path, settings, fixes, fix)
		}
	}
}

func TestCheckFormat(t *testing.T) {
	for _, ok := range []string{"qcow2", "raw"} {
		if err := CheckFormat("format", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if settings, fixes := problemsOf(CheckFormat("format", "vmdk")); !reflect.DeepEqual(settings, []string{"format"}) || !strings.Contains(fixes, `"qcow2" or "raw"`) {
		t.Errorf("vmdk: %v %s", settings, fixes)
	}
}

// images writes a 8 MiB raw image and a qcow2 header of a 1 GiB disk.
func images(t *testing.T) (raw, qcow2 string) {
	t.Helper()
	dir := t.TempDir()
	raw, qcow2 = filepath.Join(dir, "podvm.raw"), filepath.Join(dir, "podvm.qcow2")
	if err := os.WriteFile(raw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(raw, 8<<20); err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, 512)
	copy(hdr, []byte{'Q', 'F', 'I', 0xfb, 0, 0, 0, 3})
	hdr[24+4] = 0x40
	if err := os.WriteFile(qcow2, hdr, 0o600); err != nil {
		t.Fatal(err)
	}
	return raw, qcow2
}

func TestCheckSource(t *testing.T) {
	raw, qcow2 := images(t)
	names := SourceNames{Source: "image", Format: "format", Capacity: "capacity"}
	size := func(n int) *int { return &n }
	cases := []struct {
		name     string
		path     string
		format   string
		capacity *int
		settings []string
		fix      string
	}{
		{"raw", raw, "raw", nil, nil, ""},
		{"raw, format not compared", raw, "", size(8 << 20), nil, ""},
		{"qcow2 larger", qcow2, "qcow2", size(2 << 30), nil, ""},
		{"relative", "podvm.raw", "raw", nil, []string{"image"}, "absolute path"},
		{"missing", "/nonexistent/podvm.raw", "raw", nil, []string{"image"}, "existing image"},
		{"format", qcow2, "raw", nil, []string{"format"}, `set it to "qcow2"`},
		{"capacity", raw, "raw", size(1 << 20), []string{"capacity"}, "at least 8388608"},
		{"format and capacity", qcow2, "raw", size(1 << 20), []string{"format", "capacity"}, "at least 1073741824"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := CheckSource(names, c.path, c.format, c.capacity)
			settings, fixes := problemsOf(err)
			if !reflect.DeepEqual(settings, c.settings) || !strings.Contains(fixes, c.fix) {
				t.Errorf("problems on %v, fixes %q; want %v, %q", settings, fixes, c.settings, c.fix)
			}
			if c.settings == nil && info.Path != c.path {
				t.Errorf("info %+v", info)
			}
		})
	}
}
