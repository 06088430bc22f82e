// Drives the real graphql-ws client (graphql-transport-ws subprotocol, with
// ws as its WebSocket) against a running server, for graphqlws_test.go.
//
// Usage: node graphqlws.mjs ws://127.0.0.1:PORT/graphql '<config JSON>'
//
// config: {"token": "...", "variantId": "...", "spyToken": "...", "cartId": "..."}
//
// It prints ONE JSON object per line on stdout, as it goes:
//
//   {"step": "current", "event": {...}}   the first inventoryChanged event of
//                                         variantId: the current state; the Go
//                                         test then changes the stock
//   {"step": "change", "event": {...}}    the first event with a higher version
//   {"step": "cart", "errors": [...], "data": ...}
//                                         what cartChanged(cartId) gave the
//                                         spy (a customer who does not own
//                                         the cart): errors, or data
//   {"step": "done"}
//
// Any failure (a timeout, a closed connection, an unexpected result) goes to
// stderr and exits non-zero.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const STEP_TIMEOUT_MS = 15000;

const [url, rawConfig] = process.argv.slice(2);
if (!url || !rawConfig) {
  console.error("usage: node graphqlws.mjs <ws URL> '<config JSON>'");
  process.exit(2);
}
const config = JSON.parse(rawConfig);

const print = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

function client(token) {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
    lazy: true,
    retryAttempts: 0,
  });
}

const watchStock = `subscription($v: [ID!]) { inventoryChanged(variantIds: $v) {
  variantId productId quantityAvailable availableForSale version } }`;
const watchCart = `subscription($c: ID!) { cartChanged(cartId: $c) { id totalQuantity } }`;

async function stock() {
  const c = client(config.token);
  const it = c.iterate({ query: watchStock, variables: { v: [config.variantId] } });
  try {
    const first = await withTimeout(it.next(), 'the current state');
    if (first.done || first.value.errors || !first.value.data) {
      throw new Error(`current state: ${JSON.stringify(first.value)}`);
    }
    const current = first.value.data.inventoryChanged;
    print({ step: 'current', event: current });
    for (;;) {
      const r = await withTimeout(it.next(), 'the change');
      if (r.done) throw new Error('the subscription completed before the change');
      if (r.value.errors || !r.value.data) throw new Error(`change: ${JSON.stringify(r.value)}`);
      const e = r.value.data.inventoryChanged;
      if (e.version > current.version) {
        print({ step: 'change', event: e });
        return;
      }
    }
  } finally {
    await it.return?.();
    await c.dispose();
  }
}

async function spyOnCart() {
  const c = client(config.spyToken);
  const it = c.iterate({ query: watchCart, variables: { c: config.cartId } });
  try {
    const r = await withTimeout(it.next(), "another customer's cart");
    if (r.done) {
      print({ step: 'cart', errors: [], data: null, completed: true });
    } else {
      print({ step: 'cart', errors: r.value.errors ?? [], data: r.value.data ?? null });
    }
  } catch (err) {
    // graphql-ws rejects with the error message's GraphQLErrors, or with the
    // CloseEvent when the server closed the connection.
    const errors = Array.isArray(err) ? err : [{ message: String(err?.reason ?? err?.message ?? err), closeCode: err?.code }];
    print({ step: 'cart', errors, data: null });
  } finally {
    await it.return?.();
    await c.dispose();
  }
}

try {
  await stock();
  await spyOnCart();
  print({ step: 'done' });
  process.exit(0);
} catch (err) {
  console.error('graphqlws.mjs:', err?.stack || JSON.stringify(err) || err);
  process.exit(1);
}
