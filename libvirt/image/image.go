// Package image inspects local pod VM image files: format (qcow2 or raw),
// size, virtual size and SHA-256, in constant memory.
package image

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// Formats are the volume formats supported.
const (
	QCOW2 = "qcow2"
	Raw   = "raw"
)

// Info describes an image file.
type Info struct {
	// Path is the file's path.
	Path string
	// Format is QCOW2 when the file starts with the qcow2 magic, Raw
	// otherwise.
	Format string
	// Size is the file's length in bytes.
	Size int64
	// VirtualSize is the disk size the image holds: the qcow2 header's
	// size, or Size for raw.
	VirtualSize int64
}

var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

// Inspect reads the header of the image at path.
func Inspect(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%s is not a regular file", path)
	}
	info := Info{Path: path, Format: Raw, Size: fi.Size(), VirtualSize: fi.Size()}
	var hdr [32]byte
	n, err := io.ReadFull(f, hdr[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Info{}, err
	}
	if n == len(hdr) && string(hdr[:4]) == string(qcow2Magic) {
		info.Format = QCOW2
		info.VirtualSize = int64(binary.BigEndian.Uint64(hdr[24:32]))
	}
	return info, nil
}

type fileKey struct {
	path            string
	dev, ino        uint64
	size, mtimeNano int64
}

var (
	sumMu    sync.Mutex
	sumCache = map[fileKey]string{}
)

// SHA256 returns the hex SHA-256 of the file at path. Results are cached
// per process by path, inode, size and modification time, so that Check,
// Diff and Create of one run hash a large image once.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	key := fileKey{path: path, size: fi.Size(), mtimeNano: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key.dev, key.ino = uint64(st.Dev), st.Ino
	}
	sumMu.Lock()
	sum, ok := sumCache[key]
	sumMu.Unlock()
	if ok {
		return sum, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	sumMu.Lock()
	sumCache[key] = sum
	sumMu.Unlock()
	return sum, nil
}
