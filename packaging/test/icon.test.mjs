// packaging/mcpb/icon.png is what make-icon.mjs draws (compared as pixels, since the
// compressed bytes depend on the zlib build).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { inflateSync } from "node:zlib";

import { iconPng } from "../mcpb/make-icon.mjs";

function pixels(png) {
  assert.deepEqual(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const idat = [];
  let header;
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString("ascii", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") header = Buffer.from(data);
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  return { header, data: inflateSync(Buffer.concat(idat)) };
}

test("icon.png is 512x512 RGBA and matches make-icon.mjs", () => {
  const committed = pixels(readFileSync(new URL("../mcpb/icon.png", import.meta.url)));
  assert.equal(committed.header.readUInt32BE(0), 512);
  assert.equal(committed.header.readUInt32BE(4), 512);
  assert.deepEqual(committed, pixels(iconPng()));
});
