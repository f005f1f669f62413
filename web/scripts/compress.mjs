// Writes .gz and .br next to every compressible file in dist/ (the server serves them if present).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = new URL('../dist/', import.meta.url).pathname
const exts = /\.(js|css|html|svg|json|txt|map|ico|wasm)$/
let n = 0
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) { walk(p); continue }
    if (!exts.test(name)) continue
    const buf = readFileSync(p)
    if (buf.length < 256) continue
    writeFileSync(p + '.gz', gzipSync(buf, { level: 9 }))
    writeFileSync(p + '.br', brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }))
    n++
  }
}
walk(root)
console.log(`compress: wrote .gz and .br for ${n} files`)
