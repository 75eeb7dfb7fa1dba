// The official TypeScript client (@ratio1/edge-sdk-ts, its CommonJS build as
// Node apps load it) against a node's CStore HTTP API.  Prints one line per
// check, "RESULT 1 name" or "RESULT 0 name: details"; the shell test turns
// them into TAP.  Environment: SDK_DIR (where npm installed the client),
// CSTORE_URL (the API), RO_KEY (a readonly key owned by another node).
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.SDK_DIR}/`);
const { default: createEdgeSdk } = require('@ratio1/edge-sdk-ts');

function check(cond, name, details) {
  console.log(`RESULT ${cond ? 1 : 0} ${name}${cond ? '' : `: ${details}`}`);
}
function same(got, want, name) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  check(g === w, name, `got ${g}, expected ${w}`);
}

const sdk = createEdgeSdk({ cstoreUrl: process.env.CSTORE_URL, r1fsUrl: 'http://127.0.0.1:9' });
const cs = sdk.cstore;

try {
  const status = await cs.getStatus();
  same(status.ok, true, 'getStatus: ok');
  check(Array.isArray(status.keys), 'getStatus: keys is a list', JSON.stringify(status));

  const full = await cs.getStatusFull();
  check(typeof full.server_node_addr === 'string' && full.server_node_addr.startsWith('0xai_'),
    'getStatusFull: the envelope names the node', JSON.stringify(full));

  same(await cs.setValue({ key: 'sdk:obj', value: { a: 1, b: [true, null], f: 0.1 } }), true,
    'setValue of an object answers true');
  same(await cs.getValue({ key: 'sdk:obj' }), { a: 1, b: [true, null], f: 0.1 },
    'getValue gives the object back');
  same(await cs.setValue({ key: 'sdk:num', value: 1 }), true, 'setValue of a number');
  same(await cs.getValue({ key: 'sdk:num' }), 1, 'getValue gives the number 1 (the SDK e2e check)');
  const text = JSON.stringify({ nested: 'json' });
  same(await cs.setValue({ key: 'sdk:str', value: text }), true, 'setValue of a JSON-encoded string');
  same(await cs.getValue({ key: 'sdk:str' }), text, 'getValue keeps it a string');
  const odd = 'a b/c?&=\u00e9+';
  same(await cs.setValue({ key: odd, value: 'odd' }), true, 'setValue with a key full of query characters');
  same(await cs.getValue({ key: odd }), 'odd', "getValue: '+', '&', '=', '/' and UTF-8 survive the query");
  same(await cs.getValue({ key: 'sdk:missing' }), null, 'getValue of a missing key is null');

  same(await cs.hset({ hkey: 'sdk hash', key: 'f+1', value: 'v1' }), true, 'hset');
  same(await cs.hset({ hkey: 'sdk hash', key: '\u00e9t\u00e9', value: { n: 2 } }), true, 'hset of a non-ASCII field');
  same(await cs.hget({ hkey: 'sdk hash', key: 'f+1' }), 'v1', 'hget');
  same(await cs.hget({ hkey: 'sdk hash', key: '\u00e9t\u00e9' }), { n: 2 }, 'hget of the non-ASCII field');
  same(await cs.hget({ hkey: 'sdk hash', key: 'nope' }), null, 'hget of a missing field is null');
  same(await cs.hgetall({ hkey: 'sdk hash' }), { 'f+1': 'v1', '\u00e9t\u00e9': { n: 2 } }, 'hgetall');
  same(await cs.hgetall({ hkey: 'sdk:none' }), {}, 'hgetall of an unknown hash is {}');

  same(await cs.setValue({ key: 'sdk:num', value: null }), true, 'setValue null deletes');
  same(await cs.getValue({ key: 'sdk:num' }), null, 'the key is gone');

  if (process.env.RO_KEY) {
    same(await cs.setValue({ key: process.env.RO_KEY, value: 'mine' }), false,
      "setValue over another node's readonly key answers false");
  }

  let threw = null;
  try {
    await cs.http.request('/nope', { method: 'GET' });
  } catch (e) {
    threw = e;
  }
  check(threw && /status 404/.test(threw.message), 'an unknown route is an HTTP error the client reports',
    threw ? threw.message : 'no error');
} catch (e) {
  check(false, 'the client ran without throwing', e && e.stack ? e.stack : String(e));
}
