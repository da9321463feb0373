// Browser-test harness: starts the real `cadenza serve` on a free 127.0.0.1 port with its own data
// directory, drives Debian's Chromium through playwright-core (which never downloads a browser), runs
// the cases one after another and writes a screenshot of the page when a case fails.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(new URL("../../..", import.meta.url).pathname);

export const config = {
  binary: process.env.CADENZA_BIN ?? join(ROOT, process.env.BUILD_DIR ?? "build", "cadenza"),
  chromium: process.env.CADENZA_CHROMIUM ?? "/usr/bin/chromium",
  // Failure screenshots (and the server's log) go here.
  artifacts: resolve(process.env.CADENZA_BROWSER_ARTIFACTS ?? join(ROOT, process.env.BUILD_DIR ?? "build", "browser-tests")),
  // When set, cases write the README's screenshots into this folder.
  screenshots: process.env.CADENZA_SCREENSHOTS ? resolve(process.env.CADENZA_SCREENSHOTS) : null,
  // Serve web/dist from disk instead of the embedded app (while working on the UI).
  webDir: process.env.CADENZA_WEB_DIR ? resolve(process.env.CADENZA_WEB_DIR) : null,
  caseTimeoutMs: Number(process.env.CADENZA_CASE_TIMEOUT_MS ?? 45_000),
};

// The server reads CADENZA_<SECTION>_<KEY> as configuration and refuses unknown ones: it (and the CLI)
// gets none of the test's own CADENZA_* variables (its configuration is config/cadenza.toml).
const serverEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CADENZA_")));

// Runs the CLI (`cadenza ARGS --data-dir DIR --config …`) on the test's data directory before the server
// starts, e.g. `import tracks FILE.csv`; throws with its output when it fails.
export function cli(dataDir, args) {
  const r = spawnSync(config.binary, [...args, "--data-dir", dataDir, "--config", join(ROOT, "config/cadenza.toml")], { cwd: ROOT, env: serverEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cadenza ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// prepare(dataDir): called with the fresh data directory before the server starts (a catalogue to import).
export async function startServer(prepare) {
  if (!existsSync(config.binary)) throw new Error(`no server binary at ${config.binary} (build it, or set CADENZA_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), "cadenza-browser-"));
  if (prepare) await prepare(dataDir);
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--config", join(ROOT, "config/cadenza.toml")];
  if (config.webDir) args.push("--web-dir", config.webDir);
  mkdirSync(config.artifacts, { recursive: true });
  const env = serverEnv();
  const child = spawn(config.binary, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const port = await new Promise((resolvePort, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not report its port within 60 s:\n${out}\n${log}`)), 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}\n${log}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  // Wait until ready (503 while starting).
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${base}/api/health`).catch(() => null);
    if (r && r.ok) break;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  return {
    base,
    dataDir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill("SIGKILL");
            r();
          }, 10_000);
          child.on("exit", () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: config.chromium,
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

// A small JSON client for setting up state through the API (faster than clicking through the UI).
export function apiClient(base) {
  return async function call(method, path, body, token) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

let userCounter = 0;
export function newUser() {
  userCounter += 1;
  const tag = `${Date.now().toString(36)}${userCounter}`;
  return {
    username: `user_${tag}`,
    firstName: "Ada",
    lastName: "Lovelace",
    email: `ada_${tag}@example.com`,
    phoneNumber: "+441234567890",
    password: "analytical-engine-42",
  };
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

// Runs the cases in order; each gets a fresh browser context (its own localStorage). prepare: see
// startServer.
export async function run(cases, { prepare } = {}) {
  const only = process.env.CADENZA_BROWSER_ONLY;
  const server = await startServer(prepare);
  const browser = await launchBrowser();
  const started = Date.now();
  let passed = 0;
  const failed = [];
  try {
    for (const c of cases) {
      if (only && !c.name.includes(only)) continue;
      const context = await browser.newContext({ baseURL: server.base, viewport: c.viewport ?? { width: 1100, height: 800 } });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.base });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      const t0 = Date.now();
      // A case may ask for more time (timeoutMs); CADENZA_CASE_TIMEOUT_MS raises every case's.
      const limit = Math.max(c.timeoutMs ?? 0, config.caseTimeoutMs);
      try {
        let timer;
        await Promise.race([
          c.fn({ page, context, browser, server, api: apiClient(server.base), errors }),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${limit} ms`)), limit))),
        ]).finally(() => clearTimeout(timer));
        const csp = errors.filter((e) => /Content Security Policy|Refused to/i.test(e));
        assert(csp.length === 0, `no CSP violations (${csp.join("; ")})`);
        passed += 1;
        console.log(`ok - ${c.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        const shot = join(config.artifacts, `${c.name.replace(/[^a-z0-9]+/gi, "_")}.png`);
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
        failed.push(c.name);
        console.log(`not ok - ${c.name} (${Date.now() - t0} ms)\n  ${String(e && e.stack ? e.stack : e).split("\n").join("\n  ")}`);
        if (errors.length) console.log(`  page errors:\n    ${errors.join("\n    ")}`);
        console.log(`  screenshot: ${shot}`);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    if (failed.length) {
      const logPath = join(config.artifacts, "server.log");
      (await import("node:fs")).writeFileSync(logPath, server.log());
      console.log(`server log: ${logPath}`);
    }
    await server.stop();
  }
  console.log(`# browser tests: ${passed} passed, ${failed.length} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return failed.length === 0;
}

export function readFixture(name) {
  return readFileSync(join(ROOT, "web/tests/browser/fixtures", name));
}
