import "./style.css";
import { api, ApiError, isActive, loadSession, saveSession, type Health, type Job, type Session, type Version } from "./api";
import { clear, h } from "./dom";
import { LiveSocket, type LiveStatus, type ServerMessage } from "./live";

// ---- state ---------------------------------------------------------------------------------

interface State {
  session: Session | null;
  accountId: string | null;
  health: Health | null;
  healthError: string | null;
  version: Version | null;
  jobs: Map<string, Job>;
  total: number;
  live: LiveStatus;
  liveDetail: string;
  notice: { kind: "error" | "info"; text: string } | null;
}

const state: State = {
  session: loadSession(),
  accountId: null,
  health: null,
  healthError: null,
  version: null,
  jobs: new Map(),
  total: 0,
  live: "closed",
  liveDetail: "",
  notice: null,
};

let socket: LiveSocket | null = null;
// The last event seq seen per job: events at or below it are old news, and a reconnect resumes after it.
const lastSeq = new Map<string, number>();

function subscribe(jobId: string): void {
  const from = lastSeq.get(jobId);
  socket?.send(from === undefined ? { type: "subscribe", jobId } : { type: "subscribe", jobId, fromSeq: from });
}
const root = document.querySelector<HTMLDivElement>("#app")!;

// ---- routing (client routes; the server answers index.html for them) ----------------------

type Route = "/" | "/login" | "/signup";

function route(): Route {
  const p = location.pathname.replace(/\/+$/, "") || "/";
  if (p === "/login" || p === "/signup") return p;
  return "/";
}

function navigate(to: Route, replace = false): void {
  if (location.pathname !== to) {
    if (replace) history.replaceState(null, "", to);
    else history.pushState(null, "", to);
  }
  render();
}

window.addEventListener("popstate", () => render());

// ---- helpers -------------------------------------------------------------------------------

