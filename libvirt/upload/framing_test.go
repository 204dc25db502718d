package upload

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
)

// recorder is a net.Conn that records what is written.
type recorder struct {
	net.Conn
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { return r.buf.Write(p) }

func packet(typ uint32, payload []byte) []byte {
	b := make([]byte, packetPrefix, packetPrefix+len(payload))
	binary.BigEndian.PutUint32(b[0:4], uint32(packetPrefix+len(payload)))
	binary.BigEndian.PutUint32(b[typeOffset:], typ)
	return append(b, payload...)
}

// TestHoleConnRewritesOnlyMarkedPackets writes a data packet, a marked
// hole packet and another data packet in awkward pieces, and checks that
// only the marked one became a VIR_NET_STREAM_HOLE, byte for byte.
func TestHoleConnRewritesOnlyMarkedPackets(t *testing.T) {
	data := packet(typeStream, bytes.Repeat([]byte{0xff}, 100))
	hole := make([]byte, holeRecordSize)
	binary.BigEndian.PutUint64(hole, 1<<30)
	holePkt := packet(typeStream, hole)

	rec := &recorder{}
	c := &holeConn{Conn: rec}
	write := func(b []byte, sizes ...int) {
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
	write(data, 3, 20, 50)
	c.markHole()
	write(holePkt, 1, 30)
	write(data)

	want := append(append(append([]byte{}, data...), packet(typeStreamHole, hole)...), data...)
	if !bytes.Equal(rec.buf.Bytes(), want) {
		t.Fatalf("wrote\n%x\nwant\n%x", rec.buf.Bytes(), want)
	}
	if c.pending.Load() {
		t.Fatal("mark not consumed")
	}
}

func TestHoleConnRefusesMisframedHole(t *testing.T) {
	c := &holeConn{Conn: &recorder{}}
	c.markHole()
	if _, err := c.Write(packet(typeStream, make([]byte, 100))); err == nil {
		t.Fatal("a marked packet of the wrong size was passed on")
	}
}
