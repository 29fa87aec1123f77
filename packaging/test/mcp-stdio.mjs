// A minimal MCP client over stdio for the packaging tests: spawns a server, speaks
// newline-delimited JSON-RPC, and insists that every stdout line is a JSON-RPC message.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const PROTOCOL_VERSION = "2025-06-18";
const TIMEOUT_MS = 20_000;

/**
 * Starts `command args` with exactly `env` (nothing inherited) in `cwd` and performs the
 * initialize handshake. Returns { initialize, request(method, params), close(), stderr() };
 * callers close() in a `finally`, so a failed assertion does not leave the server running.
 */
export async function connect({ command, args = [], env = {}, cwd }) {
  const child = spawn(command, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const spawned = new Promise((resolve, reject) => {
    child.on("spawn", resolve);
    child.on("error", reject);
  });
  await spawned;

  const pending = new Map();
  const strayLines = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      strayLines.push(line);
      return;
    }
    if (message.jsonrpc !== "2.0") strayLines.push(line);
    if (message.id !== undefined && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  exited.then(({ code, signal }) => {
    for (const [id, resolve] of pending) {
      resolve({ id, error: { message: `server exited (code ${code}, signal ${signal}) before answering` } });
    }
    pending.clear();
  });

  let nextId = 1;
  const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
  async function request(method, params) {
    const id = nextId++;
    const answer = new Promise((resolve) => pending.set(id, resolve));
    send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${method}: no answer within ${TIMEOUT_MS} ms\nstderr:\n${stderr}`)), TIMEOUT_MS);
    });
    const message = await Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
    if (message.error) throw new Error(`${method} failed: ${JSON.stringify(message.error)}\nstderr:\n${stderr}`);
    return message.result;
  }

  /** Ends stdin (the server should exit on EOF); kills it if it has not after 10 s. */
  async function close() {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const status = await exited;
    clearTimeout(timer);
    return { ...status, stderr, strayLines };
  }

  let initialize;
  try {
    initialize = await request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "klarna-mcp-packaging-test", version: "0" },
    });
  } catch (error) {
    await close();
    throw error;
  }
  send({ jsonrpc: "2.0", method: "notifications/initialized" });

  return { initialize, request, close, stderr: () => stderr };
}