function notify(kind: "error" | "info", text: string): void {
  state.notice = { kind, text };
  renderNotice();
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

function formatUptime(s: number | undefined): string {
  if (s === undefined) return "–";
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s)} s`;
}

function formatTime(iso: string | null): string {
  if (!iso) return "–";
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleTimeString();
}

function sortedJobs(): Job[] {
  return [...state.jobs.values()].sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
}

function signOut(message?: string): void {
  socket?.stop();
  socket = null;
  saveSession(null);
  state.session = null;
  state.accountId = null;
  state.jobs.clear();
  state.total = 0;
  if (message) notify("info", message);
  navigate("/login");
}

function handleAuthError(e: unknown): boolean {
  if (e instanceof ApiError && e.status === 401) {
    signOut("Your session has ended. Please log in again.");
    return true;
  }
  return false;
}

// ---- data ----------------------------------------------------------------------------------

async function refreshHealth(): Promise<void> {
  try {
    state.health = await api.health();
    state.healthError = null;
  } catch (e) {
    state.health = null;
    state.healthError = errorText(e);
  }
  if (!state.version) {
    try {
      state.version = await api.version();
    } catch {
      /* shown as unknown */
    }
  }
  renderHealth();
}

async function refreshJobs(): Promise<void> {
  const s = state.session;
  if (!s) return;
  try {
    const { jobs, total } = await api.jobs(s.token);
    state.jobs = new Map(jobs.map((j) => [j.id, j]));
    state.total = total;
    renderJobs();
    for (const j of jobs) if (isActive(j)) subscribe(j.id);
  } catch (e) {
    if (!handleAuthError(e)) notify("error", errorText(e));
  }
}

function upsertJob(job: Job): void {
  const old = state.jobs.get(job.id);
  // Progress frames may overtake the final state frame: never go back from a final state.
  if (old && !isActive(old) && isActive(job)) return;
  if (!old) state.total += 1;
  state.jobs.set(job.id, job);
  renderJobs();
}

function onLive(msg: ServerMessage): void {
  switch (msg.type) {
    case "hello":
      state.accountId = msg.accountId;
      renderHeader();
      break;
    case "job.state":
    case "job.progress":
      if (!msg.job || !msg.job.id) break;
      if (msg.seq !== undefined) {
        if (msg.seq <= (lastSeq.get(msg.job.id) ?? 0)) break;
        lastSeq.set(msg.job.id, msg.seq);
      }
      upsertJob(msg.job);
      break;
    case "error":
      notify("error", msg.message);
      break;
    case "subscribed":
    case "replayed":
    case "pong":
      break;
  }
}

function startLive(): void {
  if (!state.session || socket) return;
  socket = new LiveSocket(state.session.token, {
    onStatus: (status, detail) => {
      state.live = status;
      state.liveDetail = detail;
      renderLive();
    },
    onMessage: onLive,
    // (Re)connected: catch up on anything missed while the socket was down.
    onOpen: () => void refreshJobs(),
  });
  socket.start();
}

// ---- views ---------------------------------------------------------------------------------

const header = h("header.topbar");
const notice = h("div.notice-slot");
const main = h("main.content");
const healthCard = h("section.card.health");
const jobsCard = h("section.card.jobs");
const liveBadge = h("span.live");

function renderHeader(): void {
  clear(header);
  const right = h("div.who");
  if (state.session) {
    right.append(
      liveBadge,
      h("button.ghost", { type: "button", onclick: () => signOut("You are logged out.") }, "Log out"),
    );
  }
  header.append(
    h("a.brand", { href: "/", onclick: (e: Event) => { e.preventDefault(); navigate("/"); } },
      h("span.logo", {}, "♪"), "Cadenza"),
    right,
  );
  renderLive();
}

function renderNotice(): void {
  clear(notice);
  const n = state.notice;
  if (!n) return;
  notice.append(
    h(`div.notice`, { class: n.kind, role: n.kind === "error" ? "alert" : "status" },
      h("span", {}, n.text),
      h("button.close", { type: "button", "aria-label": "Dismiss", onclick: () => { state.notice = null; renderNotice(); } }, "×")),
  );
}

function renderLive(): void {
  liveBadge.className = `live ${state.live}`;
  const label = state.live === "open" ? "live" : state.live === "connecting" ? "connecting…" : "offline";
  liveBadge.textContent = state.liveDetail ? `${label} · ${state.liveDetail}` : label;
  liveBadge.title = "Live updates (WebSocket)";
}

function stat(label: string, value: string): HTMLElement {
  return h("div.stat", {}, h("div.stat-value", {}, value), h("div.stat-label", {}, label));
}

function renderHealth(): void {
  clear(healthCard);
  const hl = state.health;
  const status = state.healthError ? "unreachable" : hl ? hl.status : "…";
  const cls = status === "ok" ? "ok" : status === "starting" ? "warn" : "bad";
  healthCard.append(h("div.card-head", {}, h("h2", {}, "Server"), h("span.pill", { class: cls }, status)),
    h("div", {},
    h("div.stats", {},
      stat("version", state.version ? state.version.version : hl?.version ?? "–"),
      stat("uptime", formatUptime(hl?.uptimeSeconds)),
      stat("queue", hl?.queueDepth !== undefined ? String(hl.queueDepth) : "–"),
      stat("workers", hl?.workers !== undefined ? String(hl.workers) : "–")),
    state.version?.commit ? h("div.muted.small", {}, `commit ${state.version.commit}`) : null,
    state.healthError ? h("div.muted.small", {}, state.healthError) : null));
}

function jobRow(job: Job): HTMLElement {
  const pct = Math.round(Math.max(0, Math.min(1, job.progress ?? 0)) * 100);
  const bar = h("div.bar", { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
    h("div.fill", { class: job.state, style: `width:${pct}%` }));
  const cancel = isActive(job)
    ? h("button.small", {
        type: "button",
        onclick: async (e: Event) => {
          const b = e.currentTarget as HTMLButtonElement;
          b.disabled = true;
          try {
            upsertJob(await api.cancel(state.session!.token, job.id));
          } catch (err) {
            b.disabled = false;
            if (!handleAuthError(err)) notify("error", errorText(err));
          }
        },
      }, "Cancel")
    : null;
  return h("li.job", { "data-id": job.id },
    h("div.job-main", {},
      h("div.job-title", {},
        h("span.kind", {}, job.kind),
        h("span.pill", { class: job.state }, job.state),
        h("code.id", { title: job.id }, job.id.slice(0, 8))),
      h("div.job-meta.muted.small", {},
        [
          job.stage ? job.stage : null,
          `${pct}%`,
          job.attempts > 1 ? `attempt ${job.attempts}` : null,
          `created ${formatTime(job.createdAt)}`,
          job.finishedAt ? `finished ${formatTime(job.finishedAt)}` : null,
        ].filter(Boolean).join(" · ")),
      bar,
      job.error ? h("div.job-error", {}, job.error.message) : null),
    h("div.job-actions", {}, cancel));
}

function renderJobs(): void {
  clear(jobsCard);
  const run = h("button.primary", {
    type: "button",
    onclick: async (e: Event) => {
      const b = e.currentTarget as HTMLButtonElement;
      b.disabled = true;
      try {
        const job = await api.runDemo(state.session!.token);
        upsertJob(job);
        subscribe(job.id);
      } catch (err) {
        if (!handleAuthError(err)) notify("error", errorText(err));
      } finally {
        b.disabled = false;
      }
    },
  }, "Run demo job");
  const jobs = sortedJobs();
  jobsCard.append(
    h("div.card-head", {},
      h("h2", {}, "Your jobs", h("span.count", {}, state.total ? ` ${state.total}` : "")),
      run),
    jobs.length
      ? h("ul.job-list", {}, ...jobs.map(jobRow))
      : h("p.empty.muted", {}, "No jobs yet. Run a demo job to watch it progress live."),
  );
}

function field(name: string, label: string, type = "text", extra: Record<string, string | boolean> = {}): HTMLElement {
  return h("label.field", { "data-field": name },
    h("span.label", {}, label),
    h("input", { name, type, ...extra }),
    h("span.field-error", { "aria-live": "polite" }));
}

function showFieldErrors(form: HTMLFormElement, errors: Record<string, string>): void {
  for (const el of form.querySelectorAll<HTMLElement>(".field")) {
    const why = errors[el.dataset.field ?? ""];
    el.classList.toggle("invalid", Boolean(why));
    el.querySelector(".field-error")!.textContent = why ?? "";
  }
}

function formError(form: HTMLFormElement, text: string): void {
  form.querySelector(".form-error")!.textContent = text;
}

function authTabs(active: Route): HTMLElement {
  const tab = (to: Route, text: string) =>
    h("a.tab", { href: to, class: active === to ? "active" : "", onclick: (e: Event) => { e.preventDefault(); navigate(to); } }, text);
  return h("nav.tabs", {}, tab("/login", "Log in"), tab("/signup", "Sign up"));
}

function loginView(): HTMLElement {
  const form = h("form.auth-form", { novalidate: true },
    field("login", "Email or username", "text", { autocomplete: "username", required: true, autofocus: true }),
    field("password", "Password", "password", { autocomplete: "current-password", required: true }),
    h("div.form-error", { role: "alert" }),
    h("button.primary.wide", { type: "submit" }, "Log in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const login = String(data.get("login") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const missing: Record<string, string> = {};
    if (!login) missing.login = "required";
    if (!password) missing.password = "required";
    showFieldErrors(form, missing);
    formError(form, "");
    if (Object.keys(missing).length) return;
    const btn = form.querySelector("button")!;
    btn.disabled = true;
    try {
      const s = await api.logIn(login, password);
      saveSession(s);
      state.session = s;
      state.notice = null;
      renderNotice();
      navigate("/");
    } catch (err) {
      if (err instanceof ApiError) showFieldErrors(form, err.errors);
      formError(form, errorText(err));
    } finally {
      btn.disabled = false;
    }
  });
  return h("section.card.auth", {}, authTabs("/login"), form);
}

function signUpView(): HTMLElement {
  const form = h("form.auth-form", { novalidate: true },
    field("username", "Username", "text", { autocomplete: "username", required: true, autofocus: true }),
    h("div.row", {},
      field("firstName", "First name", "text", { autocomplete: "given-name" }),
      field("lastName", "Last name", "text", { autocomplete: "family-name" })),
    field("email", "Email", "email", { autocomplete: "email", required: true }),
    field("phoneNumber", "Phone number", "tel", { autocomplete: "tel" }),
    field("password", "Password", "password", { autocomplete: "new-password", required: true }),
    h("div.form-error", { role: "alert" }),
    h("button.primary.wide", { type: "submit" }, "Create account"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? "").trim();
    const body = {
      username: get("username"),
      firstName: get("firstName"),
      lastName: get("lastName"),
      email: get("email"),
      phoneNumber: get("phoneNumber"),
      password: String(data.get("password") ?? ""),
    };
    showFieldErrors(form, {});
    formError(form, "");
    const btn = form.querySelector("button")!;
    btn.disabled = true;
    try {
      const r = await api.signUp(body);
      // Log straight in with the new account.
      try {
        const s = await api.logIn(body.username || body.email, body.password);
        saveSession(s);
        state.session = s;
        notify("info", r.message || "Account created.");
        navigate("/");
      } catch {
        notify("info", `${r.message || "Account created."} Please log in.`);
        navigate("/login");
      }
    } catch (err) {
      if (err instanceof ApiError) showFieldErrors(form, err.errors);
      formError(form, errorText(err));
    } finally {
      btn.disabled = false;
    }
  });
  return h("section.card.auth", {}, authTabs("/signup"), form);
}

function render(): void {
  let r = route();
  if (!state.session && r === "/") {
    history.replaceState(null, "", "/login");
    r = "/login";
  }
  if (state.session && r !== "/") {
    history.replaceState(null, "", "/");
    r = "/";
  }
  renderHeader();
  clear(main);
  if (r === "/") {
    main.append(h("div.grid", {}, healthCard, jobsCard));
    renderJobs();
    startLive();
    void refreshJobs();
  } else {
    main.append(h("div.grid.narrow", {}, r === "/signup" ? signUpView() : loginView(), healthCard));
  }
  renderHealth();
}

root.append(header, notice, main, h("footer.muted.small", {}, "Cadenza · self-hosted music AI"));
render();
void refreshHealth();
window.setInterval(() => {
  if (document.visibilityState === "visible") void refreshHealth();
}, 5000);
