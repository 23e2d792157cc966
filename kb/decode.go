package kb

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// Encodings the reader recognises, as the report names them.
const (
	EncodingUTF8     = "utf-8"
	EncodingUTF8BOM  = "utf-8 with BOM"
	EncodingUTF16LE  = "utf-16le with BOM"
	EncodingUTF16BE  = "utf-16be with BOM"
	EncodingUTF16LEG = "utf-16le without BOM"
	EncodingUTF16BEG = "utf-16be without BOM"
	EncodingUTF32LE  = "utf-32le with BOM"
	EncodingUTF32BE  = "utf-32be with BOM"
	EncodingGB18030  = "gb18030"
)

// Decoding says how a file's bytes became text: the encoding found, how sure the reader
// is, and every repair it made. Nothing is changed without a line here.
type Decoding struct {
	Encoding   string  `json:"encoding" yaml:"encoding"`
	Confidence float64 `json:"confidence" yaml:"confidence"`
	// Mojibake is set when the text was UTF-8 that had been read as Windows-1252 or
	// Latin-1 and saved again as UTF-8; the reader undid it.
	Mojibake *Mojibake `json:"mojibake,omitempty" yaml:"mojibake,omitempty"`
	// Replaced counts bytes that were not valid in the encoding and became U+FFFD.
	Replaced int    `json:"replaced,omitempty" yaml:"replaced,omitempty"`
	Note     string `json:"note,omitempty" yaml:"note,omitempty"`
}

func (d Decoding) String() string {
	s := fmt.Sprintf("%s (confidence %.2f)", d.Encoding, d.Confidence)
	if m := d.Mojibake; m != nil {
		s += fmt.Sprintf("; mojibake undone (%s, %d layer(s), %d characters restored", m.ReadAs, m.Layers, m.Restored)
		if len(m.Choices) > 0 {
			s += fmt.Sprintf(", %d lost byte(s) recovered by choice", len(m.Choices))
		}
		s += ")"
	}
	if d.Replaced > 0 {
		s += fmt.Sprintf("; %d invalid byte(s) replaced by U+FFFD", d.Replaced)
	}
	if d.Note != "" {
		s += "; " + d.Note
	}
	return s
}

// Mojibake describes an undone mis-decoding.
type Mojibake struct {
	// ReadAs is how the UTF-8 bytes had been read: "windows-1252" or "latin-1".
	ReadAs string `json:"readAs" yaml:"readAs"`
	// Layers is how many times it had happened (text mis-decoded twice has 2).
	Layers int `json:"layers" yaml:"layers"`
	// Restored is how many characters were rebuilt from their mis-decoded bytes.
	Restored int `json:"restored" yaml:"restored"`
	// Choices are the characters that had lost bytes on the way (Windows-1252 has no
	// characters for 0x81, 0x8D, 0x8F, 0x90 and 0x9D, so converters drop them or write
	// U+FFFD): each was rebuilt from the UTF-8 structure and chosen among the few
	// characters it can be.
	Choices []Choice `json:"choices,omitempty" yaml:"choices,omitempty"`

	confidence float64
}

// Choice is one character the reader had to choose because bytes of it were lost.
type Choice struct {
	Line int `json:"line" yaml:"line"`
	Col  int `json:"col" yaml:"col"`
	// Chosen is the character put in the text, Alternatives the others it could have
	// been, best first.
	Chosen       string        `json:"chosen" yaml:"chosen"`
	Alternatives []Alternative `json:"alternatives" yaml:"alternatives"`
	Confidence   float64       `json:"confidence" yaml:"confidence"`
	// Reason says what decided: a name the network knows, the documents' own text, or
	// only how common the character is.
	Reason string `json:"reason" yaml:"reason"`
	// Context is the repaired text around the character.
	Context string `json:"context" yaml:"context"`
}

// Alternative is a character a damaged one could have been, with its score.
type Alternative struct {
	Char  string  `json:"char" yaml:"char"`
	Score float64 `json:"score" yaml:"score"`
}

