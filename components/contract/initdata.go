package contract

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"slices"

	"github.com/BurntSushi/toml"
)

// InitData is INITDATA: a Kata initdata document (TOML with algorithm,
// version and data, such as an agent policy), gzip-compressed, then
// base64-encoded (standard alphabet, one line). CAA decodes it that way
// and refuses to start when it does not parse (CAA
// src/cloud-api-adaptor/pkg/initdata/initdata.go decode and Parse, called
// from cmd/cloud-api-adaptor/main.go for the -initdata flag).
var InitData = format("base64 of a gzip-compressed initdata TOML (use peerpods:initdataFile for the TOML itself)", func(v string) error {
	doc, err := DecodeInitData(v)
	if err != nil {
		return err
	}
	return checkInitDataTOML(doc)
})

// initDataAlgorithms are the digest algorithms CAA's initdata.Parse knows.
var initDataAlgorithms = []string{"sha256", "sha384", "sha512"}

// initDataBody is the part of an initdata document CAA reads.
type initDataBody struct {
	Algorithm string            `toml:"algorithm"`
	Version   string            `toml:"version"`
	Data      map[string]string `toml:"data"`
}

// checkInitDataTOML checks an initdata document as CAA parses it: TOML,
// an algorithm CAA can digest with, a version, and data whose values are
// strings.
func checkInitDataTOML(doc []byte) error {
	var body initDataBody
	if _, err := toml.Decode(string(doc), &body); err != nil {
		return fmt.Errorf("is not valid initdata TOML: %s", tomlProblem(err))
	}
	if !slices.Contains(initDataAlgorithms, body.Algorithm) {
		return fmt.Errorf("has algorithm %q; CAA digests initdata with sha256, sha384 or sha512 only", body.Algorithm)
	}
	if body.Version == "" {
		return fmt.Errorf("has no version")
	}
	return nil
}

// tomlProblem words a TOML error by position, without quoting the
// document.
func tomlProblem(err error) string {
	if pe, ok := err.(toml.ParseError); ok {
		return fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
	}
	return err.Error()
}

// EncodeInitData checks an initdata TOML document and encodes it for
// INITDATA: gzip, then base64.
func EncodeInitData(doc []byte) (string, error) {
	if err := checkInitDataTOML(doc); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	// A fixed header (no name, no modification time) keeps the value the
	// same for the same document, so an unchanged file is no change.
	zw, err := gzip.NewWriterLevel(enc, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(doc); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// DecodeInitData reverses EncodeInitData without checking the document.
func DecodeInitData(v string) ([]byte, error) {
	if err := notWord(v); err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, bytes.NewReader([]byte(v))))
	if err != nil {
		return nil, fmt.Errorf("is not base64 of gzip-compressed data")
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("is not base64 of gzip-compressed data")
	}
	return doc, nil
}
