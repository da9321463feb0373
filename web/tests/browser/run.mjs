// The browser tests: `node tests/browser/run.mjs` from web/ (scripts/test runs them after ctest).
// Environment: CADENZA_BIN (server binary), CADENZA_CHROMIUM, CADENZA_WEB_DIR (serve web/dist from disk),
// CADENZA_BROWSER_ONLY (substring of the cases to run), CADENZA_SCREENSHOTS (write README screenshots).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { assert, cli, config, newUser, run } from "./harness.mjs";

async function shot(page, name) {
  if (config.screenshots) await page.screenshot({ path: join(config.screenshots, `${name}.png`) });
}

async function signUpViaApi(api) {
  const u = newUser();
  const r = await api("POST", "/api/profiles", u);
  assert(r.status === 201, `sign-up via API: ${r.status} ${JSON.stringify(r.body)}`);
  return u;
}

async function logInViaUi(page, u) {
  await page.goto("/login");
  await page.getByLabel("Email or username").fill(u.username);
  await page.getByLabel("Password").fill(u.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await page.locator('[data-testid="live"][data-status="open"]').waitFor();
}

// The conversion the sheet-music case makes, reused by the history and gallery case.
let converted = null;

function field(page, name) {
  return page.locator(`.field[data-field="${name}"]`);
}

const cases = [
  {
    name: "initial page weight: the JavaScript loaded before sign-in is at most 200 KB gzipped, without Verovio or the synth",
    async fn({ page }) {
      const scripts = [];
      page.on("response", async (r) => {
        if (r.request().resourceType() === "script" && !scripts.some((s) => s.url === r.url())) scripts.push({ url: r.url(), body: await r.body() });
      });
      await page.goto("/login");
      await page.getByRole("button", { name: "Log in" }).waitFor();
      await page.goto("/signup");
      await page.getByRole("button", { name: "Sign up" }).waitFor();
      await page.waitForTimeout(300);
      const gz = scripts.reduce((n, s) => n + gzipSync(s.body, { level: 9 }).length, 0);
      const raw = scripts.reduce((n, s) => n + s.body.length, 0);
      console.log(`  # before sign-in: ${scripts.length} script(s), ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
      assert(gz <= 200 * 1024, `at most 200 KB gzipped (${gz} bytes)`);
      assert(!scripts.some((s) => /verovio|spessasynth|processor/.test(s.url)), "no Verovio or synth before sign-in");
    },
  },
  {
    name: "sign-up shows field errors next to the fields, then succeeds",
    async fn({ page }) {
      const u = newUser();
      await page.goto("/signup");
      await shot(page, "signup");
      await page.getByLabel("Username").fill(u.username);
      await page.getByLabel("First name").fill(u.firstName);
      await page.getByLabel("Last name").fill(u.lastName);
      await page.getByLabel("Email").fill("not-an-email");
      await page.getByLabel("Phone number").fill(u.phoneNumber);
      await page.getByLabel("Password").fill("short");
      await page.getByRole("button", { name: "Sign up" }).click();
      const emailErr = field(page, "email").locator(".field-error");
      await emailErr.waitFor();
      assert((await emailErr.textContent()).trim().length > 0, "email error text");
      await field(page, "password").locator(".field-error").waitFor();
      assert((await page.getByLabel("Email").getAttribute("aria-invalid")) === "true", "email aria-invalid");
      assert((await field(page, "username").locator(".field-error").count()) === 0, "no error on a good field");
      await shot(page, "signup-errors");
      await page.getByLabel("Email").fill(u.email);
      await page.getByLabel("Password").fill(u.password);
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.waitForURL((url) => url.pathname === "/");
      await page.getByRole("navigation", { name: "Main" }).waitFor();
      await page.locator('[data-testid="live"][data-status="open"]').waitFor();
      assert((await page.locator(".field-error").count()) === 0, "errors gone");
    },
  },
  {
    name: "log-in: a wrong password is a toast, the right one signs in and keeps the session on reload",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await page.goto("/account");
      await page.waitForURL((url) => url.pathname === "/login" && url.search.includes("next="));
      await shot(page, "login");
      await page.getByLabel("Email or username").fill(u.email);
      await page.getByLabel("Password").fill("wrong-password-1");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.locator('[data-testid="toast"]', { hasText: /invalid/i }).waitFor();
      await page.getByLabel("Password").fill(u.password);
      await page.getByRole("button", { name: "Log in" }).click();
      // Back where the visitor wanted to go.
      await page.waitForURL((url) => url.pathname === "/account");
      await page.getByTestId("profile-username").filter({ hasText: u.username }).waitFor();
      await page.reload();
      await page.getByTestId("profile-username").filter({ hasText: u.username }).waitFor();
      await page.locator('[data-testid="live"][data-status="open"]').waitFor();
    },
  },
  {
    name: "a demo job's progress moves live over the WebSocket, then Cancel stops it",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs" }).click();
      await page.waitForURL((url) => url.pathname === "/jobs");
      // A bad payload: the server's message sits next to the field.
      await page.getByLabel("Steps").fill("0");
      await page.getByRole("button", { name: "Run demo job" }).click();
      await field(page, "payload.steps").locator(".field-error").waitFor();
      await page.getByLabel("Steps").fill("200");
      await page.getByLabel("Milliseconds per step").fill("100");
      await page.getByRole("button", { name: "Run demo job" }).click();
      const job = page.getByTestId("job").first();
      await job.locator('[data-testid="job-state"]', { hasText: "running" }).waitFor();
      // No polling in the page: every change below came over the WebSocket.
      const p1 = Number(await job.getAttribute("data-progress"));
      await page.waitForFunction(
        (before) => Number(document.querySelector('[data-testid="job"]')?.getAttribute("data-progress")) >= before + 3,
        p1,
        { timeout: 15_000 },
      );
      const p2 = Number(await job.getAttribute("data-progress"));
      assert(p2 > p1 && p2 < 100, `progress moved (${p1} -> ${p2})`);
      await shot(page, "jobs");
      await job.getByRole("button", { name: /Cancel/ }).click();
      await job.locator('[data-testid="job-state"]', { hasText: "cancelled" }).waitFor();
      const p3 = Number(await job.getAttribute("data-progress"));
      await page.waitForTimeout(800);
      assert(Number(await job.getAttribute("data-progress")) === p3, "progress stopped after cancel");
      assert((await job.getByRole("button", { name: /Cancel/ }).count()) === 0, "no Cancel on a finished job");
    },
  },
  {
    name: "the live indicator reconnects by itself after the socket drops, keeping its socketId",
    async fn({ page, api, context }) {
      const u = await signUpViaApi(api);
      const hellos = [];
      page.on("websocket", (ws) =>
        ws.on("framereceived", (f) => {
          if (typeof f.payload !== "string" || !f.payload.includes('"hello"')) return;
          hellos.push(JSON.parse(f.payload).socketId);
        }),
      );
      await logInViaUi(page, u);
      await page.locator('[data-testid="live"][data-status="open"]').waitFor();
      // Cut the network: the socket closes and the indicator says so; back online, it reconnects.
      await context.setOffline(true);
      await page.evaluate(() => window.dispatchEvent(new Event("cadenza:drop-live")));
      await page.locator('[data-testid="live"]:not([data-status="open"])').waitFor();
      await context.setOffline(false);
      await page.locator('[data-testid="live"][data-status="open"]').waitFor({ timeout: 20_000 });
      // The reconnect asked for the same socketId (conversions that named it are still told there).
      for (let i = 0; i < 50 && hellos.length < 2; i++) await page.waitForTimeout(100);
      assert(hellos.length >= 2 && hellos[0] && hellos.every((id) => id === hellos[0]), `one socketId (${hellos})`);
    },
  },
  {
    name: "API keys: create (shown once), copy, use, revoke",
    async fn({ page, api, server }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
      await page.getByLabel("Key name").fill("laptop");
      await page.getByRole("button", { name: "Create key" }).click();
      const value = page.getByTestId("new-key-value");
      await value.waitFor();
      const key = await value.inputValue();
      assert(key.startsWith("cdz_"), `key looks like an API key (${key.slice(0, 6)}…)`);
      await page.getByTestId("copy-key").click();
      await page.getByTestId("copy-key").filter({ hasText: "Copied" }).waitFor();
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert(clip === key, "the clipboard holds the key");
      await page.getByTestId("api-key").filter({ hasText: "laptop" }).waitFor();
      await shot(page, "account");
      const use = async () => (await fetch(`${server.base}/api/jobs`, { headers: { "X-API-Key": key } })).status;
      assert((await use()) === 200, "the key works");
      // Shown once: after a reload the secret is gone, the key still listed.
      await page.reload();
      await page.getByTestId("api-key").filter({ hasText: "laptop" }).waitFor();
      assert((await page.getByTestId("new-key-value").count()) === 0, "secret not shown again");
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Revoke API key laptop" }).click();
      await page.getByTestId("api-key").first().waitFor({ state: "detached" });
      assert((await use()) === 401, "the revoked key is refused");
    },
  },
  {
    name: "profile edit: field errors from PUT, then saved",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/account");
      await page.getByRole("button", { name: "Edit profile" }).click();
      await page.getByLabel("First name").fill("");
      await page.getByRole("button", { name: "Save" }).click();
      await field(page, "firstName").locator(".field-error").waitFor();
      await page.getByLabel("First name").fill("Augusta");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByTestId("profile-name").filter({ hasText: "Augusta Lovelace" }).waitFor();
      await page.locator('[data-testid="toast"]', { hasText: "firstName" }).waitFor();
    },
  },
  {
    name: "log-out ends the session",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.getByRole("button", { name: "Log out" }).first().click();
      await page.waitForURL((url) => url.pathname === "/login");
      assert((await page.evaluate(() => localStorage.getItem("cadenza.session"))) === null, "session removed");
      assert((await page.getByRole("navigation", { name: "Main" }).count()) === 0, "no app navigation");
      await page.goto("/jobs");
      await page.waitForURL((url) => url.pathname === "/login");
    },
  },
  {
    name: "360 px wide: no sideways scrolling, the menu opens, every control named, dark theme, visible focus",
    viewport: { width: 360, height: 740 },
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      for (const path of ["/", "/jobs", "/account", "/sheet-music", "/sheet-music/history", "/gallery", "/listen", "/create"]) {
        await page.goto(path);
        await page.locator("main h1").waitFor();
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(w <= 360, `${path} fits 360 px (scrollWidth ${w})`);
      }
      await page.getByRole("button", { name: "Menu" }).click();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Jobs" }).click();
      await page.waitForURL((url) => url.pathname === "/jobs");
      // Every control has an accessible name (a label, aria-label or text), on every page.
      for (const path of ["/jobs", "/account", "/sheet-music", "/sheet-music/history", "/gallery", "/listen", "/create", "/demo/upload", "/demo/audio", "/demo/score", "/demo/midi"]) {
        await page.goto(path);
        await page.locator("main h1").waitFor();
        await page.waitForTimeout(300);
        const unnamed = await page.evaluate(() =>
          [...document.querySelectorAll("input, button, select, textarea, a[href]")]
            .filter((el) => {
              if (el.type === "hidden") return false;
              const aria = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
              const label = el.labels && el.labels.length > 0;
              const text = (el.textContent || "").trim();
              return !aria && !label && !(el.tagName !== "INPUT" && text);
            })
            .map((el) => el.outerHTML.slice(0, 80)));
        assert(unnamed.length === 0, `${path}: controls without a name: ${unnamed.join(" | ")}`);
      }
      await page.getByTestId("theme").click();
      const t = await page.evaluate(() => document.documentElement.dataset.theme);
      assert(t === "dark" || t === "light", "theme attribute set");
      if (t !== "dark") await page.getByTestId("theme").click();
      await shot(page, "narrow-dark");
      // Keyboard: Tab reaches a control and its focus ring is visible.
      await page.keyboard.press("Tab");
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert(outline !== "none", `focus is visible (outline ${outline})`);
    },
  },
  {
    name: "score viewer: Verovio renders the MusicXML fixture with its 12 measures; page and zoom controls",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/demo/score");
      const score = page.locator('[data-testid="score"][data-status="ready"]');
      await score.waitFor({ timeout: 30_000 });
      assert((await score.getAttribute("data-measures")) === "12", `12 measures in the score (${await score.getAttribute("data-measures")})`);
      const pages = Number(await score.getAttribute("data-pages"));
      let drawn = 0;
      for (let p = 1; p <= pages; p++) {
        drawn += await page.locator(".score-page svg g.measure").count();
        if (p < pages) await page.getByRole("button", { name: /Next page/ }).click();
      }
      assert(drawn === 12, `12 measures drawn over ${pages} page(s) (${drawn})`);
      await shot(page, "score");
      // Zoomed in, the score needs more pages: every measure is still drawn once, page by page.
      for (let i = 0; i < 16 && Number(await score.getAttribute("data-pages")) < 2; i++) {
        await page.getByRole("button", { name: "Zoom in" }).click();
      }
      const zoomedPages = Number(await score.getAttribute("data-pages"));
      assert(zoomedPages >= 2, `zoomed in, several pages (${zoomedPages})`);
      let zoomed = 0;
      for (let p = 1; p <= zoomedPages; p++) {
        await page.locator(`[data-testid="score"][data-page="${p}"]`).waitFor();
        zoomed += await page.locator(".score-page svg g.measure").count();
        if (p < zoomedPages) await page.getByRole("button", { name: /Next page/ }).click();
      }
      assert(zoomed === 12, `12 measures over ${zoomedPages} zoomed pages (${zoomed})`);
      await page.getByRole("button", { name: /Previous page/ }).click();
      await page.locator(`[data-testid="score"][data-page="${zoomedPages - 1}"]`).waitFor();
      // Dark theme: the notes take the text colour.
      await page.getByTestId("theme").click();
      await shot(page, "score-zoomed-dark");
      await page.getByTestId("theme").click();
    },
  },
  {
    name: "audio player: a WAV plays (currentTime advances), pauses and seeks; a growing stream plays while it grows",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/demo/audio");
      await page.getByRole("button", { name: "Play Arpeggio" }).click();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="audio-player"]')?.getAttribute("data-time")) > 0.5, null, { timeout: 15_000 });
      const t = await page.evaluate(() => document.querySelector("audio").currentTime);
      assert(t > 0.5, `currentTime advanced (${t})`);
      await page.getByRole("button", { name: "Pause Arpeggio" }).click();
      await page.locator('[data-testid="audio-player"][data-paused="true"]').waitFor();
      await page.getByLabel("Seek Arpeggio").fill("4");
      const t2 = await page.evaluate(() => document.querySelector("audio").currentTime);
      assert(Math.abs(t2 - 4) < 0.1, `seeked to 4 s (${t2})`);
      // A stream that grows while it plays (MediaSource): playback starts while it is still growing.
      await page.getByRole("button", { name: "Start the stream" }).click();
      const stream = page.getByTestId("audio-player").nth(1);
      await stream.and(page.locator('[data-growing="true"]')).waitFor();
      await page.waitForFunction(() => Number(document.querySelectorAll('[data-testid="audio-player"]')[1]?.getAttribute("data-duration")) > 0.2);
      const d1 = Number(await stream.getAttribute("data-duration"));
      await page.getByRole("button", { name: "Play Stream" }).click();
      await page.waitForFunction(
        (d) => { const p = document.querySelectorAll('[data-testid="audio-player"]')[1]; return Number(p?.getAttribute("data-time")) > 0.5 && Number(p?.getAttribute("data-duration")) > d + 0.5; },
        d1, { timeout: 15_000 });
      assert((await stream.getAttribute("data-growing")) === "true", "still growing while it plays");
      await page.locator('[data-testid="audio-player"][data-growing="false"]').nth(1).waitFor({ timeout: 15_000 });
    },
  },
  {
    name: "upload: a WAV goes up with progress (multipart POST /api/files) and plays from its signed URL",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/demo/upload");
      await page.getByTestId("file-input").setInputFiles({ name: "tone.wav", mimeType: "audio/wav", buffer: toneWav(3) });
      await page.locator('[data-testid="upload-progress"][data-percent="100"]').waitFor();
      await page.getByTestId("uploaded").waitFor();
      assert((await page.getByTestId("uploaded-size").textContent()) === String(toneWav(3).length), "size as sent");
      await page.getByRole("button", { name: "Play tone.wav" }).click();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="audio-player"]')?.getAttribute("data-time")) > 0.3, null, { timeout: 15_000 });
      await shot(page, "upload");
      // A pasted link that is not http(s) is a field error.
      await page.getByLabel("Or paste a link").fill("ftp://example.com/a.wav");
      await page.getByRole("button", { name: "Use link" }).click();
      await page.locator(".field-error", { hasText: "http" }).waitFor();
    },
  },
  {
    name: "sheet music: a WAV upload is converted live (POST /api/convert): stages, score per arrangement, audio rendering, downloads",
    // The first conversion of the server loads the net: give it time on a loaded machine.
    timeoutMs: 150_000,
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      // The socket's frames: the finished conversion comes as messageFromServer to the socket named at submit.
      const frames = [];
      page.on("websocket", (ws) => ws.on("framereceived", (f) => typeof f.payload === "string" && frames.push(f.payload)));
      await logInViaUi(page, u);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sheet music" }).click();
      await page.getByTestId("convert-form").waitFor();
      await page.getByTestId("file-input").setInputFiles({ name: "a4.wav", mimeType: "audio/wav", buffer: toneWav(2) });
      await page.getByTestId("chosen-file").filter({ hasText: "a4.wav" }).waitFor();
      await page.getByLabel("Song name").fill("Tone study");
      await page.getByLabel(/Easy piano/).check();
      await page.getByRole("button", { name: "Convert", exact: true }).click();
      // Live: the stage is shown while it runs, then the result.
      const conv = page.getByTestId("conversion");
      await page.getByTestId("conversion-stage").waitFor();
      await conv.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 140_000 });
      const stages = (await conv.getAttribute("data-stages")).split(" ").filter(Boolean);
      assert(stages.length >= 2, `several stages shown (${stages})`);
      // (A poll may see the end first: the socket's message follows within moments.)
      for (let i = 0; i < 50 && !frames.some((f) => f.includes('"messageFromServer"') && f.includes('"succeeded"')); i++) await page.waitForTimeout(100);
      assert(frames.some((f) => f.includes('"messageFromServer"') && f.includes('"succeeded"')), "messageFromServer on the socket");
      await page.locator('[data-testid="score"][data-status="ready"]').waitFor({ timeout: 30_000 });
      const measures = Number(await page.getByTestId("score").getAttribute("data-measures"));
      assert(measures >= 1, `the score has measures (${measures})`);
      // One tab per arrangement; the easy one engraves its own score.
      const tabs = await page.getByTestId("arrangement-tab").allTextContents();
      assert(tabs.join(",") === "Piano,Easy piano", `tabs: ${tabs}`);
      const names = await page.getByTestId("download").allTextContents();
      assert(names.join(",") === "MusicXML,MIDI,PDF,Audio", `downloads: ${names}`);
      // The rendering plays in an <audio> element (Ogg/Opus from FluidSynth).
      await page.waitForFunction(() => document.querySelector('[data-testid="conversion-audio"]')?.duration > 0.5, null, { timeout: 15_000 });
      const heads = await page.evaluate(async () => {
        const out = {};
        for (const a of document.querySelectorAll('[data-testid="download"]')) {
          const r = await fetch(a.href);
          const bytes = new Uint8Array(await r.arrayBuffer());
          out[a.dataset.kind] = [r.status, new TextDecoder().decode(a.dataset.kind === "musicxml" ? bytes : bytes.slice(0, 5)), a.getAttribute("download")];
        }
        return out;
      });
      assert(heads.musicxml[0] === 200 && heads.musicxml[1].includes("<score-partwise"), "the MusicXML downloads");
      assert(heads.musicxml[2] === "Tone study (Piano).musicxml", `download name (${heads.musicxml[2]})`);
      assert(heads.midi[0] === 200 && heads.midi[1].startsWith("MThd"), `the MIDI downloads (${heads.midi})`);
      assert(heads.pdf[0] === 200 && heads.pdf[1] === "%PDF-", `the PDF downloads (${heads.pdf})`);
      assert(heads.audio[0] === 200 && heads.audio[1].startsWith("OggS"), `the audio downloads (${heads.audio})`);
      await conv.evaluate((el) => el.scrollIntoView({ block: "start" }));
      await shot(page, "sheet-music");
      await page.getByRole("tab", { name: "Easy piano" }).click();
      await page.locator('[data-testid="conversion-result"][data-arrangement="easy"]').waitFor();
      await page.locator('[data-testid="score"][data-status="ready"]').waitFor({ timeout: 30_000 });
      const easyXml = await page.evaluate(() => document.querySelector('[data-testid="download"][data-kind="musicxml"]').getAttribute("download"));
      assert(easyXml === "Tone study (Easy piano).musicxml", `the easy tab's links (${easyXml})`);
      converted = { user: u, uuid: await conv.getAttribute("data-uuid"), session: await page.evaluate(() => JSON.parse(localStorage.getItem("cadenza.session"))) };
      // What the form sent (a multipart body with a file is not visible to the test): the conversion echoes it.
      const echo = (await api("GET", `/api/conversions/${converted.uuid}`, undefined, converted.session.token)).body;
      assert(echo.source === "web_frontend" && echo.song_name === "Tone study" && !echo.is_public, `source, name, private (${JSON.stringify(echo)})`);
      assert(JSON.stringify(echo.arrangement_type) === '["piano","easy"]', `arrangements (${JSON.stringify(echo.arrangement_type)})`);
      assert(typeof echo.additional_data?.socket_id === "string" && echo.additional_data.socket_id.length > 0, "the socket id was sent");
    },
  },
  {
    name: "conversion history: search, open, rename inline, make public; the gallery shows it signed out, read-only; delete removes it",
    timeoutMs: 90_000,
    async fn({ page, browser, server }) {
      assert(converted, "needs the conversion of the case before");
      const { uuid } = converted;
      const call = async (method, path, body) => {
        const r = await fetch(server.base + path, { method, headers: { Authorization: `Bearer ${converted.session.token}`, "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
        return { status: r.status, body: r.status === 204 ? null : await r.json() };
      };
      await page.addInitScript((s) => localStorage.setItem("cadenza.session", JSON.stringify(s)), converted.session);
      await page.goto("/sheet-music");
      await page.getByRole("link", { name: "History" }).click();
      await page.waitForURL((url) => url.pathname === "/sheet-music/history");
      const item = page.locator(`[data-testid="history-item"][data-uuid="${uuid}"]`);
      await item.and(page.locator('[data-status="succeeded"]')).waitFor();
      assert((await item.getByTestId("history-status").textContent()) === "succeeded", "status badge");
      // Search on the song name.
      await page.getByLabel("Search by song name").fill("no such song");
      await page.locator(".empty", { hasText: "No conversion named like" }).waitFor();
      await page.getByLabel("Search by song name").fill("tone");
      await item.waitFor();
      // Open it, and back.
      await item.getByTestId("history-name").click();
      await page.waitForURL((url) => url.pathname === `/sheet-music/${uuid}`);
      await page.locator('[data-testid="conversion"][data-status="succeeded"] [data-testid="conversion-result"]').waitFor();
      await page.goBack();
      await item.waitFor();
      // Rename in place (Enter saves).
      await item.getByRole("button", { name: "Rename Tone study" }).click();
      await item.getByLabel("New name").fill("Renamed study");
      await item.getByLabel("New name").press("Enter");
      await item.getByTestId("history-name").filter({ hasText: "Renamed study" }).waitFor();
      assert((await call("GET", `/api/conversions/${uuid}`)).body.song_name === "Renamed study", "renamed on the server");
      // Public: it joins the gallery.
      await item.getByLabel("Public: Renamed study").check();
      await item.and(page.locator('[data-public="true"]')).waitFor();
      assert((await call("GET", `/api/conversions/${uuid}`)).body.is_public === true, "public on the server");
      await shot(page, "sheet-music-history");
      // Signed out, in a fresh context: the gallery lists it and opens it read-only.
      const guest = await browser.newContext({ baseURL: server.base, viewport: { width: 1100, height: 800 } });
      try {
        const g = await guest.newPage();
        await g.goto("/");
        await g.getByRole("link", { name: "Gallery" }).click();
        await g.waitForURL((url) => url.pathname === "/gallery");
        const card = g.locator(`[data-testid="gallery-item"][data-uuid="${uuid}"]`);
        await card.waitFor();
        await card.getByRole("link", { name: "Renamed study" }).click();
        await g.waitForURL((url) => url.pathname === `/gallery/${uuid}`);
        await g.locator('[data-testid="gallery-view"] [data-testid="score"][data-status="ready"]').waitFor({ timeout: 30_000 });
        assert((await g.getByTestId("conversion-audio").count()) === 1, "the rendering is there");
        const xml = await g.evaluate(async () => (await (await fetch(document.querySelector('[data-testid="download"][data-kind="musicxml"]').href)).text()));
        assert(xml.includes("<score-partwise"), "the MusicXML downloads signed out");
        assert((await g.getByRole("button", { name: /Rename|Delete|Cancel/ }).count()) === 0, "read-only");
        await shot(g, "gallery");
        // A deep link works signed out as well.
        await g.reload();
        await g.locator('[data-testid="gallery-view"] [data-testid="conversion-result"]').waitFor();
        // Deleted (after the confirmation), it leaves the history and the gallery.
        page.once("dialog", (d) => d.accept());
        await item.getByRole("button", { name: "Delete Renamed study" }).click();
        await item.waitFor({ state: "detached" });
        await page.getByLabel("Search by song name").fill("");
        await page.locator(".empty", { hasText: "No conversions yet" }).waitFor();
        assert((await call("GET", `/api/conversions/${uuid}`)).status === 404, "gone from the server");
        await g.goto("/gallery");
        await g.locator(".empty", { hasText: "Nothing shared yet" }).waitFor();
      } finally {
        await guest.close();
      }
    },
  },
  {
    name: "sheet music: field errors before sending; a link that cannot be fetched fails with its reason; Cancel stops a conversion",
    timeoutMs: 60_000,
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/sheet-music");
      await page.getByTestId("convert-form").waitFor();
      // Nothing to convert, no arrangement: said next to the controls, nothing sent.
      const piano = page.locator('input[name="arrangement_type"][value="piano"]');
      await piano.uncheck();
      await page.getByRole("button", { name: "Convert", exact: true }).click();
      await page.locator(".drop .field-error", { hasText: "Choose a file" }).waitFor();
      await page.locator(".choices .field-error", { hasText: "at least one" }).waitFor();
      await piano.check();
      // A link goes as JSON (audio_url); a name that resolves to loopback is refused by the server's address
      // rules when it is fetched (an address written as such would be a 422 at once).
      await page.getByLabel(/Or paste a link/).fill("http://localhost:9/song.wav");
      const sent = page.waitForRequest((r) => r.url().endsWith("/api/convert") && r.method() === "POST");
      await page.getByRole("button", { name: "Convert", exact: true }).click();
      const body = (await sent).postDataJSON();
      assert(body.audio_url === "http://localhost:9/song.wav" && body.source === "web_frontend" && body.additional_data?.socket_id, `JSON body ${JSON.stringify(body)}`);
      const failed = page.locator('[data-testid="conversion"][data-status="failed"]');
      await failed.waitFor({ timeout: 30_000 });
      const why = (await failed.getByTestId("conversion-error").textContent()).trim();
      assert(why.length > "The conversion failed:".length + 3, `the reason is shown (${why})`);
      await shot(page, "sheet-music-failed");
      // A longer recording, cancelled while it runs.
      await page.getByTestId("file-input").setInputFiles({ name: "long.wav", mimeType: "audio/wav", buffer: toneWav(40) });
      await page.getByRole("button", { name: "Convert", exact: true }).click();
      const running = page.locator('[data-testid="conversion"]:not([data-status="failed"])');
      await running.getByRole("button", { name: "Cancel conversion" }).click();
      await page.locator('[data-testid="conversion"][data-status="cancelled"]').waitFor({ timeout: 40_000 });
    },
  },
  {
    name: "MIDI player: the score's MIDI plays through the GM soundfont and the highlight moves",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/demo/midi");
      await page.locator('[data-testid="score"][data-status="ready"]').waitFor({ timeout: 30_000 });
      await page.getByRole("button", { name: "Play", exact: true }).click();
      await page.locator('[data-testid="midi-player"][data-state="playing"]').waitFor({ timeout: 40_000 });
      const lit = () => page.evaluate(() => document.querySelector(".score-page")?.dataset.playing ?? "");
      await page.waitForFunction(() => (document.querySelector(".score-page")?.dataset.playing ?? "") !== "", null, { timeout: 10_000 });
      const first = await lit();
      await page.waitForFunction((f) => { const p = document.querySelector(".score-page")?.dataset.playing ?? ""; return p !== "" && p !== f; }, first, { timeout: 10_000 });
      assert((await page.locator(".score-page g.playing").count()) > 0, "highlighted notes in the SVG");
      const t = Number(await page.getByTestId("midi-player").getAttribute("data-time"));
      assert(t > 0, `playback time advances (${t})`);
      await shot(page, "midi");
      await page.getByRole("button", { name: "Pause", exact: true }).click();
    },
  },
  {
    name: "piano roll grows while notes arrive; chart draws its series",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/demo/piano-roll");
      const roll = page.getByTestId("piano-roll");
      await roll.waitFor();
      const n1 = Number(await roll.getAttribute("data-notes"));
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="piano-roll"]')?.getAttribute("data-notes")) > n + 3, n1);
      await shot(page, "piano-roll");
      await page.goto("/demo/chart");
      await page.locator('[data-testid="chart"] polyline').waitFor();
      assert((await page.locator('[data-testid="chart"] circle').count()) === 30, "30 readings drawn");
    },
  },
  {
    name: "listen: create a tune vector, its plan is shown; play, skip: the listen is recorded and the re-plan shown",
    timeoutMs: 60_000,
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Listen" }).click();
      await page.waitForURL((url) => url.pathname === "/listen");
      // No model yet: said so, nothing broken.
      await page.locator('[data-testid="no-recommendations"], [data-testid="recommendation"]').first().waitFor();
      const editor = page.getByTestId("tv-editor");
      // A name is needed: said next to the field, nothing sent.
      await editor.getByRole("button", { name: "Create and plan" }).click();
      await editor.locator('.field[data-field="name"] .field-error').waitFor();
      await editor.getByLabel("Name").fill("Wind up");
      await editor.getByLabel("Preset", { exact: true }).selectOption("ascent");
      await editor.getByRole("spinbutton", { name: "Minutes" }).fill("20");
      // The target curve is drawn before it is sent.
      await editor.locator('[data-testid="chart"] polyline').waitFor();
      await editor.getByRole("button", { name: "Create and plan" }).click();
      const plan = page.getByTestId("tv-plan");
      await plan.waitFor();
      const n = Number(await plan.getAttribute("data-tracks"));
      assert(n >= 4, `tracks planned (${n})`);
      // The chart: the target curve and one point per planned track (energy first; tempo on a click).
      await plan.locator('[data-testid="chart"] polyline').waitFor();
      assert((await plan.locator('[data-testid="chart"] circle').count()) === n, "a point per planned track");
      await plan.getByLabel("tempo").check();
      await plan.locator('[data-testid="plan-chart"][data-dimension="tempo"]').waitFor();
      assert((await plan.getByTestId("queue-item").count()) === n, "the queue lists the plan");
      const before = await plan.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.dataset.trackId));
      // Play: the catalogue has no audio for these tracks, so the time is counted without sound.
      const player = plan.getByTestId("tune-player");
      await player.getByRole("button", { name: "Play Wind up" }).click();
      await player.and(page.locator('[data-state="playing"][data-silent="true"]')).waitFor();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="tune-player"]')?.getAttribute("data-elapsed")) > 1200);
      const first = await player.getAttribute("data-track-id");
      assert(first === before[0], "the first planned track plays");
      await plan.getByTestId("chart-marker").waitFor({ state: "attached" });
      await plan.evaluate((el) => el.scrollIntoView({ block: "start" }));
      await shot(page, "listen-playing");
      // Skip: reported as a listen, and the rest is planned again.
      await player.getByRole("button", { name: /^Skip / }).click();
      await player.getByTestId("replan-reason").filter({ hasText: "Skipped" }).waitFor();
      await player.and(page.locator('[data-events="1"][data-state="playing"]')).waitFor();
      const second = await player.getAttribute("data-track-id");
      assert(second && second !== first, "the next track plays");
      assert((await player.locator('[data-testid="queue-item"]').first().locator(".pill", { hasText: "skipped" }).count()) === 1, "the skipped track is marked");
      const after = await plan.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.dataset.trackId));
      assert(after[0] === first && JSON.stringify(after) !== JSON.stringify(before), `re-planned (${before} -> ${after})`);
      assert(!after.slice(1).includes(first), "the skipped track does not come back");
      assert((await plan.locator('[data-testid="chart"] circle').count()) === after.length, "the chart follows the re-plan");
      await player.evaluate((el) => el.scrollIntoView({ block: "start" }));
      await shot(page, "listen-replan");
      const s = await page.evaluate(() => JSON.parse(localStorage.getItem("cadenza.session")));
      const listens = (await api("GET", `/api/profiles/${s.profileId}/listens`, undefined, s.token)).body.listens;
      assert(listens.length === 1 && listens[0].trackId === first && listens[0].outcome === "skipped" && listens[0].tuneVectorId === (await plan.getAttribute("data-id")),
        `the skip is a listen (${JSON.stringify(listens)})`);
      assert(listens[0].playedMs >= 1000, `played time (${listens[0].playedMs})`);
      // It stays: after a reload the tune vector and its (re-planned) plan are there.
      await page.reload();
      await page.getByTestId("tv-item").filter({ hasText: "Wind up" }).waitFor();
      await page.getByTestId("tv-plan").waitFor();
      const kept = await page.getByTestId("queue-item").evaluateAll((els) => els.map((e) => e.dataset.trackId));
      assert(kept[0] === first, "the stored plan starts with the played track");
    },
  },
  {
    name: "listen: a tune vector from waypoints plays a track's audio from the library and reports it completed",
    timeoutMs: 60_000,
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/listen");
      const editor = page.getByTestId("tv-editor");
      await editor.getByLabel("Name").fill("Bright");
      await editor.getByRole("radio", { name: /^Waypoints/ }).check();
      // Both waypoints at the one track with audio (features far from every other track).
      const values = { energy: "0.98", tempo: "210", valence: "0.05", acousticness: "0.01", density: "0.1" };
      for (const [i, minute] of [[1, "0"], [2, "4"]]) {
        await editor.getByLabel(`Waypoint ${i} minute`).fill(minute);
        for (const [d, v] of Object.entries(values)) await editor.getByLabel(`Waypoint ${i} ${d}`, { exact: true }).fill(v);
      }
      await editor.getByRole("button", { name: "Create and plan" }).click();
      const plan = page.getByTestId("tv-plan");
      await plan.waitFor();
      const firstTitle = await plan.getByTestId("queue-item").first().locator(".qtitle").textContent();
      assert(firstTitle === "Tone", `the track with audio is planned first (${firstTitle})`);
      const player = plan.getByTestId("tune-player");
      await player.getByRole("button", { name: "Play Bright" }).click();
      await player.and(page.locator('[data-silent="false"]')).waitFor();
      await page.waitForFunction(() => (document.querySelector('[data-testid="tune-player"] audio')?.currentTime ?? 0) > 0.5);
      // 3 s of audio: at its end the listen is completed and the next track comes.
      await player.and(page.locator('[data-events="1"]')).waitFor({ timeout: 20_000 });
      await player.getByTestId("replan-reason").filter({ hasText: "Played" }).waitFor();
      const s = await page.evaluate(() => JSON.parse(localStorage.getItem("cadenza.session")));
      const listens = (await api("GET", `/api/profiles/${s.profileId}/listens`, undefined, s.token)).body.listens;
      assert(listens.length === 1 && listens[0].outcome === "completed" && listens[0].title === "Tone", `completed (${JSON.stringify(listens)})`);
      await player.getByRole("button", { name: "Pause Bright" }).click();
    },
  },
  {
    name: "listen: recommendations show with their reasons and the model (an answer as the route's contract has it)",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      const features = { energy: 0.6, tempo: 0.4, valence: 0.7, acousticness: 0.2, density: 0.5 };
      const asked = [];
      await page.route("**/api/profiles/*/recommendations*", (route) => {
        const q = new URL(route.request().url()).searchParams;
        asked.push(`${q.get("genre")}/${q.get("context")}`);
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({
          items: [
            { track: { id: "00000000-0000-4000-8000-000000000001", title: "Blue in Green", artist: "Miles Davis", genres: ["jazz"], features, bpm: 112, durationMs: 337000 }, score: 0.91, reasons: ["You prefer jazz", "Close to what you played this evening"] },
            { track: { id: "00000000-0000-4000-8000-000000000002", title: "So What", artist: "Miles Davis", genres: ["jazz"], features, bpm: 136, durationMs: 562000 }, score: 0.74, reasons: ["Often played after Blue in Green"] },
          ],
          model: { version: 3, trainedAt: new Date(Date.now() - 3600_000).toISOString() },
          context: { name: "evening", targetEnergy: 0.35, because: ["time of day 20 h"] },
        }) });
      });
      await page.goto("/listen");
      const recs = page.getByTestId("recommendation");
      await recs.nth(1).waitFor();
      assert((await recs.first().locator(".reasons li").allTextContents()).join("|") === "You prefer jazz|Close to what you played this evening", "the reasons are listed");
      await page.getByTestId("recommendations").getByText("Model v3").waitFor();
      await page.getByTestId("recommendations").getByLabel("Genre").fill("jazz");
      assert(asked[0] === "null/null", `auto by default (${asked})`);
      await page.getByTestId("recommendations").getByRole("button", { name: "Refresh" }).click();
      await page.getByTestId("recommendation-context").filter({ hasText: "Context evening (target energy 0.35): time of day 20 h." }).waitFor();
      await page.getByTestId("recommendations").getByLabel("For").selectOption("workout");
      for (let i = 0; i < 50 && !asked.includes("jazz/workout"); i++) await page.waitForTimeout(50);
      assert(asked.includes("jazz/null") && asked.includes("jazz/workout"), `the genre and the context are sent (${asked})`);
    },
  },
  {
    name: "listen: preferences reorder by dragging and with the keyboard, and the order persists; a variable opted in charts its readings",
    async fn({ page, api }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.goto("/listen");
      const prefs = page.getByTestId("preferences");
      await prefs.locator(".empty").waitFor();
      const add = async (type, fill) => {
        await prefs.getByLabel("Type").selectOption(type);
        await fill();
        await prefs.getByRole("button", { name: "Add preference" }).click();
      };
      await add("genre", () => prefs.getByLabel("Genre").fill("jazz"));
      await prefs.getByTestId("preference").nth(0).waitFor();
      await add("artist", () => prefs.getByLabel("Artist").fill("Artist 3"));
      await prefs.getByTestId("preference").nth(1).waitFor();
      await add("tempo", async () => {
        await prefs.getByLabel("From BPM").fill("90");
        await prefs.getByLabel("To BPM").fill("120");
      });
      await prefs.getByTestId("preference").nth(2).waitFor();
      const order = () => prefs.getByTestId("preference-value").allTextContents();
      assert((await order()).join("|") === "jazz|Artist 3|90–120 BPM", `added in order (${await order()})`);
      // Drag the tempo range to the top.
      const patched = () => page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().includes("/preferences/"));
      let saved = patched();
      await prefs.getByTestId("preference").nth(2).dragTo(prefs.getByTestId("preference").nth(0));
      assert((await saved).status() === 200, "the move is saved");
      assert((await order()).join("|") === "90–120 BPM|jazz|Artist 3", `dragged (${await order()})`);
      // The keyboard: jazz down, the focus stays with it.
      saved = patched();
      await prefs.getByRole("button", { name: "Move jazz down" }).focus();
      await page.keyboard.press("Enter");
      assert((await saved).status() === 200, "the keyboard move is saved");
      assert((await order()).join("|") === "90–120 BPM|Artist 3|jazz", `moved down (${await order()})`);
      const focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
      assert(focused === "Move jazz up", `focus follows the row (${focused})`);
      await prefs.evaluate((el) => el.scrollIntoView({ block: "start" }));
      await shot(page, "listen-preferences");
      await page.reload();
      await prefs.getByTestId("preference").nth(2).waitFor();
      assert((await order()).join("|") === "90–120 BPM|Artist 3|jazz", `the order persists (${await order()})`);
      const s = await page.evaluate(() => JSON.parse(localStorage.getItem("cadenza.session")));
      const server = (await api("GET", `/api/profiles/${s.profileId}/preferences`, undefined, s.token)).body.preferences;
      assert(server.map((p) => `${p.rank}:${typeof p.value === "string" ? p.value : p.value.minBpm}`).join(",") === "0:90,1:Artist 3,2:jazz", `ranks on the server (${JSON.stringify(server)})`);
      // Variables: off until switched on; readings typed in are charted.
      const vars = page.getByTestId("variables");
      const hr = vars.getByRole("switch", { name: /^Heart rate \(/ });
      assert(!(await hr.isChecked()), "off by default");
      await hr.check({ force: true });
      const row = vars.locator('[data-testid="variable"][data-name="heart_rate"][data-on="true"]');
      await row.getByLabel(/New reading/).waitFor();
      for (const v of ["72", "75"]) {
        await row.getByLabel(/New reading/).fill(v);
        await row.getByRole("button", { name: "Record" }).click();
        await row.locator('[data-testid="chart"] circle').nth(v === "72" ? 0 : 1).waitFor();
      }
      assert((await row.locator('[data-testid="chart"] circle').count()) === 2, "two readings charted");
      await page.reload();
      await vars.locator('[data-name="heart_rate"][data-on="true"] [data-testid="chart"] circle').nth(1).waitFor();
      // Off: the readings go.
      await vars.getByRole("switch", { name: /^Heart rate \(/ }).uncheck({ force: true });
      await vars.locator('[data-name="heart_rate"][data-on="false"]').waitFor();
      const list = (await api("GET", `/api/profiles/${s.profileId}/variables`, undefined, s.token)).body.variables;
      const v = list.find((x) => x.name === "heart_rate");
      assert(v && !v.optedIn && v.readingCount === 0, `opted out, readings deleted (${JSON.stringify(v)})`);
    },
  },
  {
    name: "create: a prompt plays while it is generated and its piano roll grows; vary bars 2–3 into a child version; replay; PDF and the other downloads; the score's key and meter; continue; rename and delete the project",
    timeoutMs: 150_000,
    async fn({ page, api, errors }) {
      const u = await signUpViaApi(api);
      await logInViaUi(page, u);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Create" }).click();
      await page.getByRole("heading", { name: "Create", level: 1 }).waitFor();
      await page.getByRole("button", { name: "slow waltz in G major" }).click();
      assert((await page.getByLabel("Describe the music").inputValue()) === "slow waltz in G major", "an example fills the prompt");
      // Long enough that it is still being made while the first notes and sound arrive.
      await page.getByLabel("Describe the music").fill("slow waltz in G major, 96 bars");
      // Recorded in the page: every change of the roll's drawn note count, with the version's state as the
      // page shows it then, and where the roll's notes came from (the chunks, or the MIDI file at the end).
      await page.evaluate(() => {
        window.__roll = [];
        const note = () => {
          const roll = document.querySelector('[data-testid="now-playing"] [data-testid="piano-roll"]');
          if (!roll) return;
          const n = Number(roll.getAttribute("data-notes"));
          const last = window.__roll[window.__roll.length - 1];
          const status = document.querySelector('[data-testid="now-playing"]').getAttribute("data-status");
          const source = roll.closest('[data-testid="roll"]').getAttribute("data-source");
          const span = roll.getAttribute("data-span");
          if (!last || last.n !== n || last.status !== status || last.source !== source || last.span !== span) window.__roll.push({ t: performance.now(), n, status, source, span });
        };
        new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-notes", "data-status", "data-source", "data-span"] });
        document.addEventListener("click", () => (window.__clickAt = performance.now()), { capture: true, once: true });
      });
      await page.getByRole("button", { name: "Generate", exact: true }).click();
      // Playback starts while the version is still being made (the server says so at that moment).
      const now = page.getByTestId("now-playing");
      await now.waitFor();
      const started = await page.waitForFunction(() => {
        const t = Number(document.querySelector('[data-testid="now-playing"] [data-testid="audio-player"]')?.getAttribute("data-time"));
        return t > 0 ? { ms: performance.now() - window.__clickAt, id: document.querySelector('[data-testid="now-playing"]').getAttribute("data-id") } : 0;
      }, null, { timeout: 15_000, polling: "raf" });
      const { ms: startMs0, id: firstId } = await started.jsonValue();
      const startMs = Math.round(startMs0);
      // The player's clock moves on, and the server still says "running" after it has.
      const atStart = await page.evaluate(async (id) => {
        const token = JSON.parse(localStorage.getItem("cadenza.session")).token;
        const time = () => Number(document.querySelector('[data-testid="now-playing"] [data-testid="audio-player"]').getAttribute("data-time"));
        const t0 = time();
        const until = performance.now() + 3000;
        while (time() < t0 + 0.1 && performance.now() < until) await new Promise((r) => requestAnimationFrame(r));
        const t1 = time();
        const v = await (await fetch(`/api/versions/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
        return { status: v.status, chunkCount: v.chunkCount, t0, t1 };
      }, firstId);
      console.log(`  # create: the audio was playing ${startMs} ms after the click on Generate; its clock went ${atStart.t0.toFixed(2)} → ${atStart.t1.toFixed(2)} s, then the server said ${atStart.status} (${atStart.chunkCount} chunks stored)`);
      assert(startMs < 5000, `playback starts soon after Generate (${startMs} ms)`);
      assert(atStart.t1 >= atStart.t0 + 0.1, `the player's time advances (${atStart.t0} → ${atStart.t1})`);
      assert(atStart.status === "running" || atStart.status === "queued", `it played while the version was still being made (${atStart.status})`);
      // The controls the prompt set are chips (key and meter from "G major" and "waltz").
      const keyChip = page.locator('[data-testid="controls"] .chip[data-control="key"]');
      assert(await keyChip.evaluate((el) => el.classList.contains("from-prompt")), "the key chip came from the prompt");
      assert((await page.getByLabel("Key", { exact: true }).inputValue()) === "G", "key G understood");
      assert((await page.getByLabel("Meter", { exact: true }).inputValue()) === "3/4", "waltz: 3/4");
      // Listed in a new project; it ends and its notes stay on the roll (now from its MIDI file).
      const version = page.getByTestId("version");
      await version.first().waitFor();
      assert((await version.count()) === 1, "one version listed");
      await page.locator('[data-testid="version"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="roll"]')?.getAttribute("data-source") === "midi", null, { timeout: 10_000 });
      const roll = await page.evaluate(() => window.__roll);
      const running = roll.filter((r) => (r.status === "running" || r.status === "queued") && r.source === "chunks" && r.n > 0);
      const grew = new Set(running.map((r) => r.n)).size;
      const live = [...roll].reverse().find((r) => r.source === "chunks") ?? { n: 0, span: "" };
      const fromMidi = [...roll].reverse().find((r) => r.source === "midi") ?? { n: 0, span: "" };
      const counts = [...new Set(running.map((r) => r.n))];
      const steps = counts.length > 8 ? [...counts.slice(0, 4), "…", ...counts.slice(-3)] : counts;
      console.log(`  # create: the roll drew ${steps.join(" → ")} notes while the version was made (${counts.length} steps over ${running.length ? Math.round(running[running.length - 1].t - running[0].t) : 0} ms); ${live.n} notes from the chunks (${live.span} s), ${fromMidi.n} from the MIDI file (${fromMidi.span} s)`);
      assert(counts.length >= 2, `the roll's note count grows while the version is made (${JSON.stringify(running.slice(0, 12))})`);
      assert(fromMidi.n > 5, `the notes fill the roll (${fromMidi.n})`);
      assert(live.n === fromMidi.n, `the chunks' notes are the MIDI file's (${live.n} live, ${fromMidi.n} in the MIDI file)`);
      const [a0, a1] = live.span.split("-").map(Number);
      const [b0, b1] = fromMidi.span.split("-").map(Number);
      assert(Math.abs(a0 - b0) <= 0.05 && Math.abs(a1 - b1) <= 0.05, `the chunks' notes and the MIDI file's are on one clock (${live.span} vs ${fromMidi.span})`);
      // A playhead on the roll follows the audio.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="piano-roll"]')?.getAttribute("data-playhead")) > 0.2, null, { timeout: 15_000 });
      const bars = Number(await now.getAttribute("data-bars"));
      assert(bars >= 4, `the version has its bar count (${bars})`);
      // Downloads: each format's link gives a file of its type.
      const heads = await page.evaluate(async () => {
        const out = {};
        for (const a of document.querySelectorAll('[data-testid="now-playing"] a[data-format]')) {
          const r = await fetch(a.href);
          const bytes = new Uint8Array(await r.arrayBuffer());
          out[a.dataset.format] = [r.status, r.headers.get("content-type"), new TextDecoder().decode(bytes.slice(0, 300))];
        }
        return out;
      });
      assert(heads.ogg?.[0] === 200 && heads.ogg[2].startsWith("OggS"), `Ogg download (${heads.ogg?.slice(0, 2)})`);
      assert(heads.wav?.[0] === 200 && heads.wav[2].startsWith("RIFF"), `WAV download (${heads.wav?.slice(0, 2)})`);
      assert(heads.mid?.[0] === 200 && heads.mid[2].startsWith("MThd"), `MIDI download (${heads.mid?.slice(0, 2)})`);
      assert(heads.musicxml?.[0] === 200 && heads.musicxml[2].includes("score-partwise"), `MusicXML download (${heads.musicxml?.slice(0, 2)})`);
      const [download] = await Promise.all([page.waitForEvent("download"), page.locator('[data-testid="now-playing"] a[data-format="mid"]').click()]);
      assert((await download.failure()) === null, "the MIDI link downloads");
      assert((await page.locator('[data-testid="now-playing"] [data-testid="audio-player"]').getAttribute("data-live")) === "true" || (await page.locator('[data-testid="now-playing"] audio').count()) === 1, "a player is shown");
      // The score, engraved in the key and meter the piece was made in (G major: one sharp; 3/4).
      await page.getByRole("button", { name: "Show the score" }).click();
      const score = page.locator('[data-testid="score"][data-status="ready"]');
      await score.waitFor({ timeout: 60_000 });
      const madeIn = await page.getByTestId("score-made-in").textContent();
      assert(madeIn.includes("G major") && madeIn.includes("3/4"), `the score says what it was made in (${madeIn})`);
      assert((await score.getAttribute("data-meter")) === "3/4", `the score is in 3/4 (${await score.getAttribute("data-meter")})`);
      assert((await score.getAttribute("data-key-sig")) === "1s", `the score has G major's one sharp (${await score.getAttribute("data-key-sig")})`);
      await page.getByRole("button", { name: "Hide the score" }).click();
      // PDF: prepared by the server (202 + Retry-After while it renders), then saved; without a PDF engine
      // on the server, a clear message instead.
      const parentId = await version.first().getAttribute("data-id");
      const pdfProbe = await page.evaluate(async (id) => {
        const token = JSON.parse(localStorage.getItem("cadenza.session")).token;
        const r = await fetch(`/api/versions/${id}/download?format=pdf`, { headers: { Authorization: `Bearer ${token}` } });
        await r.arrayBuffer();
        return r.status;
      }, parentId);
      const pdfButton = now.getByRole("button", { name: "PDF", exact: true });
      if (pdfProbe === 503) {
        await pdfButton.click();
        const msg = await page.getByTestId("pdf-error").textContent();
        console.log(`  # create: the server has no PDF engine: "${msg}"`);
        assert(/no PDF engine/.test(msg), `a clear message without a PDF engine (${msg})`);
        // The browser logs each 503 answer (the probe's and the button's).
        for (let i = errors.length - 1; i >= 0; i--) if (/status of 503/.test(errors[i])) errors.splice(i, 1);
      } else {
        const t0 = Date.now();
        const [pdf] = await Promise.all([page.waitForEvent("download", { timeout: 90_000 }), pdfButton.click()]);
        const bytes = readFileSync(await pdf.path());
        console.log(`  # create: the PDF came in ${Date.now() - t0} ms (${bytes.length} bytes, ${pdf.suggestedFilename()}; the first ask answered ${pdfProbe})`);
        assert(bytes.subarray(0, 4).toString("latin1") === "%PDF", `a PDF (${bytes.subarray(0, 8).toString("latin1")})`);
        await page.getByTestId("pdf-status").filter({ hasText: /^Saved / }).waitFor();
      }
      // Vary bars: checked against the version's bars first, then bars 2–3 are sampled again.
      const modify = page.getByTestId("modify");
      await modify.getByLabel("to bar").fill(String(bars + 1));
      await modify.getByRole("button", { name: /^Vary bars / }).click();
      await page.locator('.field[data-field="toBar"] .field-error').filter({ hasText: `1 to ${bars}` }).waitFor();
      assert((await modify.getByLabel("to bar").getAttribute("aria-invalid")) === "true", "the bad bar is marked");
      await modify.getByLabel("Vary from bar").fill("2");
      await modify.getByLabel("to bar").fill("3");
      // The live socket drops as the child starts: its notes still all come (the long poll, or the replay
      // after the reconnect).
      await page.evaluate(() => (window.__roll = []));
      await modify.getByRole("button", { name: "Vary bars 2–3" }).click();
      await page.evaluate(() => dispatchEvent(new Event("cadenza:drop-live")));
      const child = page.locator(`[data-testid="version"][data-id="${parentId}"] [data-testid="version"][data-parent="${parentId}"][data-mode="vary"]`);
      await child.waitFor({ timeout: 15_000 });
      assert((await child.getAttribute("data-depth")) === "1", "the child is nested under its parent");
      await child.getByTestId("version-detail").filter({ hasText: "bars 2–3 varied" }).waitFor();
      const childId = await child.getAttribute("data-id");
      await page.waitForFunction((id) => {
        const n = document.querySelector('[data-testid="now-playing"]');
        return n?.getAttribute("data-id") === id && Number(n.querySelector('[data-testid="audio-player"]')?.getAttribute("data-time")) > 0.2;
      }, childId, { timeout: 15_000 });
      await page.locator(`[data-testid="version"][data-id="${childId}"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid="roll"]')?.getAttribute("data-source") === "midi", null, { timeout: 10_000 });
      const childRoll = await page.evaluate(() => window.__roll);
      const childLive = [...childRoll].reverse().find((r) => r.source === "chunks") ?? { n: 0 };
      const childMidi = [...childRoll].reverse().find((r) => r.source === "midi") ?? { n: 0 };
      console.log(`  # create: the varied version, its socket dropped as it started: ${childLive.n} notes from the chunks (${childLive.span} s), ${childMidi.n} from the MIDI file (${childMidi.span} s)`);
      assert(childLive.n === childMidi.n && childMidi.n > 5, `every chunk's notes came although the socket dropped (${childLive.n} of ${childMidi.n})`);
      await page.locator('[data-testid="live"][data-status="open"]').waitFor();
      // The README's picture: the varied version playing under its parent, its varied bars marked on the roll.
      if (config.screenshots) await page.screenshot({ path: join(config.screenshots, "create.png"), fullPage: true });
      // Its PDF at once: the server is still rendering it (202, Retry-After) and the page says so, then saves it.
      await page.evaluate(() => {
        window.__pdf = [];
        new MutationObserver(() => {
          const t = document.querySelector('[data-testid="pdf-status"]')?.textContent;
          if (t && window.__pdf[window.__pdf.length - 1] !== t) window.__pdf.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      if (pdfProbe !== 503) {
        const [pdf2] = await Promise.all([page.waitForEvent("download", { timeout: 90_000 }), pdfButton.click()]);
        const bytes2 = readFileSync(await pdf2.path());
        assert(bytes2.subarray(0, 4).toString("latin1") === "%PDF", "the varied version's PDF");
        const said = await page.evaluate(() => window.__pdf);
        console.log(`  # create: the varied version's PDF, asked for as it ended: ${said.join(" → ")}`);
      }
      const served = (await api("GET", `/api/versions/${childId}`, undefined, JSON.parse(await page.evaluate(() => localStorage.getItem("cadenza.session"))).token)).body;
      assert(served.varied?.fromBar === 2 && served.varied?.toBar === 3, `the server varied bars 2–3 (${JSON.stringify(served.varied)})`);
      assert(served.barCount === bars, `the varied version keeps the bar count (${served.barCount} of ${bars})`);
      // Replay the parent: it plays from its stored file.
      await page.getByRole("button", { name: /^Play slow waltz .*\(new\)$/ }).click();
      await page.waitForFunction((id) => {
        const n = document.querySelector('[data-testid="now-playing"]');
        const a = n?.querySelector("audio");
        return n?.getAttribute("data-id") === id && a && a.src.includes("format=ogg") && a.currentTime > 0.2;
      }, parentId, { timeout: 15_000 });
      // 360 px wide, dark: no sideways scrolling, every control named.
      await page.setViewportSize({ width: 360, height: 740 });
      await page.getByTestId("theme").click();
      await page.waitForTimeout(300);
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(w <= 360, `/create fits 360 px (scrollWidth ${w})`);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll("main input, main button, main select, main textarea, main a[href]")]
          .filter((el) => !(el.getAttribute("aria-label") || (el.labels && el.labels.length) || (el.tagName !== "INPUT" && (el.textContent || "").trim())))
          .map((el) => el.outerHTML.slice(0, 80)));
      assert(unnamed.length === 0, `/create: controls without a name: ${unnamed.join(" | ")}`);
      await shot(page, "create-narrow-dark");
      await page.getByTestId("theme").click();
      await page.setViewportSize({ width: 1100, height: 800 });
      // Continue makes another child of the first version.
      await modify.getByLabel("Bars to add").fill("4");
      await modify.getByRole("button", { name: "Continue by 4 bars" }).click();
      await page.locator(`[data-testid="version"][data-parent="${parentId}"][data-mode="continue"]`).waitFor({ timeout: 15_000 });
      assert((await version.count()) === 3, "three versions in the tree");
      await page.locator(`[data-testid="version"][data-parent="${parentId}"][data-mode="continue"][data-status="succeeded"]`).waitFor({ timeout: 30_000 });
      // Edited chips: a new version with those controls; played to its end, the stored file takes over.
      await page.getByLabel("Bars", { exact: true }).fill("2");
      await page.getByLabel("Tempo (bpm)").fill("200");
      await page.getByRole("button", { name: "Generate with these controls" }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="version"]').length === 4, null, { timeout: 15_000 });
      const summary = await now.locator("p.muted").first().textContent();
      assert(summary.includes("200 bpm") && summary.includes("2 bars"), `the edited controls were used (${summary})`);
      await page.locator('[data-testid="now-playing"] audio').waitFor({ state: "attached", timeout: 20_000 });
      assert((await page.locator('[data-testid="now-playing"] [data-testid="audio-player"]').getAttribute("data-live")) === null, "the stored Ogg took over");
      // Rename, then delete the project.
      await page.getByRole("button", { name: "Rename" }).click();
      await page.getByLabel("Project name").fill("Waltzes");
      await page.getByLabel("Project name").press("Enter");
      await page.waitForFunction(() => document.querySelector('[data-testid="project-name"]')?.textContent === "Waltzes");
      assert((await page.getByTestId("project-item").first().textContent()).trim() === "Waltzes", "the list shows the new name");
      const projectId = await page.getByTestId("project").getAttribute("data-id");
      page.once("dialog", (d) => d.accept());
      await page.getByRole("button", { name: "Delete", exact: true }).click();
      await page.getByTestId("project").waitFor({ state: "detached" });
      assert((await page.getByTestId("project-item").count()) === 0, "no projects left");
      const gone = await page.evaluate(async (id) => (await fetch(`/api/projects/${id}`, { headers: { Authorization: `Bearer ${JSON.parse(localStorage.getItem("cadenza.session")).token}` } })).status, projectId);
      assert(gone === 404, `the project is gone (${gone})`);
      const gone404 = errors.findIndex((e) => /status of 404/.test(e));
      if (gone404 >= 0) errors.splice(gone404, 1);
      assert(errors.length === 0, `no console errors (${errors.join(" | ")})`);
    },
  },
];

// A mono 16-bit WAV of a 440 Hz tone.
function toneWav(seconds, rate = 22050) {
  const n = seconds * rate;
  const b = Buffer.alloc(44 + n * 2);
  b.write("RIFF", 0); b.writeUInt32LE(36 + n * 2, 4); b.write("WAVE", 8); b.write("fmt ", 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write("data", 36); b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return b;
}

// The Listen cases' catalogue, imported with the CLI before the server starts: 40 tracks without audio
// along a calm-to-energetic line in four genres, and "Tone" (3 s of audio) far from all of them but its
// "Glow" neighbours (the catalogue says 200 s: the player goes by the audio's own length).
function catalogue(dataDir) {
  const dir = join(dataDir, "catalogue");
  mkdirSync(dir, { recursive: true });
  const genres = ["pop", "rock", "jazz", "electronic"];
  const rows = ["artist,song,duration_ms,year,genre,danceability,energy,speechiness,acousticness,valence,loudness,tempo"];
  for (let i = 0; i < 40; i++) {
    const e = i / 39;
    const f = (x) => x.toFixed(3);
    rows.push([`Artist ${i % 8}`, `Song ${i}`, 150000 + i * 1000, 2010, genres[i % 4], f(0.3 + 0.5 * e), f(0.1 + 0.85 * e), "0.05", f(0.9 - 0.8 * e), f(0.3 + 0.6 * e), (-20 + 15 * e).toFixed(1), (70 + 80 * e).toFixed(1)].join(","));
  }
  rows.push(["Tone Artist", "Tone", 200000, 2020, "electronic", "0.1", "0.98", "0.05", "0.01", "0.05", "-25", "210"].join(","));
  // Its neighbours (no audio), so that a plan through it can go on within the step bound.
  for (let i = 1; i <= 6; i++) rows.push(["Glow", `Glow ${i}`, 200000, 2020, "electronic", "0.2", (0.9 - 0.02 * i).toFixed(2), "0.05", "0.1", (0.15 + 0.02 * i).toFixed(2), "-24", 190 - i].join(","));
  writeFileSync(join(dir, "tracks.csv"), rows.join("\n") + "\n");
  writeFileSync(join(dir, "Tone Artist - Tone.wav"), toneWav(3));
  cli(dataDir, ["import", "tracks", join(dir, "tracks.csv")]);
}

const ok = await run(cases, { prepare: catalogue });
process.exit(ok ? 0 : 1);
