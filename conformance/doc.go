// Package conformance checks the real GraphQL handler with real client
// libraries from npm (pinned in package.json beside this file):
//
//   - the server audits of graphql-http against the GraphQL-over-HTTP
//     specification (audit.mjs): every MUST audit must pass, and each SHOULD
//     audit that fails is listed, with its reason, in docs/GRAPHQL-HTTP.md;
//   - the graphql-ws client over a real websocket (graphqlws.mjs):
//     subscriptions receive the current state and then changes, and a cart
//     of someone else is refused.
//
// Install the packages once with
//
//	npm ci --prefix conformance
//
// (make test does it), then go test ./conformance/ runs both against the
// handler on SQLite and PostgreSQL.
package conformance
