// Binaries installed with `cargo install` (packaging/check.sh installs with --path and --git
// into temporary roots and lists them in KLARNA_MCP_INSTALLED, ':'-separated): each answers
// --version and a demo initialize over stdio.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { connect } from "./mcp-stdio.mjs";

const installed = (process.env.KLARNA_MCP_INSTALLED ?? "").split(":").filter(Boolean);
const version = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(new URL("../../Cargo.toml", import.meta.url), "utf8"))[1];

test("packaging/check.sh installed at least one binary", () => {
  assert.ok(installed.length > 0, "KLARNA_MCP_INSTALLED is empty");
});

for (const binary of installed) {
  test(`${binary} answers --version and a demo initialize`, async () => {
    const scratch = mkdtempSync(join(tmpdir(), "klarna-mcp-install-test-"));
    try {
      const env = { PATH: process.env.PATH, HOME: scratch };
      const result = spawnSync(binary, ["--version"], { encoding: "utf8", env, cwd: scratch });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), `klarna-mcp ${version}`);

      const session = await connect({ command: binary, args: ["--demo"], env, cwd: scratch });
      assert.equal(session.initialize.serverInfo.version, version);
      assert.match(session.initialize.instructions, /^DEMO/);
      const { tools } = await session.request("tools/list");
      assert.ok(tools.some((t) => t.name === "get_order"));
      const { code, strayLines } = await session.close();
      assert.deepEqual(strayLines, []);
      assert.equal(code, 0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}
