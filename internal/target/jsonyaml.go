package target

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonAsYAML rewrites valid JSON so that the YAML parser reads it the same
// way, keeping every byte on its line (for line numbers in errors): tabs
// between tokens become spaces, and the string escapes yaml.v3 does not
// know (\/ and \u surrogate pairs) become the characters they stand for.
func jsonAsYAML(data []byte) []byte {
	out := make([]byte, 0, len(data))
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !inString && c == '\t':
			out = append(out, ' ')
		case !inString:
			if c == '"' {
				inString = true
			}
			out = append(out, c)
		case c == '"':
			inString = false
			out = append(out, c)
		case c == '\\' && i+1 < len(data):
			switch data[i+1] {
			case '/':
				out = append(out, '/')
				i++
			case 'u':
				r, n := decodeUnicodeEscape(data[i:])
				if !yamlLiteral(r) || r == '"' || r == '\\' {
					out = append(out, data[i:i+n]...) // YAML knows these escapes
				} else {
					out = utf8.AppendRune(out, r)
				}
				i += n - 1
			default:
				out = append(out, c, data[i+1])
				i++
			}
		default:
			r, n := utf8.DecodeRune(data[i:])
			if yamlLiteral(r) {
				out = append(out, data[i:i+n]...)
			} else {
				out = fmt.Appendf(out, "\\u%04x", r) // a literal YAML refuses
			}
			i += n - 1
		}
	}
	return out
}

// yamlLiteral reports whether r can stand as itself inside a YAML
// double-quoted string: printable and not a line break (yaml.v3 folds
// NEL, LS and PS like newlines).
func yamlLiteral(r rune) bool {
	return r >= 0x20 && r != 0x85 && r != 0x2028 && r != 0x2029 && yamlPrintable(r)
}

// yamlPrintable reports whether YAML allows r as a literal character
// (YAML 1.2 c-printable, less the byte order mark yaml.v3 refuses).
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x09 || r == 0x0A || r == 0x0D || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return r != 0xFEFF
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// decodeUnicodeEscape reads \uXXXX (and a following low surrogate) at the
// start of b, returning the rune and the bytes used. Lone surrogates become
// U+FFFD, as encoding/json decodes them.
func decodeUnicodeEscape(b []byte) (rune, int) {
	hex := func(at int) (rune, bool) {
		if len(b) < at+6 || b[at] != '\\' || b[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[at+2:at+6]), 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex(0)
	if !ok {
		return utf8.RuneError, 2
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex(6); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}
