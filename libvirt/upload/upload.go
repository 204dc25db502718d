// Package upload streams a local image file into a libvirt storage volume
// with StorageVolUpload, in constant memory, sending the file's holes as
// hole records of a sparse stream instead of zeros.
//
// go-libvirt's stream API (Socket.SendStream) only sends data packets
// (VIR_NET_STREAM); it has no way to send a hole (VIR_NET_STREAM_HOLE).
// This package adds it at the framing layer: the Reader handed to
// StorageVolUpload returns a hole's 12-byte virNetStreamHole payload and
// marks it; go-libvirt frames it as the next stream packet, and the
// connection wrapper (holeConn) rewrites that packet's type from
// VIR_NET_STREAM (3) to VIR_NET_STREAM_HOLE (6). Packet lengths do not
// change. The upload runs on a connection of its own, so no other call
// interleaves.
package upload

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/libvirt/conn"
	"golang.org/x/sys/unix"
)

// Progress is called as the upload advances: done bytes of the file
// handled (data sent plus holes skipped), holes of them skipped, of total.
type Progress func(done, holes, total int64)

// Stats sum up an upload.
type Stats struct {
	// Size is the file's size; Sent the data bytes sent; Holes the bytes
	// sent as hole records.
	Size, Sent, Holes int64
}

// File uploads the file at path into the volume vol of pool, which must
// exist and be at least as large as the file. The volume's bytes where the
// file has holes must read as zeros (a newly created raw volume does).
func File(ctx context.Context, uri string, creds conn.Credentials, pool, vol, path string, progress Progress) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, err
	}
	var hc *holeConn
	l, err := conn.OpenWrapped(uri, creds, func(c net.Conn) net.Conn {
		hc = &holeConn{Conn: c}
		return hc
	})
	if err != nil {
		return Stats{}, err
	}
	defer l.Disconnect()
	p, err := l.StoragePoolLookupByName(pool)
	if err != nil {
		return Stats{}, fmt.Errorf("storage pool %q: %w", pool, err)
	}
	v, err := l.StorageVolLookupByName(p, vol)
	if err != nil {
		return Stats{}, fmt.Errorf("storage volume %q in pool %q: %w", vol, pool, err)
	}
	r := &Reader{f: f, size: fi.Size(), markHole: hc.markHole, progress: progress, ctx: ctx}
	// Length 0: up to the end of the stream; the stream's end sets the
	// volume's size (libvirt truncates it there).
	if err := l.StorageVolUpload(v, r, 0, 0, libvirt.StorageVolUploadSparseStream); err != nil {
		return r.stats(), fmt.Errorf("uploading %s into %s/%s: %w", path, pool, vol, err)
	}
	if hc.pending.Load() {
		return r.stats(), errors.New("upload: a hole record was not framed")
	}
	if r.progress != nil {
		r.progress(r.pos, r.holes, r.size)
	}
	return r.stats(), nil
}

// Reader reads a file as a libvirt sparse stream: data as it is, each
// hole as one virNetStreamHole payload, announced with markHole.
type Reader struct {
	f        *os.File
	size     int64
	pos      int64 // next offset to handle
	dataEnd  int64 // end of the data extent pos is in, when pos < dataEnd
	holes    int64
	markHole func()
	progress Progress
	reported int64
	ctx      context.Context
}

// holeRecordSize is the XDR size of virNetStreamHole {hyper length;
// unsigned int flags}.
const holeRecordSize = 12

// maxChunk caps the data of one stream packet (1 MiB measured fastest
// against 64 KiB-4 MiB: go-libvirt copies each packet once more); override with
// PEERPODS_UPLOAD_CHUNK (bytes) for experiments.
var maxChunk = chunkFromEnv(1 << 20)

