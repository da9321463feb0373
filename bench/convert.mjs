#!/usr/bin/env node
// bench/convert: POST /api/convert against the real server (127.0.0.1, a fresh data dir), with the model warm.
//
//   node bench/convert.mjs [--seconds 180] [--arrangements piano]      one song: submit -> every output, per stage,
//                                                                      and MuseScore 3 on the same MusicXML
//   node bench/convert.mjs --burst [--submits 1000] [--clients 50] [--rate N]
//                                                                      short files from many clients: time to the
//                                                                      202 (p50/p99), none lost, all finish. Without
//                                                                      --rate each client submits again as soon as
//                                                                      answered (closed loop: the time is 50 / the
//                                                                      throughput); with --rate, N submits a second
//                                                                      arrive on schedule whatever the answers (open loop).
//                                                                      The client is bench/burst_client (built on demand)
//
// The song is Nottingham tunes (../shared/datasets/nottingham/MIDI) rendered with FluidSynth to the length
// asked. Stage times come from polling GET /api/conversions/{uuid} every 10 ms (the first time each stage is
// seen), and the job's own per-stage seconds (result.timings). "MusicXML written" is transcription plus the
// first arrangement's score (its MusicXML is on disk before the PDF starts; it is announced with the other
// files when the job ends). Needs scripts/setup and a built ./build/cadenza.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const burst = args.includes('--burst');
const seconds = Number(opt('--seconds', burst ? 2 : 180));
const arrangements = opt('--arrangements', 'piano');
const submits = Number(opt('--submits', 1000));
const clients = Number(opt('--clients', 50));
const rate = Number(opt('--rate', 0));
const binary = process.env.CADENZA_BINARY || 'build/cadenza';
const burstClient = process.env.CADENZA_BURST_CLIENT || 'build/bench/burst_client';
const soundfont = '/usr/share/sounds/sf2/FluidR3_GM.sf2';

const work = mkdtempSync(join(tmpdir(), 'cadenza-bench-convert-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// A song of `secs` seconds: Nottingham tunes one after another, rendered with FluidSynth, cut with sox.
function song(secs) {
  const midiDir = '../shared/datasets/nottingham/MIDI';
  const tunes = readdirSync(midiDir).filter((f) => f.endsWith('.mid')).sort();
  const parts = [];
  let total = 0;
  for (const t of tunes) {
    if (total >= secs) break;
    const wav = join(work, `part${parts.length}.wav`);
    execFileSync('fluidsynth', ['-ni', '-q', '-g', '0.6', '-r', '44100', '-F', wav, soundfont, join(midiDir, t)]);
    total += Number(execFileSync('soxi', ['-D', wav]).toString());
    parts.push(wav);
  }
  const out = join(work, `song-${secs}s.wav`);
  execFileSync('sox', [...parts, out, 'trim', '0', String(secs)]);
  return out;
}

async function startServer(sets) {
  const data = join(work, 'data');
  const child = spawn(binary, ['serve', '--port', '0', '--data-dir', data, ...sets.flatMap((s) => ['--set', s])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  // The server's own time for each submit (its access log: from the request's headers to the answer).
  const serverMs = [];
  let rest = '';
  const onLog = (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const l of lines) {
      const m = l.match(/ POST \/api\/convert \d+ ([\d.]+)ms /);
      if (m) serverMs.push(Number(m[1]));
    }
  };
  child.stdout.on('data', onLog);
  child.stderr.on('data', onLog);
  return { child, base: `http://127.0.0.1:${port}`, serverMs };
}

async function signUp(base, name) {
  const body = { username: name, firstName: 'Bench', lastName: 'Mark', email: `${name}@example.com`, phoneNumber: '+15550000000', password: `password-${name}` };
  await fetch(`${base}/api/profiles`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login: name, password: body.password }) });
  return (await r.json()).token;
}