func (c Choice) String() string {
	alts := make([]string, len(c.Alternatives))
	for i, a := range c.Alternatives {
		alts[i] = a.Char
	}
	return fmt.Sprintf("%d:%d: chose %s (U+%04X) in %q over %s — %s, confidence %.2f", c.Line, c.Col, c.Chosen,
		[]rune(c.Chosen)[0], c.Context, strings.Join(alts, " "), c.Reason, c.Confidence)
}

// errBinary is why a file is not read as text.
type binaryError struct{ offset int }

func (e binaryError) Error() string {
	return fmt.Sprintf("binary data (a NUL byte at offset %d, or mostly control characters): not a Markdown document", e.offset)
}

// decodeBytes turns a file's bytes into text. Mojibake is detected and undone here, but
// choices among the characters that lost bytes wait for the context of every document
// (see resolveHoles); until then the text holds holeRune where each such character goes.
func decodeBytes(raw []byte) (string, Decoding, []hole, error) {
	var d Decoding
	switch {
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE, 0, 0}):
		s, n := decodeWith(raw, utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM))
		return checkText(s, Decoding{Encoding: EncodingUTF32LE, Confidence: 1, Replaced: n})
	case bytes.HasPrefix(raw, []byte{0, 0, 0xFE, 0xFF}):
		s, n := decodeWith(raw, utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM))
		return checkText(s, Decoding{Encoding: EncodingUTF32BE, Confidence: 1, Replaced: n})
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}):
		s, n := decodeWith(raw, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM))
		d = Decoding{Encoding: EncodingUTF16LE, Confidence: 1, Replaced: n}
		return checkText(s, d)
	case bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		s, n := decodeWith(raw, xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM))
		d = Decoding{Encoding: EncodingUTF16BE, Confidence: 1, Replaced: n}
		return checkText(s, d)
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
		d = Decoding{Encoding: EncodingUTF8BOM, Confidence: 1}
	}
	if d.Encoding == "" {
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			// UTF-16 without a BOM shows as ASCII with every other byte zero.
			if e, name, conf := guessUTF16(raw); e != nil {
				s, n := decodeWith(raw, e)
				return checkText(s, Decoding{Encoding: name, Confidence: conf, Replaced: n,
					Note: "no byte-order mark; the byte order was read from where the zero bytes are"})
			}
			return "", Decoding{}, nil, binaryError{i}
		}
		d = Decoding{Encoding: EncodingUTF8, Confidence: 1}
	}
	if !utf8.Valid(raw) {
		if s, conf, ok := tryGB18030(raw); ok {
			return checkText(s, Decoding{Encoding: EncodingGB18030, Confidence: conf,
				Note: "not valid UTF-8; every byte sequence is valid GB18030"})
		}
		s := strings.ToValidUTF8(string(raw), "\uFFFD")
		d.Replaced = strings.Count(s, "\uFFFD")
		d.Confidence = 0.5
		d.Note = "neither valid UTF-8 nor GB18030: invalid bytes replaced by U+FFFD"
		return checkText(s, d)
	}
	text, moji, holes := undoMojibake(string(raw))
	if moji != nil {
		d.Mojibake = moji
		d.Confidence = moji.confidence
	}
	return checkText2(text, d, holes)
}

func checkText(s string, d Decoding) (string, Decoding, []hole, error) { return checkText2(s, d, nil) }

// checkText2 refuses text that is mostly control characters (a binary file in a text
// encoding's clothing) and otherwise returns it.
func checkText2(s string, d Decoding, holes []hole) (string, Decoding, []hole, error) {
	ctl, all := 0, 0
	for i, r := range s {
		all++
		if r == 0 {
			return "", Decoding{}, nil, binaryError{i}
		}
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' && r != '\f' && r != holeRune {
			ctl++
		}
	}
	if all > 0 && ctl*10 > all {
		return "", Decoding{}, nil, binaryError{0}
	}
	return s, d, holes, nil
}

