// Regenerates tests/unit/r1fs/jsipfs_vectors.jsonl: CIDs that js-ipfs 0.66.1's
// UnixFS importer (ipfs-unixfs-importer 12.0.1, installed from
// ../shared/tools/js-ipfs/package.json) gives for deterministic contents.
// Content of size N: the first N bytes of SHA-256("r1fs-vec" || le64(0)) ||
// SHA-256("r1fs-vec" || le64(1)) || ...  Run: node jsipfs_vectors.mjs > jsipfs_vectors.jsonl
// (from a directory where `npm install` of that package.json was done).
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createHash } from 'node:crypto'

function gen(size) {
  const out = Buffer.alloc(size)
  let off = 0, i = 0n
  while (off < size) {
    const ctr = Buffer.alloc(8); ctr.writeBigUInt64LE(i++)
    const h = createHash('sha256').update('r1fs-vec').update(ctr).digest()
    h.copy(out, off, 0, Math.min(32, size - off)); off += 32
  }
  return out
}
async function run(content, name, opts) {
  const bs = new MemoryBlockstore()
  const res = []
  for await (const e of importer([{ path: name, content }], bs, opts)) res.push({ path: e.path, cid: e.cid.toString(), size: Number(e.size) })
  return res
}
const sizes = [0, 1, 262144, 262145, 174 * 262144, 174 * 262144 + 1, 10 * 1048576 + 7]
const rows = []
for (const size of sizes) {
  const data = gen(size)
  const v1 = await run(data, 'f.bin', { cidVersion: 1, rawLeaves: true })
  const w0 = await run(data, 'f.bin', { cidVersion: 0, wrapWithDirectory: true })
  const w1 = await run(data, 'f.bin', { cidVersion: 1, rawLeaves: true, wrapWithDirectory: true })
  rows.push({ size, name: 'f.bin', file_v1_raw: v1[0].cid, file_v0: w0[0].cid, file_v0_tsize: w0[0].size, wrap_v0: w0[1].cid, wrap_v1_raw: w1[1].cid, file_v1_raw_tsize: w1[0].size })
}
const h = await run(Buffer.from('hello\n'), 'hello', { cidVersion: 0, wrapWithDirectory: true })
console.log(JSON.stringify({ size: 6, content_text: 'hello\n', name: 'hello', file_v0: h[0].cid, file_v0_tsize: h[0].size, wrap_v0: h[1].cid }))
for (const r of rows) console.log(JSON.stringify(r))
// Small layouts exercise the tree shape at every leaf count: chunks of 4
// bytes, at most 3 links per node, content bytes 0, 1, 2, ... (mod 256).
for (let n = 0; n <= 130; n++) {
  const data = Buffer.alloc(n)
  for (let i = 0; i < n; i++) data[i] = i & 0xff
  const small = { maxChunkSize: 4, avgChunkSize: 4, minChunkSize: 4, maxChildrenPerNode: 3 }
  const v0 = await run(data, 'f.bin', { cidVersion: 0, ...small })
  const v1 = await run(data, 'f.bin', { cidVersion: 1, rawLeaves: true, ...small })
  console.log(JSON.stringify({ size: n, chunk: 4, max_links: 3, file_v0: v0[0].cid, file_v0_tsize: v0[0].size, file_v1_raw: v1[0].cid }))
}
