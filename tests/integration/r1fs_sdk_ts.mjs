// The official TypeScript client (@ratio1/edge-sdk-ts, its CommonJS build as
// Node apps load it) against our nodes' R1FS HTTP API: files added through
// node A's API, read back through A and through B (which fetches the blocks
// from A over the bus).  One line per check, "RESULT 1 name" or
// "RESULT 0 name: details"; the shell test turns them into TAP.
// Environment: SDK_DIR (where npm installed the client), R1FS_A, R1FS_B.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

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
async function bytesOf(res) {
  return Buffer.from(await res.arrayBuffer());
}
async function throws(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return null;
}

const a = createEdgeSdk({ r1fsUrl: process.env.R1FS_A, cstoreUrl: 'http://127.0.0.1:9' }).r1fs;
const b = createEdgeSdk({ r1fsUrl: process.env.R1FS_B, cstoreUrl: 'http://127.0.0.1:9' }).r1fs;

try {
  const status = await a.getStatus();
  check(status && typeof status === 'object', 'getStatus answers an object', JSON.stringify(status));
  check(typeof status.ID === 'string' && status.ID.startsWith('0xai_'), 'getStatus: ID names the node',
    JSON.stringify(status));
  const full = await a.getStatusFull();
  check(typeof full.ee_node_alias === 'string' && full.ee_node_alias.length > 0,
    'getStatusFull: the envelope has the node alias', JSON.stringify(full));

  // addFile with a Buffer, a file name and a secret (multipart + body)
  const hello = Buffer.from('hello r1fs from the TypeScript client\n');
  const added = await a.addFile({ file: hello, filename: 'hello.txt', secret: 'pw' });
  check(added && /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(added.cid), 'addFile: a CIDv0', JSON.stringify(added));
  same(added.message, 'File uploaded successfully', 'addFile: the reference message');
  const got = await a.getFile({ cid: added.cid, secret: 'pw' });
  check(got && typeof got.arrayBuffer === 'function', 'getFile: a binary response (not JSON)', typeof got);
  check((await bytesOf(got)).equals(hello), 'getFile: the same bytes', '');
  const full2 = await a.getFileFull({ cid: added.cid, secret: 'pw' });
  const meta = JSON.parse(full2.result.headers.get('x-meta') || '{}');
  same(meta.filename, 'hello.txt', 'getFile: x-meta names the original file');
  const wrong = await throws(() => a.getFile({ cid: added.cid, secret: 'not the secret' }));
  check(wrong && /status 404/.test(wrong.message), 'getFile with another secret: 404',
    wrong ? wrong.message : 'no error');

  // through node B: the blocks come from A over the bus
  const viaB = await b.getFile({ cid: added.cid, secret: 'pw' });
  check((await bytesOf(viaB)).equals(hello), 'getFile on node B: the file added on A, byte-identical', '');

  // a larger random file, default secret, added on B and read on A
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const bigAdded = await b.addFile({ file: big, filename: 'big.bin' });
  const bigBack = await a.getFile({ cid: bigAdded.cid });
  check((await bytesOf(bigBack)).equals(big), 'a 3 MiB file added on B reads back identical on A', '');

  // the official e2e style: a FormData with only the file part, no body
  const FormData = require(require.resolve('form-data', { paths: [`${process.env.SDK_DIR}/node_modules/@ratio1/edge-sdk-ts`] }));
  const fd = new FormData();
  fd.append('file', Buffer.from('form only'), { filename: 'form.txt' });
  const fdAdded = await a.addFile({ formData: fd });
  const fdBack = await a.getFile({ cid: fdAdded.cid });
  same((await bytesOf(fdBack)).toString(), 'form only', 'addFile with a bare FormData (no body part)');

  // base64
  const b64 = await a.addFileBase64({ file_base64_str: Buffer.from('base64 content').toString('base64'),
    filename: 'b.txt', secret: 's2' });
  check(b64 && typeof b64.cid === 'string', 'addFileBase64: a CID', JSON.stringify(b64));
  const b64Back = await b.getFileBase64({ cid: b64.cid, secret: 's2' });
  same(Buffer.from(b64Back.file_base64_str, 'base64').toString(), 'base64 content',
    'getFileBase64 (on B): the content');
  same(b64Back.filename, 'b.txt', 'getFileBase64: the file name');
  const b64Bad = await a.getFileBase64({ cid: b64.cid, secret: 'nope' });
  check(b64Bad && b64Bad.error && b64Bad.file_base64_str === null,
    'getFileBase64 with another secret: an error in the result (HTTP 200)', JSON.stringify(b64Bad));

  // JSON: add, and its CID computed without storing, with the same nonce
  const data = { app: 'demo', replicas: 3, tags: ['a', 'b'], ratio: 0.5 };
  const j = await a.addJson({ data, fn: 'conf.json', secret: 'js', nonce: 7 });
  const jc = await a.calculateJsonCid({ data, fn: 'conf.json', secret: 'js', nonce: 7 });
  check(j && jc && j.cid === jc.cid, 'calculateJsonCid equals addJson with the same nonce',
    `${JSON.stringify(j)} ${JSON.stringify(jc)}`);
  const jb = await b.getFile({ cid: j.cid, secret: 'js' });
  // stored as the reference's json.dumps(sort_keys=True) writes it
  same(JSON.parse((await bytesOf(jb)).toString()), { app: 'demo', ratio: 0.5, replicas: 3, tags: ['a', 'b'] },
    'the JSON file reads back (through B), keys sorted as the reference stores them');

  // YAML
  const y = await a.addYaml({ data: { name: 'svc', ports: [80, 443], on: true }, fn: 'svc' });
  check(y && typeof y.cid === 'string', 'addYaml: a CID', JSON.stringify(y));
  const yb = await a.getYaml({ cid: y.cid });
  same(yb.file_data, { name: 'svc', on: true, ports: [80, 443] }, 'getYaml: the data (keys sorted, as yaml.dump)');

  // pickle: refused with a reason, not silently wrong
  const pk = await throws(() => a.addPickle({ data: { x: 1 } }));
  check(pk && /status 500/.test(pk.message), 'addPickle is refused (HTTP 500)', pk ? pk.message : 'no error');

  // deleting
  const del = await a.deleteFile({ cid: fdAdded.cid });
  same([del.success, del.cid], [true, fdAdded.cid], 'deleteFile unpins');
  const del2 = await a.deleteFile({ cid: fdAdded.cid });
  same(del2.success, false, 'deleteFile twice: not pinned any more');
  const many = await a.deleteFiles({ cids: [b64.cid, y.cid, 'QmNotThere'] });
  same([many.success_count, many.failed_count, many.total], [2, 1, 3], 'deleteFiles counts');
  same(many.failed, ['QmNotThere'], 'deleteFiles names what failed');

  const missing = await throws(() => a.getFile({ cid: 'QmWmyoMoctfbAaiEs2G46gpeUmhqFRDW6KWo64y5r581Vz' }));
  check(missing && /status 404/.test(missing.message), 'getFile of a CID nobody has: 404',
    missing ? missing.message : 'no error');
} catch (e) {
  check(false, 'the client ran without throwing', e && e.stack ? e.stack : String(e));
}
