package groups

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/demo/demotest"
)

// TestMain removes the shared demo fixture after the tests.
func TestMain(m *testing.M) { demotest.Main(m) }
