// Property 6 (mutated_go): the check after the defer is an `if` with an init statement. The
// lexical view ends a statement at every `;` of its block, so defer-before-check's prefilter
// read `err != nil {` as a statement of its own that uses err before any `if`, and skipped a
// file the parsed run reported on (without a fix: the check is not plain).
package main

import "fmt"

type handle struct{ name string }

func acquire(name string) (*handle, error) { return &handle{name}, nil }

func (h *handle) Close() {}

func withInit(name string) error {
	h, err := acquire(name)
	defer h.Close()
	if prefix := "acquire " + name; err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	fmt.Println("acquired", h.name)
	return nil
}

func withElseIf(name string) error {
	h, err := acquire(name)
	defer h.Close()
	if name == "" {
		return nil
	} else if prefix := "acquire"; err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	fmt.Println("acquired", h.name)
	return nil
}

func main() {
	fmt.Println(withInit("a"), withElseIf("b"))
}
