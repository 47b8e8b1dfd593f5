// Command leaky-service shows what a defer inside a loop does: the deferred call runs when the
// function returns, not at the end of the iteration, so every resource the loop opens stays open
// until the whole loop is done.
package main

import (
	"fmt"
	"os"
	"strings"
)

// totalSize opens every named resource and adds up their sizes. Entries starting with "#" are
// comments and are skipped.
func totalSize(names []string) (int, error) {
	total := 0
	for _, name := range names {
		if strings.HasPrefix(name, "#") {
			continue
		}
		r, err := Open(name)
		if err != nil {
			return total, err
		}
		defer r.Close()

		n, err := r.Size()
		if err != nil {
			return total, fmt.Errorf("size of %s: %w", name, err)
		}
		total += n
	}
	return total, nil
}

// lockAll locks every shard and keeps them all locked until it returns, so that the snapshot it
// takes is consistent. This defer in a loop is intentional: unlocking at the end of each
// iteration would change what the function does, so deferfix only rewrites it with --unsafe.
func lockAll(shards []*Shard) int {
	for _, s := range shards {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	sum := 0
	for _, s := range shards {
		sum += s.hits
	}
	return sum
}

func main() {
	names := []string{"users.db", "# archived", "orders.db", "events.log", "cache.bin", "audit.log"}
	total, err := totalSize(names)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Println("total size:", total)

	if _, err := totalSize([]string{"ok.db", "corrupt.db", "never-opened.db"}); err != nil {
		fmt.Println("expected error:", err)
	}

	shards := []*Shard{{hits: 3}, {hits: 4}, {hits: 5}}
	fmt.Println("hits across shards:", lockAll(shards))

	fmt.Println("still open:", stillOpen())
	fmt.Println("max open resources:", maxOpen)
}
