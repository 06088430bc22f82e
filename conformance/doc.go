// Package conformance checks the real GraphQL HTTP handler against the
// GraphQL-over-HTTP specification with the server audits of the graphql-http
// npm package (pinned in package.json beside this file).
//
// The audits run in Node: install them once with
//
//	npm ci --prefix conformance
//
// then go test ./conformance/ starts the handler on SQLite and PostgreSQL,
// runs audit.mjs against it and fails on every MUST audit that fails.
// SHOULD audits that fail are warnings; each must be listed, with its
// reason, in docs/GRAPHQL-HTTP.md.
package conformance
