// Property 6 (pipeline_bytes): an import declaration after another declaration. tree-sitter
// reads it, while the lexical view (like Go) reads imports only before the first declaration,
// so exit-after-defer's prefilter saw no "os" and skipped a file the parsed run reported on. Go
// rejects the file ("imports must appear before other declarations"), and so does deferfix now.
package main

type driver int

import (
	"fmt"
	"os"
)

func main() {
	defer fmt.Println("cleanup")
	os.Exit(0)
}
