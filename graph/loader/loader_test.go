package loader

import (
	"context"
	"strings"
	"testing"

	"github.com/vikstrous/dataloadgen"

	"storefront/ent"
)

// TestPanickingBatchFailsItsKeys: a batch that panics fails the keys that
// waited for it with an error; it does not end the process (the batch runs
// on its own goroutine, where no resolver recovery reaches).
func TestPanickingBatchFailsItsKeys(t *testing.T) {
	boom := func(context.Context, *ent.Client, []int) (map[int]int, error) { panic("boom") }
	l := dataloadgen.NewLoader(byKey(nil, boom))
	results := make(chan error, 2)
	for _, k := range []int{1, 2} {
		go func() {
			_, err := l.Load(context.Background(), k)
			results <- err
		}()
	}
	for range 2 {
		if err := <-results; err == nil || !strings.Contains(err.Error(), "panic") {
			t.Fatalf("want the panic as an error, got %v", err)
		}
	}
}
