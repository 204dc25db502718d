package upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recorder is a net.Conn that records what is written.
type recorder struct {
	net.Conn
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { return r.buf.Write(p) }

// packet frames payload as a packet of type typ, procedure proc, serial 7.
func packet(typ, proc, status uint32, payload []byte) []byte {
	b := make([]byte, packetPrefix, packetPrefix+len(payload))
	binary.BigEndian.PutUint32(b[0:4], uint32(packetPrefix+len(payload)))
	binary.BigEndian.PutUint32(b[4:8], 0x20008086)
	binary.BigEndian.PutUint32(b[8:12], 1)
	binary.BigEndian.PutUint32(b[12:16], proc)
	binary.BigEndian.PutUint32(b[typeOffset:], typ)
	binary.BigEndian.PutUint32(b[20:24], 7)
	binary.BigEndian.PutUint32(b[24:28], status)
	return append(b, payload...)
}

func holeRecord(n int64) []byte {
	b := make([]byte, holeRecordSize)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// write writes b to c in pieces of the given sizes, then the rest.
func write(t *testing.T, c net.Conn, b []byte, sizes ...int) {
	t.Helper()
	for _, n := range sizes {
		if _, err := c.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// TestStreamConnFramesTheCallsStream passes go-libvirt's packets through
// in awkward pieces, then frames data and hole packets of the upload
// call's stream, byte for byte.
func TestStreamConnFramesTheCallsStream(t *testing.T) {
	other := packet(typeCall, 99, 0, bytes.Repeat([]byte{0xee}, 100))
	call := packet(typeCall, procVolUpload, 0, []byte("args"))
	reply := packet(1, procVolUpload, 0, nil)

	rec := &recorder{}
	c := newStreamConn(rec)
	write(t, c, other, 3, 20, 50)
	write(t, c, call, 1, 30)
	write(t, c, reply)

	f := tempFile(t, []byte("0123456789"))
	if err := c.sendData(f, 2, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.sendHole(1 << 30); err != nil {
		t.Fatal(err)
	}
	end := packet(typeStream, procVolUpload, 0, nil)
	write(t, c, end)

	want := bytes.Join([][]byte{other, call, reply,
		packet(typeStream, procVolUpload, statusContinue, []byte("23456")),
		packet(typeStreamHole, procVolUpload, statusContinue, holeRecord(1<<30)),
		end}, nil)
	if !bytes.Equal(rec.buf.Bytes(), want) {
		t.Fatalf("wrote\n%x\nwant\n%x", rec.buf.Bytes(), want)
	}
}

func TestStreamConnRefusesMisplacedPackets(t *testing.T) {
	c := newStreamConn(&recorder{})
	if err := c.sendHole(1); err == nil {
		t.Fatal("a stream packet was sent before the upload call")
	}
	write(t, c, packet(typeCall, 1, 0, nil))
	if err := c.sendHole(1); err == nil {
		t.Fatal("a stream packet was sent for another call")
	}
	call := packet(typeCall, procVolUpload, 0, []byte("args"))
	write(t, c, call[:len(call)-1])
	if err := c.sendHole(1); err == nil {
		t.Fatal("a stream packet was sent inside another packet")
	}
}

func tempFile(t *testing.T, b []byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	return f
}

// sparseImage writes a file of size bytes with random data at the given
// [start, end) extents, holes elsewhere, and returns it and its content.
func sparseImage(t *testing.T, size int64, extents ...[2]int64) (*os.File, []byte) {
	t.Helper()
	f := tempFile(t, nil)
	content := make([]byte, size)
	for _, e := range extents {
		rand.Read(content[e[0]:e[1]])
		if _, err := f.WriteAt(content[e[0]:e[1]], e[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return f, content
}

// replay reads stream packets from r until the end packet, checks their
// framing and returns the content they carry and the bytes sent as holes.
func replay(t *testing.T, r io.Reader) (content []byte, holes int64) {
	t.Helper()
	for {
		p := make([]byte, packetPrefix)
		if _, err := io.ReadFull(r, p); err != nil {
			t.Fatal(err)
		}
		n := binary.BigEndian.Uint32(p[0:4])
		if binary.BigEndian.Uint32(p[12:16]) != procVolUpload || binary.BigEndian.Uint32(p[20:24]) != 7 {
			t.Fatalf("packet of another call: %x", p)
		}
		payload := make([]byte, n-packetPrefix)
		if _, err := io.ReadFull(r, payload); err != nil {
			t.Fatal(err)
		}
		typ, status := binary.BigEndian.Uint32(p[typeOffset:]), binary.BigEndian.Uint32(p[24:28])
		switch {
		case typ == typeStream && status == 0 && len(payload) == 0:
			return content, holes
		case typ == typeStream && status == statusContinue:
			if int64(len(payload)) > maxChunk {
				t.Fatalf("%d-byte data packet", len(payload))
			}
			content = append(content, payload...)
		case typ == typeStreamHole && status == statusContinue && len(payload) == holeRecordSize:
			h := int64(binary.BigEndian.Uint64(payload))
			content = append(content, make([]byte, h)...)
			holes += h
		default:
			t.Fatalf("unexpected packet %x", p)
		}
	}
}

// upload drives a source over c as go-libvirt's SendStream does, then
// sends the end packet.
func upload(t *testing.T, c *streamConn, f *os.File) Stats {
	t.Helper()
	write(t, c, packet(typeCall, procVolUpload, 0, []byte("args")))
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	s := &source{f: f, size: fi.Size(), conn: c, ctx: context.Background(), progress: func(done, _, _ int64) { last = done }}
	for {
		n, err := s.Read(make([]byte, 1))
		if n != 0 {
			t.Fatalf("Read returned %d bytes", n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(t, c, packet(typeStream, procVolUpload, 0, nil))
	if fi.Size() > progressStep && last == 0 {
		t.Fatal("no progress reported")
	}
	return s.stats()
}

// checkUpload uploads f over c, replays what the peer gets, and compares.
func checkUpload(t *testing.T, c *streamConn, peer io.Reader, f *os.File, want []byte) {
	t.Helper()
	type result struct {
		content []byte
		holes   int64
	}
	got := make(chan result, 1)
	go func() {
		var p [packetPrefix + 4]byte
		io.ReadFull(peer, p[:]) // the call
		content, holes := replay(t, peer)
		got <- result{content, holes}
	}()
	st := upload(t, c, f)
	r := <-got
	if !bytes.Equal(r.content, want) {
		t.Fatal("uploaded content differs")
	}
	if st.Holes != r.holes || st.Size != int64(len(want)) || st.Sent+st.Holes != st.Size {
		t.Fatalf("stats %+v, %d bytes of holes sent", st, r.holes)
	}
}

// TestUploadOverUnixSocket sends a sparse file with sendfile over a unix
// socket, as to a local libvirtd.
func TestUploadOverUnixSocket(t *testing.T) {
	f, want := sparseImage(t, 3<<20+100, [2]int64{0, 5000}, [2]int64{1 << 20, 2<<20 + 7}, [2]int64{3 << 20, 3<<20 + 100})
	a, b := unixPair(t)
	c := newStreamConn(a)
	if c.raw == nil {
		t.Fatal("a unix socket is not used with sendfile")
	}
	checkUpload(t, c, b, f, want)
	if c.raw == nil || c.buf != nil {
		t.Fatal("sendfile was not used")
	}
}

// TestUploadOverOtherConn sends a sparse file over a connection without a
// file descriptor (as over SSH), and one starting with a hole.
func TestUploadOverOtherConn(t *testing.T) {
	f, want := sparseImage(t, 2<<20, [2]int64{1 << 20, 1<<20 + 4096})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := newStreamConn(a)
	checkUpload(t, c, b, f, want)
	if c.buf == nil {
		t.Fatal("the packet buffer was not used")
	}
}

func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "s"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.DialUnix("unix", nil, l.Addr().(*net.UnixAddr))
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestUploadStopsWhenCanceled stops at the next packet.
func TestUploadStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &source{size: 1, ctx: ctx}
	if _, err := s.Read(nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

// TestUploadNoticesShrinking fails when the file ends before its size.
func TestUploadNoticesShrinking(t *testing.T) {
	for _, conn := range []net.Conn{&recorder{}, nil} {
		f := tempFile(t, []byte("0123456789"))
		if conn == nil {
			a, b := unixPair(t)
			go io.Copy(io.Discard, b)
			conn = a
		}
		c := newStreamConn(conn)
		write(t, c, packet(typeCall, procVolUpload, 0, nil))
		s := &source{f: f, size: 20, dataEnd: 20, conn: c}
		if _, err := s.Read(nil); err == nil {
			t.Fatalf("%T: no error for a shrunk file", conn)
		}
	}
}

// TestReturnWithin: a call that never returns after its context is
// canceled (go-libvirt waiting for a reply on a closed connection) does
// not keep the caller: it gets the context's error after the grace; a
// call that ends in time gives its own result.
func TestReturnWithin(t *testing.T) {
	old := cancelGrace
	cancelGrace = time.Millisecond
	t.Cleanup(func() { cancelGrace = old })
	ctx, cancel := context.WithCancel(context.Background())
	blocked := make(chan struct{})
	t.Cleanup(func() { close(blocked) })
	cancel()
	if err := returnWithin(ctx, func() error { <-blocked; return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a call stuck after the cancel: %v, want context.Canceled", err)
	}
	want := errors.New("done")
	if err := returnWithin(context.Background(), func() error { return want }); err != want {
		t.Errorf("a call that returns: %v", err)
	}
}