// progressStep is how often progress is reported.
const progressStep = 256 << 20

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.progress != nil && r.pos-r.reported >= progressStep {
		r.reported = r.pos
		r.progress(r.pos, r.holes, r.size)
	}
	if r.pos >= r.dataEnd {
		data, err := seek(r.f, r.pos, unix.SEEK_DATA, r.size)
		if err != nil {
			return 0, err
		}
		if data > r.pos {
			if len(p) < holeRecordSize {
				return 0, io.ErrShortBuffer
			}
			n := data - r.pos
			binary.BigEndian.PutUint64(p[0:8], uint64(n))
			binary.BigEndian.PutUint32(p[8:12], 0)
			r.markHole()
			r.pos, r.holes = data, r.holes+n
			return holeRecordSize, nil
		}
		if r.dataEnd, err = seek(r.f, r.pos, unix.SEEK_HOLE, r.size); err != nil {
			return 0, err
		}
	}
	n := min(int64(len(p)), r.dataEnd-r.pos, maxChunk)
	m, err := r.f.ReadAt(p[:n], r.pos)
	r.pos += int64(m)
	if err == io.EOF && m > 0 {
		err = nil
	}
	if err == io.EOF {
		err = fmt.Errorf("%s shrank while being uploaded", r.f.Name())
	}
	return m, err
}

func (r *Reader) stats() Stats {
	return Stats{Size: r.size, Sent: r.pos - r.holes, Holes: r.holes}
}

// seek finds the next data (SEEK_DATA) or hole (SEEK_HOLE) at or after off;
// no more data counts as size. A file system without SEEK_DATA support
// reports the whole file as data, which is still correct.
func seek(f *os.File, off int64, whence int, size int64) (int64, error) {
	n, err := unix.Seek(int(f.Fd()), off, whence)
	if errors.Is(err, unix.ENXIO) {
		return size, nil
	}
	if err != nil {
		return 0, fmt.Errorf("seeking %s: %w", f.Name(), err)
	}
	return min(n, size), nil
}

// Packet layout of the libvirt RPC protocol: a 4-byte length, then the
// header (program, version, procedure, type, serial, status; 4 bytes
// each), then the payload.
const (
	packetPrefix   = 4 + 24
	typeOffset     = 4 + 12
	typeStream     = 3 // VIR_NET_STREAM
	typeStreamHole = 6 // VIR_NET_STREAM_HOLE
)

// holeConn passes everything written through, and turns the next stream
// packet after markHole into a hole packet.
type holeConn struct {
	net.Conn
	pending atomic.Bool
	prefix  []byte // bytes of the current packet's prefix seen so far
	rest    int64  // payload bytes of the current packet still to pass
}

func (c *holeConn) markHole() { c.pending.Store(true) }

// Write implements net.Conn.
func (c *holeConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if c.rest > 0 {
			n := int(min(c.rest, int64(len(p))))
			if _, err := c.Conn.Write(p[:n]); err != nil {
				return written, err
			}
			c.rest -= int64(n)
			p, written = p[n:], written+n
			continue
		}
		n := min(packetPrefix-len(c.prefix), len(p))
		c.prefix = append(c.prefix, p[:n]...)
		p, written = p[n:], written+n
		if len(c.prefix) < packetPrefix {
			continue
		}
		length := binary.BigEndian.Uint32(c.prefix[0:4])
		if binary.BigEndian.Uint32(c.prefix[typeOffset:]) == typeStream && c.pending.CompareAndSwap(true, false) {
			if length != packetPrefix+holeRecordSize {
				return written, fmt.Errorf("upload: hole record framed in a %d-byte packet", length)
			}
			binary.BigEndian.PutUint32(c.prefix[typeOffset:], typeStreamHole)
		}
		if _, err := c.Conn.Write(c.prefix); err != nil {
			return written, err
		}
		c.rest = int64(length) - packetPrefix
		c.prefix = c.prefix[:0]
	}
	return written, nil
}

func chunkFromEnv(def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv("PEERPODS_UPLOAD_CHUNK"), 10, 64); err == nil && v >= holeRecordSize {
		return v
	}
	return def
}
