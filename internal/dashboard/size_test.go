package dashboard

import (
	"os"
	"testing"
)

func TestWriteLarge(t *testing.T) {
	if os.Getenv("SEIRI_WRITE_LARGE") == "" {
		t.Skip("SEIRI_WRITE_LARGE not set")
	}
	f, _ := os.Create(os.Getenv("SEIRI_WRITE_LARGE"))
	defer f.Close()
	if err := Render(f, synth(1000, 20, 20, "")); err != nil {
		t.Fatal(err)
	}
}
