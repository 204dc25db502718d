// Package upload streams a local image file into a libvirt storage volume
// with StorageVolUpload, in constant memory, sending the file's holes as
// hole records of a sparse stream instead of zeros.
//
// go-libvirt makes the calls (StorageVolUpload, and the stream's final
// packet), but its stream API (Socket.SendStream) only sends data packets
// (VIR_NET_STREAM) and has no way to send a hole (VIR_NET_STREAM_HOLE).
// So this package frames the stream's packets itself, on the same
// connection: the connection wrapper (streamConn) notes the header of the
// StorageVolUpload call as go-libvirt sends it, and the source handed to
// StorageVolUpload writes each data or hole packet of that stream straight
// to the connection when go-libvirt asks it for more (returning no bytes
// to go-libvirt), then io.EOF, on which go-libvirt sends the stream's end.
// Data goes from the file to a unix socket with sendfile (no copy through
// this process), elsewhere (SSH) with one read and one write per packet
// from a single reused buffer. The upload runs on a connection of its own,
// so no other call interleaves.
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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

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
	var sc *streamConn
	l, err := conn.OpenWrapped(uri, creds, func(c net.Conn) net.Conn {
		sc = newStreamConn(c)
		return sc
	})
	if err != nil {
		return Stats{}, err
	}
	// A libvirtd that moves no byte for stallTimeout (hung, stopped, or
	// stuck in its shutdown with the connection open) has the connection
	// closed and the calls given up (wctx), as on a cancel: nothing else
	// bounds them, the engine does not cancel a create.
	wctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	stalled := watchStall(sc, stallTimeout, giveUp)
	defer stalled()
	// After a cancel, the connection is closed under go-libvirt, which may
	// then wait for replies that never come: neither the upload nor the
	// disconnect may keep the create from returning (a Ctrl-C'd up once
	// waited for it for minutes).
	defer func() { returnWithin(wctx, func() error { return l.Disconnect() }) }()
	// stallError names a stall as the reason of err, when it was.
	stallError := func(err error) error {
		if stalled() {
			return fmt.Errorf("libvirtd moved no data for %s, hung or gone: the connection was closed (the wait: PEERPODS_UPLOAD_STALL)", stallTimeout)
		}
		return err
	}
	p, err := l.StoragePoolLookupByName(pool)
	if err != nil {
		return Stats{}, fmt.Errorf("storage pool %q: %w", pool, stallError(err))
	}
	v, err := l.StorageVolLookupByName(p, vol)
	if err != nil {
		return Stats{}, fmt.Errorf("storage volume %q in pool %q: %w", vol, pool, stallError(err))
	}
	s := &source{f: f, size: fi.Size(), conn: sc, progress: progress, ctx: ctx}
	// A write blocked on a full connection (qemu+ssh: the SSH window) does
	// not see the context: canceled, the connection is closed under it, so
	// that a Ctrl-C stops the upload at once, not when the engine gives up
	// waiting.
	stop := context.AfterFunc(ctx, func() { sc.Close() })
	defer stop()
	if beforeUpload != nil {
		beforeUpload()
	}
	// Length 0: up to the end of the stream; the stream's end sets the
	// volume's size (libvirt truncates it there).
	if err := returnWithin(wctx, func() error { return l.StorageVolUpload(v, s, 0, 0, libvirt.StorageVolUploadSparseStream) }); err != nil {
		if stalled() {
			err = stallError(err)
		} else if ctx.Err() != nil {
			// The closed connection's error says less. Not wrapped: a
			// context.Canceled error becomes gRPC's Canceled, which the
			// engine takes for an interrupted operation and keeps pending,
			// while the caller removes what was written and the create
			// has simply failed.
			err = fmt.Errorf("canceled (%v)", ctx.Err())
		}
		return s.stats(), fmt.Errorf("uploading %s into %s/%s: %w", path, pool, vol, err)
	}
	if s.progress != nil {
		s.progress(s.pos, s.holes, s.size)
	}
	return s.stats(), nil
}

// stallTimeout is how long an upload's connection may move no byte, in
// either direction, before it is closed and the upload fails. libvirtd
// takes each packet as it comes and answers the stream's end at once, so
// a quiet minute means it is hung. PEERPODS_UPLOAD_STALL (a Go duration)
// overrides it.
var stallTimeout = durationFromEnv("PEERPODS_UPLOAD_STALL", 2*time.Minute)

// beforeUpload, when set (tests), runs just before the upload call.
var beforeUpload func()

