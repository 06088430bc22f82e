// Runs graphql-http's GraphQL-over-HTTP server audits against a running
// server and prints the results as ONE JSON line on stdout:
//
//   [{"id": "...", "name": "MUST ...", "status": "ok|warn|error|notice", "reason": "..."}, ...]
//
// "reason" is present for every result that is not "ok"; "httpStatus" and
// "contentType" of the offending response are added when known, to help
// diagnose a failure. The exit code is 0 whatever the audits say: the Go test
// (conformance_test.go) judges them. A fatal problem (bad usage, server
// unreachable) exits non-zero with a message on stderr.
//
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

try {
  const results = await auditServer({ url, fetchFn: fetch });
  // A failed result carries the fetch Response: never serialize it, keep
  // only what helps to read the failure.
  const out = results.map((r) => {
    const item = { id: r.id, name: r.name, status: r.status };
    if (r.status !== 'ok') {
      item.reason = r.reason;
      if (r.response) {
        item.httpStatus = r.response.status;
        const ct = r.response.headers?.get?.('content-type');
        if (ct) item.contentType = ct;
      }
    }
    return item;
  });
  process.stdout.write(JSON.stringify(out) + '\n');
} catch (err) {
  console.error('audit.mjs: fatal:', err?.stack || err);
  process.exit(1);
}