const wavBytes = new Map();  // read once per file: the client's own work stays out of the times
async function submit(base, token, wav, fields = {}) {
  if (!wavBytes.has(wav)) wavBytes.set(wav, new Blob([readFileSync(wav)], { type: 'audio/wav' }));
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', wavBytes.get(wav), 'song.wav');
  const t0 = performance.now();
  const r = await fetch(`${base}/api/convert`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  const ms = performance.now() - t0;
  return { status: r.status, body: await r.json(), ms };
}

async function follow(base, token, uuid) {
  const stages = new Map();
  const t0 = performance.now();
  for (;;) {
    const c = await (await fetch(`${base}/api/conversions/${uuid}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    const stage = c.status === 'running' || c.status === 'queued' ? c.stage || c.status : c.status;
    if (!stages.has(stage)) stages.set(stage, performance.now() - t0);
    if (['succeeded', 'failed', 'cancelled'].includes(c.status)) return { c, stages };
    await sleep(10);
  }
}

async function one() {
  const wav = song(seconds);
  const warm = song(3);
  const { child, base } = await startServer(['convert.max_running_per_account=5', 'ratelimit.read_per_s=0', 'ratelimit.read_burst=0']);
  try {
    const token = await signUp(base, 'bench');
    // Warm: the net loads on the first conversion.
    const w = await submit(base, token, warm, { arrangement_type: arrangements });
    await follow(base, token, w.body.uuid);

    const s = await submit(base, token, wav, { arrangement_type: arrangements });
    if (s.status !== 202) throw new Error(`submit answered ${s.status}: ${JSON.stringify(s.body)}`);
    const { c, stages } = await follow(base, token, s.body.uuid);
    if (c.status !== 'succeeded') throw new Error(`conversion ${c.status}: ${JSON.stringify(c.error)}`);
    console.log(`convert: ${seconds} s song, arrangements ${arrangements}; 202 in ${s.ms.toFixed(1)} ms`);
    console.log('  stage            first seen (s after the 202)');
    for (const [k, v] of stages) console.log(`  ${k.padEnd(16)} ${(v / 1000).toFixed(2)}`);
    const total = stages.get('succeeded') / 1000;
    // The job's own account of its stages (result.timings), the newest convert job being this one.
    const jobs = (await (await fetch(`${base}/api/jobs?limit=1`, { headers: { Authorization: `Bearer ${token}` } })).json()).jobs;
    const t = jobs[0].result.timings;
    const first = t.arrangements[0];
    const xmlReady = (t.transcribeS ?? 0) + (t.fetchS ?? 0) + first.scoreS;
    const lilypond = first.pdfS;
    console.log(`  job timings: transcribe ${t.transcribeS?.toFixed(2)} s; ` +
      t.arrangements.map((a) => `${a.type}: score ${a.scoreS.toFixed(2)} s, pdf ${a.pdfS?.toFixed(2)} s, audio ${a.audioS?.toFixed(2)} s`).join('; '));
    // MuseScore 3 on the same MusicXML, in the same run.
    const xml = join(work, 'score.musicxml');
    writeFileSync(xml, Buffer.from(await (await fetch(base + c.output[0].musicXmlUrl)).arrayBuffer()));
    let musescore = NaN;
    try {
      const t0 = performance.now();
      execFileSync('mscore3', ['-o', join(work, 'score-mscore.pdf'), xml], { env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' }, stdio: 'ignore' });
      musescore = (performance.now() - t0) / 1000;
    } catch {
      console.log('  (mscore3 failed or is not installed)');
    }
    console.log(`  MusicXML written ${xmlReady.toFixed(2)} s (target <= 2 s); every file ${total.toFixed(2)} s (target <= 5 s)`);
    // The server's peak resident memory over the whole run (warm-up included): VmHWM.
    const hwm = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    if (hwm) console.log(`  server peak RSS ${(Number(hwm[1]) / 1024).toFixed(0)} MiB (target < 600 MiB for a 10-minute song)`);
    console.log(`  PDF: the job's (${first.pdfEngine}, beside the audio) ${lilypond.toFixed(2)} s (first arrangement) vs MuseScore 3 alone ${musescore.toFixed(2)} s on the same MusicXML: ratio ${(lilypond / musescore).toFixed(2)}`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function burstRun() {
  const wav = song(seconds);
  const { child, base, serverMs } = await startServer(['convert.render_audio=false', 'ratelimit.write_per_s=0', 'ratelimit.write_burst=0',
    'ratelimit.read_per_s=0', 'ratelimit.read_burst=0', `convert.max_running_per_account=${Math.ceil(submits / clients) + 1}`,
    'jobs.batch_max_queued_per_account=1000000']);
  try {
    const tokens = [];
    for (let i = 0; i < clients; i++) tokens.push(await signUp(base, `client${i}`));
    // The submits go out from bench/burst_client (C++, one thread, a keep-alive connection per client): the
    // same multipart body each time, made here once.
    const boundary = 'cadenzaburst' + Date.now();
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="arrangement_type"\r\n\r\npiano\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="song.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
      readFileSync(wav), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    writeFileSync(join(work, 'tokens.txt'), tokens.join('\n') + '\n');
    writeFileSync(join(work, 'body.bin'), body);
    const port = new URL(base).port;
    const t0 = performance.now();
    const out = await new Promise((resolve, reject) => {
      const c = spawn(burstClient, [port, join(work, 'tokens.txt'), join(work, 'body.bin'),
        `multipart/form-data; boundary=${boundary}`, String(submits), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      c.stdout.on('data', (d) => (text += d));
      c.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`burst_client exited with ${code}`))));
    });
    const latencies = [], statuses = new Map(), accepted = [];
    for (const line of out.split('\n')) {
      const [status, ms, client, uuid] = line.split(' ');
      if (!ms || status === 'done') continue;
      latencies.push(Number(ms));
      statuses.set(Number(status), (statuses.get(Number(status)) || 0) + 1);
      if (status === '202') accepted.push({ token: tokens[Number(client)], uuid });
    }
    const submitSeconds = (performance.now() - t0) / 1000;
    console.log(`convert --burst: ${submits} submits of a ${seconds} s file from ${clients} clients in ${submitSeconds.toFixed(1)} s` +
      (rate > 0 ? ` (open loop, ${rate} a second)` : ' (closed loop)'));
    console.log(`  time to the answer: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms (target p99 < 20 ms)`);
    const sm = serverMs.slice(-latencies.length);
    if (sm.length) console.log(`  of which in the server (its access log): p50 ${pct(sm, 50).toFixed(1)} ms, p99 ${pct(sm, 99).toFixed(1)} ms`);
    console.log(`  answers: ${[...statuses].map(([k, v]) => `${k} x${v}`).join(', ')}`);
    // Every accepted conversion must finish.
    const ends = new Map();
    for (const a of accepted) {
      for (;;) {
        const c = await (await fetch(`${base}/api/conversions/${a.uuid}`, { headers: { Authorization: `Bearer ${a.token}` } })).json();
        if (['succeeded', 'failed', 'cancelled'].includes(c.status)) {
          ends.set(c.status, (ends.get(c.status) || 0) + 1);
          break;
        }
        await sleep(200);
      }
    }
    console.log(`  accepted ${accepted.length}, ended: ${[...ends].map(([k, v]) => `${k} x${v}`).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    child.kill('SIGTERM');
  }
}

try {
  if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/build`);
  if (burst && !existsSync(burstClient)) execFileSync('scripts/build', ['--target', 'burst_client'], { stdio: 'inherit' });
  await (burst ? burstRun() : one());
} finally {
  rmSync(work, { recursive: true, force: true });
}
