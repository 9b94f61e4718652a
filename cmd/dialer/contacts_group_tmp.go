package main

import "github.com/spf13/cobra"

// newContactsCmd is a stand-in for the contacts group (written on another
// branch): only the import and export commands of this branch.
func newContactsCmd(e *env) *cobra.Command {
	return newGroup("contacts", "Import and export contacts.", newContactsImportCmd(e), newContactsExportCmd(e))
}
