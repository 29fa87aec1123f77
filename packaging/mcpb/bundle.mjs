// Helpers for packaging/build-mcpb.sh and the release workflow (JSON and zip work done in
// Node, which the mcpb CLI needs anyway, so the scripts need no jq or zip):
//
//   node packaging/mcpb/bundle.mjs stage <binary> <stage-dir> <linux|darwin|win32> <version> <notices>
//       lays out the bundle directory: manifest.json (compatibility.platforms narrowed to the
//       platform the binary was built for; on win32 the entry point and command name the
//       .exe), icon.png, LICENSE, THIRD-PARTY-LICENSES.txt (the notices of every crate the
//       binary links), server/klarna-mcp[.exe]
//   node packaging/mcpb/bundle.mjs pack <stage-dir> <out.mcpb>
//       zips the stage directory reproducibly: entries in byte order of their paths, every
//       timestamp SOURCE_DATE_EPOCH (default 1980-01-01), modes 0644 (0755 for executables),
//       so the same binary always gives the same .mcpb bytes. `mcpb pack` stamps the time of
//       packing and follows the file system's directory order, so it is used only to validate.
//   node packaging/mcpb/bundle.mjs server-json <out.json> <bundle.mcpb>...
//       writes packaging/server.json with one mcpb package per bundle, each pointing at the
//       bundle's file name on the release and carrying its SHA-256
//
// fflate (the zip library the MCPB CLI itself uses) is loaded from $MCPB_TOOLS_DIR, where
// build-mcpb.sh installs the versions pinned in packaging/npm/package-lock.json.
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const fail = (message) => {
  console.error(`bundle.mjs: ${message}`);
  process.exit(1);
};

/** The bundle's own name of the notices file; the release archives carry the same file. */
const NOTICES = "THIRD-PARTY-LICENSES.txt";

function stage(binary, dir, platform, version, notices) {
  const manifest = readJson(join(here, "manifest.json"));
  if (manifest.version !== version) {
    fail(`packaging/mcpb/manifest.json has version ${manifest.version}, Cargo.toml ${version}: make them equal`);
  }
  if (!["linux", "darwin", "win32"].includes(platform)) fail(`unknown platform ${platform}`);
  // A bundle holds one binary, for one OS and CPU; MCPB can narrow the OS (not the CPU).
  manifest.compatibility = { ...manifest.compatibility, platforms: [platform] };
  if (platform === "win32") {
    // Windows runs only a file named .exe: the entry point and the command say so.
    manifest.server.entry_point += ".exe";
    manifest.server.mcp_config.command += ".exe";
  }
  const text = readFileSync(notices, "utf8");
  if (!text.includes("klarna-mcp") || text.length < 1000) fail(`${notices} does not look like the notices file`);
  mkdirSync(join(dir, "server"), { recursive: true });
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(here, manifest.icon), join(dir, manifest.icon));
  copyFileSync(join(repo, "LICENSE"), join(dir, "LICENSE"));
  copyFileSync(notices, join(dir, NOTICES));
  const entry = join(dir, manifest.server.entry_point);
  copyFileSync(binary, entry);
  chmodSync(entry, 0o755);
}

/** Every file under `root`, as [posix path relative to root, absolute path], in byte order. */
function filesUnder(root, prefix = "") {
  const found = [];
  for (const name of readdirSync(join(root, prefix))) {
    const relative = prefix ? `${prefix}/${name}` : name;
    const info = statSync(join(root, relative));
    if (info.isDirectory()) found.push(...filesUnder(root, relative));
    else if (info.isFile()) found.push([relative, join(root, relative), info.mode]);
    else fail(`${relative}: neither a file nor a directory`);
  }
  return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * SOURCE_DATE_EPOCH as the Date whose local-time fields are that instant's UTC fields: zip
 * stores local date and time, so this keeps the bytes independent of the builder's time zone.
 */
function zipTime() {
  const raw = process.env.SOURCE_DATE_EPOCH ?? "315532800";
  if (!/^\d+$/.test(raw)) fail(`SOURCE_DATE_EPOCH must be whole seconds, not ${raw}`);
  const utc = new Date(Math.max(Number(raw), 315532800) * 1000); // zip cannot say before 1980
  return new Date(
    utc.getUTCFullYear(),
    utc.getUTCMonth(),
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
    utc.getUTCSeconds(),
  );
}

function pack(dir, out) {
  const tools = process.env.MCPB_TOOLS_DIR;
  if (!tools) fail("MCPB_TOOLS_DIR must name the directory where packaging/npm is installed");
  const { zipSync } = createRequire(join(tools, "package.json"))("fflate");
  const mtime = zipTime();
  const entries = {};
  for (const [relative, absolute, mode] of filesUnder(dir)) {
    const executable = (mode & 0o111) !== 0;
    // os 3 (Unix) with the mode in the high half of the external attributes, as `mcpb pack`
    // writes it: hosts keep the executable bit when they unpack.
    entries[relative] = [readFileSync(absolute), { os: 3, attrs: (executable ? 0o100755 : 0o100644) << 16, mtime }];
  }
  const zip = zipSync(entries, { level: 9, mtime });
  writeFileSync(out, zip);
  console.log(`${out}: ${Object.keys(entries).length} files, sha256 ${createHash("sha256").update(zip).digest("hex")}`);
}

function serverJson(out, bundles) {
  const server = readJson(join(repo, "packaging", "server.json"));
  const mcpb = server.packages.filter((p) => p.registryType === "mcpb");
  if (mcpb.length !== 1) fail("packaging/server.json must list exactly one mcpb package (the template)");
  const [template] = mcpb;
  const base = template.identifier.slice(0, template.identifier.lastIndexOf("/") + 1);
  const packages = bundles.map((bundle) => ({
    ...template,
    identifier: `${base}${basename(bundle)}`,
    fileSha256: createHash("sha256").update(readFileSync(bundle)).digest("hex"),
  }));
  server.packages = server.packages.flatMap((p) => (p === template ? packages : [p]));
  writeFileSync(out, `${JSON.stringify(server, null, 2)}\n`);
  for (const p of packages) console.log(`${out}: ${p.identifier}\n  fileSha256 ${p.fileSha256}`);
}

const [command, ...args] = process.argv.slice(2);
if (command === "stage" && args.length === 5) stage(...args);
else if (command === "pack" && args.length === 2) pack(...args);
else if (command === "server-json" && args.length >= 2) serverJson(args[0], args.slice(1));
else {
  fail("usage: bundle.mjs stage <binary> <dir> <platform> <version> <notices> | pack <dir> <out> | server-json <out> <bundle>...");
}
