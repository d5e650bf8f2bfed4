package textenc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// JSONError renders an encoding/json error of decoding data in words a user
// understands, with the line and column: "line 1, column 1: the document
// should be an object ({...}) but is a list ([...])" rather than "cannot
// unmarshal array into Go value of type snapshot.authDetails". Other errors
// are returned as they are.
func JSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		where := "the document"
		if te.Field != "" {
			where = fmt.Sprintf("field %q", te.Field)
		}
		return fmt.Sprintf("%s: %s should be %s but is %s", LineCol(data, valueStart(data, te.Offset)), where, typeWords(te.Type), valueWords(te.Value))
	case errors.As(err, &se):
		if se.Offset >= int64(len(bytesTrimRight(data))) && strings.Contains(se.Error(), "unexpected end") {
			return fmt.Sprintf("%s: unexpected end of JSON input: an object, list or string is not closed (is the file cut short?)", LineCol(data, int64(len(data))))
		}
		return fmt.Sprintf("%s: %s", LineCol(data, se.Offset-1), syntaxWords(se.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF), err != nil && err.Error() == "unexpected end of JSON input":
		return fmt.Sprintf("%s: unexpected end of JSON input: an object, list or string is not closed (is the file cut short?)", LineCol(data, int64(len(data))))
	case err == nil:
		return ""
	}
	return err.Error()
}

// valueStart is the offset where the value that ends at off begins:
// encoding/json reports a wrong literal after reading it, a wrong object or
// list just after its opening bracket.
func valueStart(data []byte, off int64) int64 {
	i := off - 1
	if i < 0 || i >= int64(len(data)) {
		return i
	}
	switch data[i] {
	case '[', '{':
		return i
	case '"':
		for j := i - 1; j >= 0; j-- {
			if data[j] == '"' {
				k := j - 1
				for k >= 0 && data[k] == '\\' {
					k--
				}
				if (j-k-1)%2 == 0 {
					return j
				}
			}
		}
		return i
	}
	for i > 0 && !strings.ContainsRune(" \t\r\n:,[{", rune(data[i-1])) {
		i--
	}
	return i
}

// LineCol is "line L, column C" of byte offset off in data (1-based; the
// column counts characters, not bytes).
func LineCol(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for i := int64(0); i < off; i++ {
		switch {
		case data[i] == '\n':
			line++
			col = 1
		case data[i]&0xC0 != 0x80: // not a UTF-8 continuation byte
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

func bytesTrimRight(b []byte) []byte {
	return []byte(strings.TrimRight(string(b), " \t\r\n"))
}

// syntaxWords keeps encoding/json's syntax messages (they name the
// character) but says what "value" means.
func syntaxWords(msg string) string {
	msg = strings.Replace(msg, "looking for beginning of value", "where a value (object, list, string, number, true, false or null) should start", 1)
	msg = strings.Replace(msg, "looking for beginning of object key string", "where a quoted field name should start", 1)
	msg = strings.Replace(msg, "after object key:value pair", "after a field (a comma or } is missing?)", 1)
	msg = strings.Replace(msg, "after array element", "after a list item (a comma or ] is missing?)", 1)
	msg = strings.Replace(msg, "after top-level value", "after the end of the JSON document", 1)
	return msg
}

func typeWords(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object ({...})"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return "a base64 string"
		}
		return "a list ([...])"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number (0 or more)"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different kind of value"
}

func valueWords(v string) string {
	switch {
	case v == "array":
		return "a list ([...])"
	case v == "object":
		return "an object ({...})"
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "null":
		return "null"
	case strings.HasPrefix(v, "number"):
		if n := strings.TrimSpace(strings.TrimPrefix(v, "number")); n != "" {
			return "the number " + n
		}
		return "a number"
	}
	return v
}