// watchStall closes c and calls giveUp once no byte has moved on c for d;
// the function it returns stops the watch (further calls are harmless)
// and reports whether it did so.
func watchStall(c *streamConn, d time.Duration, giveUp func()) func() bool {
	var stalled atomic.Bool
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(d / 8)
		defer tick.Stop()
		last, since := c.moved.Load(), time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if m := c.moved.Load(); m != last {
					last, since = m, now
				} else if now.Sub(since) >= d {
					stalled.Store(true)
					c.Close()
					giveUp()
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() bool {
		once.Do(func() { close(done) })
		return stalled.Load()
	}
}

func durationFromEnv(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}

// cancelGrace is how long a call may still take once the context is
// canceled and its connection closed.
var cancelGrace = 10 * time.Second

// returnWithin runs call and returns its error; once ctx is canceled it
// waits at most cancelGrace more, then returns ctx's error and leaves the
// call behind (it ends with the plugin's process).
func returnWithin(ctx context.Context, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(cancelGrace):
		return ctx.Err()
	}
}

// source sends a file as the packets of a libvirt sparse stream: data as
// it is, each hole as one virNetStreamHole record. It is the io.Reader
// handed to StorageVolUpload, but each Read sends the next packet itself
// on conn and returns no bytes; at the end it returns io.EOF, and
// go-libvirt sends the stream's final packet.
type source struct {
	f        *os.File
	size     int64
	pos      int64 // next offset to handle
	dataEnd  int64 // end of the data extent pos is in, when pos < dataEnd
	holes    int64
	conn     *streamConn
	progress Progress
	reported int64
	ctx      context.Context
}

// holeRecordSize is the XDR size of virNetStreamHole {hyper length;
// unsigned int flags}.
const holeRecordSize = 12

// maxChunk caps the data of one stream packet. libvirt's own clients
// (virStreamSendAll, virStreamSparseSendAll, so virsh vol-upload) send
// VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX = 262120 bytes, a 256 KiB message
// with its header. Larger packets cost libvirtd more: 1 MiB packets made
// it fault in and clear fresh memory for each message, and its fd-stream
// thread spent about 4 times the CPU writing the same data. Override with
// PEERPODS_UPLOAD_CHUNK (bytes) for experiments.
var maxChunk = chunkFromEnv(262120)

// progressStep is how often progress is reported.
const progressStep = 256 << 20

// Read implements io.Reader for go-libvirt's stream loop: it sends the
// next packet (data up to maxChunk, or a whole hole) and returns 0 bytes,
// or io.EOF when the file is done.
func (s *source) Read([]byte) (int, error) {
	if s.ctx != nil {
		if err := s.ctx.Err(); err != nil {
			return 0, err
		}
	}
	if s.pos >= s.size {
		return 0, io.EOF
	}
	if s.progress != nil && s.pos-s.reported >= progressStep {
		s.reported = s.pos
		s.progress(s.pos, s.holes, s.size)
	}
	if s.pos >= s.dataEnd {
		data, err := seek(s.f, s.pos, unix.SEEK_DATA, s.size)
		if err != nil {
			return 0, err
		}
		if data > s.pos {
			n := data - s.pos
			if err := s.conn.sendHole(n); err != nil {
				return 0, err
			}
			s.pos, s.holes = data, s.holes+n
			return 0, nil
		}
		if s.dataEnd, err = seek(s.f, s.pos, unix.SEEK_HOLE, s.size); err != nil {
			return 0, err
		}
	}
	n := int(min(s.dataEnd-s.pos, maxChunk))
	if err := s.conn.sendData(s.f, s.pos, n); err != nil {
		return 0, err
	}
	s.pos += int64(n)
	return 0, nil
}

func (s *source) stats() Stats {
	return Stats{Size: s.size, Sent: s.pos - s.holes, Holes: s.holes}
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
	typeCall       = 0 // VIR_NET_CALL
	typeStream     = 3 // VIR_NET_STREAM
	typeStreamHole = 6 // VIR_NET_STREAM_HOLE
	statusContinue = 2 // VIR_NET_CONTINUE
	procVolUpload  = 208
)

// streamConn passes everything go-libvirt writes through unchanged,
// keeping track of packet boundaries and of the last call's header, and
// sends the packets of that call's stream.
type streamConn struct {
	net.Conn
	prefix []byte // bytes of the current packet's prefix seen so far
	rest   int64  // payload bytes of the current packet still to pass
	call   []byte // prefix of the last call packet, nil before one
	// raw is the socket when data can go to it with sendfile.
	raw syscall.RawConn
	buf []byte // packet buffer when it cannot
	// moved counts the bytes read and written, for watchStall.
	moved atomic.Int64
}

func newStreamConn(c net.Conn) *streamConn {
	sc := &streamConn{Conn: c, prefix: make([]byte, 0, packetPrefix)}
	if s, ok := c.(syscall.Conn); ok {
		if raw, err := s.SyscallConn(); err == nil {
			sc.raw = raw
		}
	}
	return sc
}

// Write implements net.Conn.
func (c *streamConn) Write(p []byte) (int, error) {
	n, err := c.write(p)
	c.track(p[:n])
	return n, err
}

