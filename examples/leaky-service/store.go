package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// Resource stands in for a file, a rows cursor or any other handle that must be closed: it holds
// a real file handle, and Close releases only that handle.
type Resource struct {
	name   string
	file   *os.File
	closed bool
}

// opened records every resource acquired, so that the program can tell how many were open at
// once; maxOpen is the most that ever were.
var (
	opened  []*Resource
	maxOpen int
)

// Open acquires a resource. Every successful Open must be paired with a Close.
func Open(name string) (*Resource, error) {
	if name == "" {
		return nil, fmt.Errorf("open: empty name")
	}
	file, err := os.Open(os.DevNull)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	r := &Resource{name: name, file: file}
	opened = append(opened, r)
	maxOpen = max(maxOpen, stillOpen())
	return r, nil
}

// stillOpen counts the resources not closed yet.
func stillOpen() int {
	n := 0
	for _, r := range opened {
		if !r.closed {
			n++
		}
	}
	return n
}

// Close releases the resource.
func (r *Resource) Close() error {
	r.closed = true
	return r.file.Close()
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
