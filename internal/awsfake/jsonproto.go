package awsfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

func jsonUnmarshal(data []byte, v any) error {
	return json.Unmarshal(data, v)
}

func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, errf(500, "InternalFailure", "awsfake: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func writeJSONError(w http.ResponseWriter, e *Error) {
	data, _ := json.Marshal(map[string]string{"__type": e.Code, "Message": e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	w.Write(data)
}

// epoch is the JSON 1.1 timestamp format (seconds since the epoch).
func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}

// rawOrNil passes stored JSON through unchanged.
func rawOrNil(b []byte) any {
	if len(bytes.TrimSpace(b)) == 0 || string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	return json.RawMessage(b)
}
