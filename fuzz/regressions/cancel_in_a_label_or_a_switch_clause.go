package p

import "context"

func labelled(p context.Context) {
L:
	ctx, cancel := context.WithCancel(p)
	_ = ctx
	cancel()
	goto L
}

func clauses(p context.Context, a bool) {
	var cancel func()
	switch {
	case a:
		ctx, cancel := context.WithCancel(p)
		_ = ctx
	default:
		cancel()
	}
}
