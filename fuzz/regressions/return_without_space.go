package p

import "os"

// Found by the soak (pipeline_bytes): `return&zero, err` has no space after `return`, and the
// defer-in-loop wrap inserted its exit value right after the keyword (`returntrue, …`), which
// does not parse.
func names(paths []string) (*int, error) {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return&zero, err
		}
		defer f.Close()
	}
	return nil, nil
}

var zero int
