package main

import (
	"fmt"
	"strings"
	"sync"
)

// open and maxOpen count the resources that are open right now and the most that were ever
// open at the same time.
var (
	open    int
	maxOpen int
)

// Resource stands in for a file, a connection or any other handle that must be closed.
type Resource struct {
	name   string
	closed bool
}

// Open acquires a resource. Every successful Open must be paired with a Close.
func Open(name string) (*Resource, error) {
	if name == "" {
		return nil, fmt.Errorf("open: empty name")
	}
	open++
	maxOpen = max(maxOpen, open)
	return &Resource{name: name}, nil
}

// Close releases the resource.
func (r *Resource) Close() error {
	if r.closed {
		return fmt.Errorf("close %s: already closed", r.name)
	}
	r.closed = true
	open--
	return nil
}

// Size reads the (fake) size of the resource's payload.
func (r *Resource) Size() (int, error) {
	if strings.HasPrefix(r.name, "corrupt") {
		return 0, fmt.Errorf("read %s: corrupt payload", r.name)
	}
	return len(r.name), nil
}

// Shard is one part of a sharded counter, guarded by its own mutex.
type Shard struct {
	mu   sync.Mutex
	hits int
}
