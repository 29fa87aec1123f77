// The Claude Desktop bundle, as a user gets it: validated and packed with the official MCPB
// CLI, unpacked, and started the way an MCPB host starts it (mcp_config resolved by the MCPB
// library's own getMcpConfigForManifest, from a blank and from a filled-in form).
//
// Run by packaging/check.sh with KLARNA_MCPB_BUNDLE (the .mcpb), KLARNA_MCPB_SERVER_JSON
// (the server.json written beside it) and MCPB_TOOLS_DIR (where the pinned CLI is installed).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import { connect } from "./mcp-stdio.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const need = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (packaging/check.sh sets it)`);
  return value;
};
const bundle = need("KLARNA_MCPB_BUNDLE");
const serverJsonPath = need("KLARNA_MCPB_SERVER_JSON");
const tools = need("MCPB_TOOLS_DIR");
const mcpb = join(tools, "node_modules", ".bin", "mcpb");
const { getMcpConfigForManifest } = await import(
  pathToFileURL(join(tools, "node_modules", "@anthropic-ai", "mcpb", "dist", "index.js")).href
);

const sourceManifest = JSON.parse(readFileSync(join(repo, "packaging", "mcpb", "manifest.json"), "utf8"));
const names = (list) => list.map((x) => x.name).sort();
const DEMO_ORDER = "0d3f1a2e-0000-4000-8000-000000000001";

let scratch; // unpacked bundle, HOME and working directory of the server
let unpacked;
let manifest;
let serverTools; // tools/list of the bundled binary with a blank form

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "klarna-mcpb-test-"));
  unpacked = join(scratch, "bundle");
  const result = spawnSync(mcpb, ["unpack", bundle, unpacked], { encoding: "utf8" });
  assert.equal(result.status, 0, `mcpb unpack failed:\n${result.stdout}${result.stderr}`);
  manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8"));
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** The command, args and env an MCPB host would run for this form. */
async function resolve(userConfig) {
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: unpacked,
    systemDirs: { HOME: join(scratch, "home") },
    userConfig,
    pathSeparator: "/",
  });
  assert.ok(config, "getMcpConfigForManifest returned nothing (a required field missing?)");
  const text = JSON.stringify(config);
  assert.ok(!text.includes("${"), `placeholders left after substitution: ${text}`);
  return config;
}

/**
 * Starts the resolved command with only its env (plus PATH and a scratch HOME), runs `body`
 * with the session, then closes it: the server must exit 0 on stdin EOF and must not have
 * written anything but JSON-RPC to stdout. Returns the server's stderr.
 */
async function withServer(config, extraArgs, body) {
  const session = await connect({
    command: config.command,
    args: [...(config.args ?? []), ...extraArgs],
    env: { PATH: process.env.PATH, HOME: join(scratch, "home"), ...config.env },
    cwd: scratch,
  });
  let closed;
  try {
    await body(session);
  } finally {
    closed = await session.close();
  }
  assert.deepEqual(closed.strayLines, [], "stdout carried something other than JSON-RPC");
  assert.equal(closed.code, 0, `server exited with ${closed.code}; stderr:\n${closed.stderr}`);
  return closed.stderr;
}

test("mcpb validate accepts packaging/mcpb and rejects a manifest without a server", () => {
  const ok = spawnSync(mcpb, ["validate", join(repo, "packaging", "mcpb")], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);

  const broken = join(scratch, "broken");
  cpSync(join(repo, "packaging", "mcpb"), broken, { recursive: true });
  const { server: _, ...withoutServer } = sourceManifest;
  writeFileSync(join(broken, "manifest.json"), JSON.stringify(withoutServer));
  const bad = spawnSync(mcpb, ["validate", broken], { encoding: "utf8" });
  assert.notEqual(bad.status, 0, "mcpb validate passed a manifest without a server");
});

test("the bundle holds the manifest, icon, licence, third-party notices and an executable server for this OS", () => {
  const { compatibility, ...rest } = manifest;
  const { compatibility: _, ...sourceRest } = sourceManifest;
  assert.deepEqual(rest, sourceRest, "the packed manifest differs from packaging/mcpb/manifest.json");
  assert.deepEqual(compatibility.platforms, [process.platform]);
  assert.deepEqual(readFileSync(join(unpacked, "icon.png")), readFileSync(join(repo, "packaging", "mcpb", "icon.png")));
  assert.deepEqual(readFileSync(join(unpacked, "LICENSE")), readFileSync(join(repo, "LICENSE")));
  // The licence notices of what the binary links: crates it cannot run without, and the
  // licences that must not go unmentioned (ring's ISC/Apache, webpki-roots' CDLA).
  const notices = readFileSync(join(unpacked, "THIRD-PARTY-LICENSES.txt"), "utf8");
  for (const crate of ["rmcp", "tokio", "reqwest", "rustls", "ring", "webpki-roots", "sqlx"]) {
    assert.match(notices, new RegExp(`^  - ${crate} \\d`, "m"), `the notices do not name ${crate}`);
  }
  for (const licence of ["(Apache-2.0)", "(MIT)", "(ISC)", "(CDLA-Permissive-2.0)"]) {
    assert.ok(notices.includes(licence), `the notices lack the ${licence} text`);
  }
  const mode = statSync(join(unpacked, manifest.server.entry_point)).mode;
  assert.ok(mode & 0o100, `server/klarna-mcp is not executable (mode ${mode.toString(8)})`);
});