// decodeWith decodes with a codec of golang.org/x/text and counts the U+FFFD in the
// result (bytes the codec could not decode, and any the file itself held).
func decodeWith(raw []byte, e encoding.Encoding) (string, int) {
	s, _, err := transform.String(e.NewDecoder(), string(raw))
	if err != nil {
		s = strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return s, strings.Count(s, "\uFFFD")
}

// guessUTF16 reads the byte order of UTF-16 without a BOM from its zero bytes: ASCII
// characters have a zero high byte, which comes second in little-endian.
func guessUTF16(raw []byte) (encoding.Encoding, string, float64) {
	if len(raw) < 4 || len(raw)%2 != 0 {
		return nil, "", 0
	}
	even, odd := 0, 0
	for i := 0; i+1 < len(raw); i += 2 {
		if raw[i] == 0 {
			even++
		}
		if raw[i+1] == 0 {
			odd++
		}
	}
	pairs := len(raw) / 2
	switch {
	case odd*2 > pairs && even*10 < pairs:
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM), EncodingUTF16LEG, float64(odd) / float64(pairs)
	case even*2 > pairs && odd*10 < pairs:
		return xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), EncodingUTF16BEG, float64(even) / float64(pairs)
	}
	return nil, "", 0
}

// tryGB18030 decodes bytes that are not UTF-8 as GB18030. It succeeds only when every
// byte sequence is valid GB18030 and the text is not mostly rare characters; confidence is
// the share of characters in GB2312 (the common ones).
func tryGB18030(raw []byte) (string, float64, bool) {
	if !validGB18030(raw) {
		return "", 0, false
	}
	s, _, err := transform.String(simplifiedchinese.GB18030.NewDecoder(), string(raw))
	if err != nil || strings.ContainsRune(s, utf8.RuneError) {
		return "", 0, false
	}
	wide, common := 0, 0
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		wide++
		if gbLevel(r) > 0 {
			common++
		}
	}
	if wide == 0 {
		return s, 1, true
	}
	conf := float64(common) / float64(wide)
	return s, conf, conf >= 0.5
}

// validGB18030 checks the byte structure of GB18030: ASCII; two bytes 81–FE then 40–7E
// or 80–FE; four bytes 81–FE, 30–39, 81–FE, 30–39.
func validGB18030(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c == 0x80 || c == 0xFF:
			return false
		case i+1 < len(b) && (b[i+1] >= 0x40 && b[i+1] <= 0x7E || b[i+1] >= 0x80 && b[i+1] <= 0xFE):
			i += 2
		case i+3 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39 && b[i+2] >= 0x81 && b[i+2] <= 0xFE && b[i+3] >= 0x30 && b[i+3] <= 0x39:
			i += 4
		default:
			return false
		}
	}
	return true
}

// gbLevel ranks how common a Chinese character or punctuation mark is by where GB2312
// puts it: 3 for symbols and punctuation (rows 1–9) and the 3,755 common characters of
// level 1, 2 for the 3,008 of level 2, 1 for the rest of GBK, 0 for none.
func gbLevel(r rune) int {
	if r < 0x80 {
		return 3
	}
	b, ok := gbkEncode(r)
	if !ok {
		return 0
	}
	hi, lo := b[0], b[1]
	if lo < 0xA1 || lo == 0xFF {
		return 1 // GBK beyond GB2312
	}
	switch {
	case hi >= 0xA1 && hi <= 0xA9, hi >= 0xB0 && hi <= 0xD7:
		return 3
	case hi >= 0xD8 && hi <= 0xF7:
		return 2
	}
	return 1
}

func gbkEncode(r rune) ([2]byte, bool) {
	var out [2]byte
	var src [utf8.UTFMax]byte
	n := utf8.EncodeRune(src[:], r)
	dst := make([]byte, 8)
	nDst, _, err := simplifiedchinese.GBK.NewEncoder().Transform(dst, src[:n], true)
	if err != nil || nDst != 2 {
		return out, false
	}
	copy(out[:], dst[:2])
	return out, true
}
