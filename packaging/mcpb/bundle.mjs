// Helpers for packaging/build-mcpb.sh (JSON work done in Node, which the mcpb CLI needs
// anyway, so the script needs no jq):
//
//   node packaging/mcpb/bundle.mjs stage <binary> <stage-dir> <linux|darwin|win32> <version>
//       lays out the bundle directory: manifest.json (compatibility.platforms narrowed to the
//       platform the binary was built for), icon.png, LICENSE, server/klarna-mcp[.exe]
//   node packaging/mcpb/bundle.mjs server-json <bundle.mcpb> <out.json>
//       writes packaging/server.json with the mcpb package pointing at this bundle's file
//       name and SHA-256
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const fail = (message) => {
  console.error(`bundle.mjs: ${message}`);
  process.exit(1);
};

function stage(binary, dir, platform, version) {
  const manifest = readJson(join(here, "manifest.json"));
  if (manifest.version !== version) {
    fail(`packaging/mcpb/manifest.json has version ${manifest.version}, Cargo.toml ${version}: make them equal`);
  }
  if (!["linux", "darwin", "win32"].includes(platform)) fail(`unknown platform ${platform}`);
  // A bundle holds one binary, for one OS and CPU; MCPB can narrow the OS (not the CPU).
  manifest.compatibility = { ...manifest.compatibility, platforms: [platform] };
  mkdirSync(join(dir, "server"), { recursive: true });
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(here, manifest.icon), join(dir, manifest.icon));
  copyFileSync(join(repo, "LICENSE"), join(dir, "LICENSE"));
  const entry = join(dir, manifest.server.entry_point + (platform === "win32" ? ".exe" : ""));
  copyFileSync(binary, entry);
  chmodSync(entry, 0o755);
}

function serverJson(bundle, out) {
  const server = readJson(join(repo, "packaging", "server.json"));
  const mcpb = server.packages.filter((p) => p.registryType === "mcpb");
  if (mcpb.length !== 1) fail("packaging/server.json must list exactly one mcpb package");
  const [pkg] = mcpb;
  const sha256 = createHash("sha256").update(readFileSync(bundle)).digest("hex");
  pkg.identifier = `${pkg.identifier.slice(0, pkg.identifier.lastIndexOf("/") + 1)}${basename(bundle)}`;
  pkg.fileSha256 = sha256;
  writeFileSync(out, `${JSON.stringify(server, null, 2)}\n`);
  console.log(`${out}: ${pkg.identifier}\n  fileSha256 ${sha256}`);
}

const [command, ...args] = process.argv.slice(2);
if (command === "stage" && args.length === 4) stage(...args);
else if (command === "server-json" && args.length === 2) serverJson(...args);
else fail("usage: bundle.mjs stage <binary> <dir> <platform> <version> | server-json <bundle> <out>");