test("with a blank form the bundled server starts and lists exactly the manifest's tools and prompts", async () => {
  const config = await resolve({});
  for (const [name, value] of Object.entries(config.env)) {
    const expected = { KLARNA_READ_ONLY: "false", KLARNA_CONFIRM_WRITES: "auto" }[name] ?? "";
    assert.equal(value, expected, `${name} from a blank form`);
  }
  await withServer(config, [], async (session) => {
    assert.equal(session.initialize.serverInfo.name, "klarna-mcp");
    assert.equal(session.initialize.serverInfo.version, manifest.version);
    serverTools = (await session.request("tools/list")).tools;
    assert.deepEqual(names(serverTools), names(manifest.tools));
    const { prompts } = await session.request("prompts/list");
    assert.deepEqual(names(prompts), names(manifest.prompts));
    for (const prompt of prompts) {
      const declared = manifest.prompts.find((p) => p.name === prompt.name);
      const serverArgs = (prompt.arguments ?? []).map((a) => a.name);
      assert.deepEqual([...declared.arguments].sort(), serverArgs.sort(), `${prompt.name} arguments`);
    }
  });
});

test("the bundled binary runs in --demo mode: initialize, tools/list and a demo order", async () => {
  await withServer(await resolve({}), ["--demo"], async (session) => {
    assert.match(session.initialize.instructions, /^DEMO/);
    // The demo serves every toolset: the manifest's (default) tools and the opt-in ones.
    const { tools: demoTools } = await session.request("tools/list");
    for (const name of names(manifest.tools)) {
      assert.ok(names(demoTools).includes(name), `${name} in the demo`);
    }
    assert.ok(names(demoTools).includes("add_shipping_info"), "the opt-in tools in the demo");
    const result = await session.request("tools/call", { name: "get_order", arguments: { orderId: DEMO_ORDER } });
    assert.equal(result.isError, false, JSON.stringify(result.content));
    assert.equal(result.structuredContent.orderId, DEMO_ORDER);
  });
});

test("a filled-in form reaches the server: read-only leaves only the read-only tools", async () => {
  const key = "klarna_test_api_bundleTestNotARealKey0123456789";
  const config = await resolve({
    api_key: key,
    api_host: "api-na.playground.klarna.com",
    environment: "playground",
    read_only: true,
    confirm_writes: "never",
  });
  assert.equal(config.env.KLARNA_API_KEY, key);
  assert.equal(config.env.KLARNA_READ_ONLY, "true");
  assert.equal(config.env.KLARNA_API_HOST, "api-na.playground.klarna.com");
  assert.equal(config.env.KLARNA_CONFIRM_WRITES, "never");
  assert.ok(serverTools, "needs the tools listed by the blank-form test");
  const stderr = await withServer(config, [], async (session) => {
    const { tools: readOnly } = await session.request("tools/list");
    const expected = serverTools.filter((t) => t.annotations?.readOnlyHint === true);
    assert.ok(expected.length > 0 && expected.length < serverTools.length);
    assert.deepEqual(names(readOnly), names(expected));
  });
  assert.ok(!stderr.includes(key), "the API key appeared in the server's log");
});

test("dist/server.json points the mcpb package at this bundle, with its SHA-256", () => {
  const written = JSON.parse(readFileSync(serverJsonPath, "utf8"));
  const template = JSON.parse(readFileSync(join(repo, "packaging", "server.json"), "utf8"));
  const index = template.packages.findIndex((p) => p.registryType === "mcpb");
  const pkg = written.packages[index];
  assert.equal(pkg.fileSha256, createHash("sha256").update(readFileSync(bundle)).digest("hex"));
  assert.ok(pkg.identifier.endsWith(`/v${manifest.version}/${basename(bundle)}`), pkg.identifier);
  assert.ok(pkg.identifier.includes("mcp"), "the registry wants 'mcp' in an mcpb package URL");
  // Everything else is the checked-in template (validated against the registry's schema by
  // tests/stdio/packaging.rs).
  written.packages[index] = template.packages[index];
  assert.deepEqual(written, template);
});
