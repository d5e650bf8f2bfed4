// Package textenc handles the text encodings of files people give seiri
// (policies, org.yaml, seiri.yaml, authorization details, case files): a
// UTF-8 byte-order mark, as PowerShell and Notepad write it, is accepted and
// dropped; UTF-16 and UTF-32 are recognised and refused with "re-save it as
// UTF-8" instead of a parser's cryptic "invalid character 'ï'". It also
// turns encoding/json errors into words a user understands (JSONError).
package textenc

import (
	"bufio"
	"bytes"
	"io"
)

var bomUTF8 = []byte{0xEF, 0xBB, 0xBF}

// EncodingError is text in an encoding seiri does not read.
type EncodingError struct {
	Encoding string // "UTF-16 (little-endian)", ...
}

func (e *EncodingError) Error() string {
	return "the file is " + e.Encoding + " text; re-save it as UTF-8"
}

// UTF8 returns data without a leading UTF-8 byte-order mark. Data that is
// UTF-16 or UTF-32 (with a byte-order mark, or JSON/YAML whose first
// characters are ASCII with NUL bytes between them) is an *EncodingError.
func UTF8(data []byte) ([]byte, error) {
	if enc := detect(data); enc != "" {
		return nil, &EncodingError{Encoding: enc}
	}
	return bytes.TrimPrefix(data, bomUTF8), nil
}

func detect(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}):
		return "UTF-32 (big-endian)"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}):
		return "UTF-32 (little-endian)"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "UTF-16 (big-endian)"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "UTF-16 (little-endian)"
	}
	// No byte-order mark: JSON and YAML begin with an ASCII character, which
	// UTF-16 pads with one NUL byte and UTF-32 with three.
	if len(b) >= 4 {
		switch {
		case b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0:
			return "UTF-32 (big-endian)"
		case b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
			return "UTF-32 (little-endian)"
		}
	}
	if len(b) >= 2 {
		switch {
		case b[0] == 0 && b[1] != 0:
			return "UTF-16 (big-endian)"
		case b[0] != 0 && b[1] == 0:
			return "UTF-16 (little-endian)"
		}
	}
	return ""
}

// NewReader returns a reader of r's text without a leading UTF-8 byte-order
// mark; when r holds UTF-16 or UTF-32 text, the first Read returns an
// *EncodingError.
func NewReader(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4)
	if enc := detect(head); enc != "" {
		return errReader{&EncodingError{Encoding: enc}}
	}
	if bytes.HasPrefix(head, bomUTF8) {
		br.Discard(len(bomUTF8))
	}
	return br
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
