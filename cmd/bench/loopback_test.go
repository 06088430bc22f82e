package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"storefront/database/dbtest"
	"storefront/demo"
	"storefront/internal/apitest"
)

// benchmarkLoopback sends one body through the bench client to the real
// handler over loopback TCP, in this process: a CPU profile of it shows
// the client's and the server's shares of a request side by side.
func benchmarkLoopback(b *testing.B, body []byte, cacheControl string) {
	db := dbtest.Open(b, "sqlite")
	api := apitest.New(b, db)
	if _, err := demo.Seed(context.Background(), db.Client, demo.Options{Products: 200}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler)
	b.Cleanup(srv.Close)
	c := newClient(srv.URL, 16, 10*time.Second)
	if cacheControl != "" {
		c = c.with("Cache-Control", cacheControl)
	}
	url := srv.URL + "/graphql"
	var first bytes.Buffer
	if err := do(context.Background(), c, url, body, "", &first); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(8) // 16 clients on 2 cores, as make bench
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			if err := do(context.Background(), c, url, body, "", &buf); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkLoopbackCachedHome(b *testing.B) { benchmarkLoopback(b, homeBody(), "") }

func BenchmarkLoopbackTrivial(b *testing.B) {
	benchmarkLoopback(b, body(`{ __typename }`, nil), "no-cache")
}
