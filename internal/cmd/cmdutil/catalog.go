package cmdutil

import (
	"fmt"
	"io"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// CatalogCacheDir is the cache folder of the workspace at workspaceDir,
// computed without creating the workspace.
func CatalogCacheDir(workspaceDir string) string {
	if workspaceDir == "" {
		workspaceDir = workspace.Default
	}
	return (&workspace.Workspace{Dir: workspaceDir}).CacheDir()
}

// LoadCatalog returns the catalog in force for a workspace: its refreshed
// copy (seiri catalog update) when there is one, else the embedded one; a
// damaged cache is reported on errOut and ignored.
func LoadCatalog(workspaceDir string, errOut io.Writer) *catalog.Catalog {
	c, err := catalog.Load(CatalogCacheDir(workspaceDir))
	if err != nil {
		fmt.Fprintf(errOut, "seiri: warning: %v; using the embedded catalog\n", err)
	}
	return c
}

// LoadActionNames returns the action names of the catalog in force for a
// workspace (see LoadCatalog), without the rest of the catalog: what a scan
// maps events with. A damaged cache is reported on errOut and ignored.
func LoadActionNames(workspaceDir string, errOut io.Writer) *catalog.ActionNames {
	n, err := catalog.LoadActionNames(CatalogCacheDir(workspaceDir))
	if err != nil {
		fmt.Fprintf(errOut, "seiri: warning: %v; using the embedded catalog\n", err)
	}
	return n
}

// RCPServices is the catalog in force as the engine's list of the services
// RCPs govern (a refreshed catalog's list, not only the embedded one); nil,
// the engine's embedded list, without a catalog. A nil *catalog.Catalog is
// never returned inside the interface.
func RCPServices(cat func() *catalog.Catalog) policy.RCPServices {
	if cat == nil {
		return nil
	}
	if c := cat(); c != nil {
		return c
	}
	return nil
}
