package graph

import (
	"fmt"
	"runtime/debug"
)

// onFreshStack runs f on a goroutine of its own and waits for it. A
// subscription's goroutine lives as long as the subscription, and a Go
// stack keeps the size it grew to while it is in use: the database work of
// starting a subscription (ent, the SQL driver) would otherwise leave every
// subscriber with a stack several times larger than waiting needs.
func onFreshStack[T any](f func() (T, error)) (T, error) {
	var (
		v    T
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer func() {
			// gqlgen recovers panics on the caller's goroutine, not here.
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, string(debug.Stack()))
			}
		}()
		v, err = f()
	}()
	<-done
	return v, err
}