// Read implements net.Conn.
func (c *streamConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.moved.Add(int64(n))
	return n, err
}

// write writes p to the connection, counting what went.
func (c *streamConn) write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.moved.Add(int64(n))
	return n, err
}

// track follows the packets in p, written through.
func (c *streamConn) track(p []byte) {
	for len(p) > 0 {
		if c.rest > 0 {
			n := min(c.rest, int64(len(p)))
			c.rest -= n
			p = p[n:]
			continue
		}
		n := min(packetPrefix-len(c.prefix), len(p))
		c.prefix = append(c.prefix, p[:n]...)
		p = p[n:]
		if len(c.prefix) < packetPrefix {
			continue
		}
		if binary.BigEndian.Uint32(c.prefix[typeOffset:]) == typeCall {
			c.call = append(c.call[:0], c.prefix...)
		}
		c.rest = int64(binary.BigEndian.Uint32(c.prefix[0:4])) - packetPrefix
		c.prefix = c.prefix[:0]
	}
}

// header returns the prefix of a packet of the upload call's stream.
func (c *streamConn) header(b []byte, typ uint32, payload int) error {
	if c.call == nil || binary.BigEndian.Uint32(c.call[12:16]) != procVolUpload {
		return errors.New("upload: stream packet before the StorageVolUpload call")
	}
	if len(c.prefix) > 0 || c.rest > 0 {
		return errors.New("upload: stream packet inside another packet")
	}
	copy(b, c.call[:packetPrefix])
	binary.BigEndian.PutUint32(b[0:4], uint32(packetPrefix+payload))
	binary.BigEndian.PutUint32(b[typeOffset:], typ)
	binary.BigEndian.PutUint32(b[packetPrefix-4:], statusContinue)
	return nil
}

// sendHole sends a hole record of n bytes.
func (c *streamConn) sendHole(n int64) error {
	var b [packetPrefix + holeRecordSize]byte
	if err := c.header(b[:], typeStreamHole, holeRecordSize); err != nil {
		return err
	}
	binary.BigEndian.PutUint64(b[packetPrefix:], uint64(n))
	binary.BigEndian.PutUint32(b[packetPrefix+8:], 0)
	_, err := c.write(b[:])
	return err
}

// sendData sends n bytes of f at off as one data packet.
func (c *streamConn) sendData(f *os.File, off int64, n int) error {
	if c.raw != nil {
		var h [packetPrefix]byte
		if err := c.header(h[:], typeStream, n); err != nil {
			return err
		}
		if _, err := c.write(h[:]); err != nil {
			return err
		}
		sent, err := c.sendfile(f, off, n)
		if err == nil || sent > 0 || !sendfileUnsupported(err) {
			return err
		}
		// The header is out: send this payload (and the next
		// packets) from the buffer.
		c.raw = nil
		b := c.buffer(n)
		if err := readFull(f, b[packetPrefix:], off); err != nil {
			return err
		}
		_, err = c.write(b[packetPrefix:])
		return err
	}
	b := c.buffer(n)
	if err := c.header(b, typeStream, n); err != nil {
		return err
	}
	if err := readFull(f, b[packetPrefix:], off); err != nil {
		return err
	}
	_, err := c.write(b)
	return err
}

// buffer returns the packet buffer, room for a prefix and n bytes.
func (c *streamConn) buffer(n int) []byte {
	if cap(c.buf) < packetPrefix+n {
		c.buf = make([]byte, packetPrefix+int(max(int64(n), maxChunk)))
	}
	return c.buf[:packetPrefix+n]
}

// sendfile sends n bytes of f at off to the socket, without copying them
// through this process; it waits for the socket as Write does.
func (c *streamConn) sendfile(f *os.File, off int64, n int) (int, error) {
	sent := 0
	var serr error
	err := c.raw.Write(func(fd uintptr) bool {
		for sent < n {
			o := off + int64(sent)
			k, err := unix.Sendfile(int(fd), int(f.Fd()), &o, n-sent)
			if k > 0 {
				sent += k
				c.moved.Add(int64(k))
			}
			switch {
			case err == unix.EAGAIN:
				return false // wait until the socket takes more
			case err == unix.EINTR:
			case err != nil:
				serr = err
				return true
			case k == 0:
				serr = fmt.Errorf("%s shrank while being uploaded", f.Name())
				return true
			}
		}
		return true
	})
	if err != nil {
		return sent, err
	}
	return sent, serr
}

func sendfileUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// readFull reads len(b) bytes of f at off.
func readFull(f *os.File, b []byte, off int64) error {
	_, err := f.ReadAt(b, off)
	if err == io.EOF {
		err = fmt.Errorf("%s shrank while being uploaded", f.Name())
	}
	return err
}

func chunkFromEnv(def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv("PEERPODS_UPLOAD_CHUNK"), 10, 64); err == nil && v >= holeRecordSize {
		return v
	}
	return def
}
