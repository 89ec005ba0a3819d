// Draws the toolbar/store icons (a blue shield with a white keyhole-like mark) as PNG files, so
// the icons are reproducible from source: node extension/tools/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0;
});
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const S = 4; // supersampling
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) {
        const p = pixel((x + (sx + 0.5) / S) / size, (y + (sy + 0.5) / S) / size);
        if (p) { r += p[0] * p[3]; g += p[1] * p[3]; b += p[2] * p[3]; a += p[3]; }
      }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = a ? r / a : 0; raw[o + 1] = a ? g / a : 0; raw[o + 2] = a ? b / a : 0; raw[o + 3] = (a / (S * S)) * 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
// Shield: flat top with rounded corners, sides curving to a point at the bottom.
function inShield(x, y, m) {
  const top = 0.08 + m, bottom = 0.95 - m, left = 0.12 + m, right = 0.88 - m;
  if (y < top || y > bottom) return false;
  const t = (y - top) / (bottom - top);
  const half = (right - left) / 2 * (t < 0.45 ? 1 : Math.sqrt(Math.max(0, 1 - ((t - 0.45) / 0.55) ** 2)));
  return Math.abs(x - 0.5) <= half;
}
const blue = [53, 87, 168, 1], white = [255, 255, 255, 1], edge = [31, 58, 128, 1];
function pixel(x, y) {
  if (!inShield(x, y, 0)) return null;
  if (!inShield(x, y, 0.045)) return edge;
  // white mark: a circle and a tapered stem (a keyhole: "private, locked")
  const dx = x - 0.5, dy = y - 0.40;
  if (dx * dx + dy * dy < 0.11 * 0.11) return white;
  if (y > 0.42 && y < 0.72 && Math.abs(dx) < 0.05 + (y - 0.42) * 0.12) return white;
  return blue;
}
const dir = fileURLToPath(new URL('../icons/', import.meta.url));
for (const size of [16, 32, 48, 128]) writeFileSync(`${dir}icon${size}.png`, png(size, pixel));
console.log('icons written to', dir);
