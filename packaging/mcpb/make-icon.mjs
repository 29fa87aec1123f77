// Draws packaging/mcpb/icon.png (512x512): a receipt with order lines and a check mark on a
// rounded square. Plain geometry, no logo or font; deterministic, so the committed icon can be
// regenerated and compared byte for byte (packaging/check.sh does).
//
//   node packaging/mcpb/make-icon.mjs [out.png]
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const SIZE = 512;
const SAMPLES = 4; // per axis, for anti-aliased edges

const BACKGROUND = [0x1d, 0x3a, 0x4f]; // slate blue
const PAPER = [0xf5, 0xf2, 0xea];
const INK = [0x8a, 0x94, 0x9e];
const TICK = [0x2e, 0x9e, 0x6b]; // green

function roundedRect(x, y, left, top, right, bottom, radius) {
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

function nearSegment(x, y, [ax, ay], [bx, by], halfWidth) {
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return (x - (ax + t * (bx - ax))) ** 2 + (y - (ay + t * (by - ay))) ** 2 <= halfWidth ** 2;
}

/** Colour at one sample point, or null outside the icon (transparent). */
function colourAt(x, y) {
  if (!roundedRect(x, y, 16, 16, 496, 496, 96)) return null;
  const tick = [
    [300, 360],
    [340, 400],
    [420, 300],
  ];
  if (nearSegment(x, y, tick[0], tick[1], 18) || nearSegment(x, y, tick[1], tick[2], 18)) return TICK;
  // The receipt: a sheet with a zig-zag bottom edge.
  const zig = 392 + Math.abs(((x - 136) % 40) - 20);
  if (x >= 136 && x <= 376 && y >= 104 && y <= zig) {
    for (const [top, right] of [
      [152, 328],
      [200, 300],
      [248, 328],
      [296, 264],
    ]) {
      if (roundedRect(x, y, 176, top, right, top + 20, 10)) return INK;
    }
    return PAPER;
  }
  return BACKGROUND;
}

function render() {
  const rows = [];
  for (let py = 0; py < SIZE; py++) {
    const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0, then RGBA
    for (let px = 0; px < SIZE; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const c = colourAt(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
          if (c) {
            r += c[0];
            g += c[1];
            b += c[2];
            a += 1;
          }
        }
      }
      const o = 1 + px * 4;
      if (a > 0) {
        row[o] = Math.round(r / a);
        row[o + 1] = Math.round(g / a);
        row[o + 2] = Math.round(b / a);
        row[o + 3] = Math.round((255 * a) / SAMPLES ** 2);
      }
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function iconPng() {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(render(), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? fileURLToPath(new URL("icon.png", import.meta.url));
  writeFileSync(out, iconPng());
}
