#!/usr/bin/env node
// bench/generate_stream: the streaming-generation figures of issue 11 against the real server (127.0.0.1, a fresh
// data dir, a random port), with the model loaded (one warm-up generation first).
//
//   node bench/generate_stream.mjs [--prompts 20] [--concurrent 4] [--adherence 100] [--parallel 2]
//                                  [--skip-adherence] [--keep DIR] [--timeout-s 120]
//
// 1. First playable chunk: from sending POST /api/projects/{id}/versions to the client holding the first
//    chunk's bytes (GET /api/versions/{id}/chunks?after=0&wait=MS long-polls; each chunk's Ogg/Opus bytes come
//    inline, base64url, in that answer; the first must be an Ogg stream's start: "OggS" + "OpusHead"), p50
//    and p99 over `--prompts` different prompts, one at a time. Beside it the server's own split: POST to
//    202, the job's wait in the lane (job createdAt -> startedAt) and its firstChunkMs (job start -> stored).
// 2. Speed: seconds of music (the chunks' durationMs) per second of wall time from the POST to the last chunk
//    received (sampling, FluidSynth, Opus, SQLite and the long-poll included), per prompt: median and min.
//    Also whether playback that starts when the first chunk arrives would ever have to wait for a chunk.
// 3. `--concurrent` streams posted at once: each one's speed (must stay > 1x) and first-chunk latency, on the
//    default configuration (jobs.interactive_workers = 2: the others wait in the lane) and on a server
//    started with jobs.interactive_workers = N.
// 4. Control adherence over `--adherence` prompts in natural text (all 12 tonics major and minor, tempo
//    numbers and words, 3/4 4/4 2/4 6/8 by name or by genre, a dozen instruments): what each prompt asks is
//    written down here with it (not read back from the server); parser adherence compares it with the 202's
//    `controls`; music adherence runs build/bench/generate_adherence (bench/generate_adherence.cpp, built on
//    demand) on each version's `download?format=mid`: the key finder, the beat tracker's tempo and meter on
//    the notes as if unknown, and what the file declares (tempo, time signature, key, program change).
//
// Every wait has a deadline; the server is killed and the temp dir removed at exit. Needs a built
// ./build/cadenza (CADENZA_BINARY to override); CADENZA_ADHERENCE for the analysis tool.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const nPrompts = Number(opt('--prompts', 20));
const nConcurrent = Number(opt('--concurrent', 4));
const nAdherence = args.includes('--skip-adherence') ? 0 : Number(opt('--adherence', 100));
const parallel = Number(opt('--parallel', 2));
const keep = opt('--keep', '');
const streamTimeoutMs = Number(opt('--timeout-s', 120)) * 1000;
const binary = process.env.CADENZA_BINARY || 'build/cadenza';
const adherenceTool = process.env.CADENZA_ADHERENCE || 'build/bench/generate_adherence';
const BENCH_VARS = ['CADENZA_BINARY', 'CADENZA_ADHERENCE', 'CADENZA_BUILD_WEB', 'CADENZA_BURST_CLIENT'];

const work = mkdtempSync(join(tmpdir(), 'cadenza-bench-generate-'));
const servers = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function killAll() {
  for (const c of servers) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
  servers.clear();
}
process.on('exit', () => {
  killAll();
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ---- the server ----------------------------------------------------------------------------------------
async function startServer(name, sets) {
  const data = join(work, `data-${name}`);
  const child = spawn(binary, ['serve', '--port', '0', '--data-dir', data, ...sets.flatMap((s) => ['--set', s])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The server reads CADENZA_* variables as configuration and stops at one it does not know: not the bench's own.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !BENCH_VARS.includes(k))),
  });
  servers.add(child);
  const log = [];
  let rest = '';
  const onLog = (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const l of lines) if (/^\S+ (error|warn|critical) /.test(l)) log.push(l);
  };
  child.stdout.on('data', onLog);
  child.stderr.on('data', onLog);
  const port = await new Promise((resolvePort, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('the server did not start within 30 s')), 30000);
    child.stdout.on('data', (d) => {
      text += d;
      const m = text.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) clearTimeout(timer), resolvePort(Number(m[1]));
    });
    child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`server exited with ${code}`))));
  });
  return { child, base: `http://127.0.0.1:${port}`, log };
}

async function stopServer(s) {
  s.child.kill('SIGTERM');
  await Promise.race([new Promise((r) => s.child.once('exit', r)), sleep(10000)]);
  s.child.kill('SIGKILL');
  servers.delete(s.child);
}

async function call(base, token, method, path, body, timeoutMs = 15000) {
  const r = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, json, text };
}

async function signUp(base, name) {
  const body = { username: name, firstName: 'Bench', lastName: 'Mark', email: `${name}@example.com`, phoneNumber: '+15550000000', password: `password-${name}` };
  const opts = (b) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b), signal: AbortSignal.timeout(15000) });
  await fetch(`${base}/api/profiles`, opts(body));
  const r = await fetch(`${base}/api/auth/login`, opts({ login: name, password: body.password }));
  const token = (await r.json()).token;
  if (!token) throw new Error('sign-up/log-in failed');
  return token;
}

// ---- one stream ----------------------------------------------------------------------------------------
const b64 = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

// POSTs a version and follows its chunks with the long-poll until the last one. Times in ms from the POST.
async function stream(srv, token, projectId, prompt, seed) {
  const t0 = performance.now();
  const deadline = t0 + streamTimeoutMs;
  const post = await call(srv.base, token, 'POST', `/api/projects/${projectId}/versions`, { prompt, mode: 'new', seed });
  const t202 = performance.now() - t0;
  if (post.status !== 202) throw new Error(`POST versions answered ${post.status}: ${post.text.slice(0, 300)}`);
  const { versionId, jobId } = post.json;
  const chunks = [];
  let after = 0, done = false, status = 'queued', firstPlayable = false;
  while (!done) {
    if (performance.now() > deadline) throw new Error(`version ${versionId}: no last chunk within ${streamTimeoutMs / 1000} s (${chunks.length} chunks, ${status})`);
    const r = await call(srv.base, token, 'GET', `/api/versions/${versionId}/chunks?after=${after}&wait=5000`, null, 10000);
    const at = performance.now() - t0;
    if (r.status !== 200) throw new Error(`chunks answered ${r.status}: ${r.text.slice(0, 300)}`);
    status = r.json.status;
    for (const c of r.json.chunks) {
      const bytes = b64(c.bytes);
      if (bytes.length !== c.size) throw new Error(`chunk ${c.seq}: ${bytes.length} bytes, announced ${c.size}`);
      if (chunks.length === 0)
        firstPlayable = bytes.subarray(0, 4).toString('latin1') === 'OggS' && bytes.includes(Buffer.from('OpusHead'));
      chunks.push({ seq: c.seq, at, bytes: bytes.length, startMs: c.startMs, durationMs: c.durationMs, last: c.last });
      after = c.seq;
      if (c.last) done = true;
    }
    if (r.json.done) done = true;
    if (['failed', 'cancelled', 'interrupted'].includes(status)) throw new Error(`version ${versionId} ${status}`);
  }
  if (!chunks.length) throw new Error(`version ${versionId}: no chunks`);
  const musicMs = chunks.reduce((s, c) => s + c.durationMs, 0);
  const lastAt = chunks[chunks.length - 1].at;
  // Playback from the first chunk's arrival: how late would the latest chunk be?
  const first = chunks[0].at;
  let lateMs = 0;
  for (const c of chunks) lateMs = Math.max(lateMs, c.at - (first + c.startMs));
  // The server's split: the job's wait in the lane and its own first chunk.
  // (the job row ends a moment after the version's last chunk: wait for it, at most 5 s)
  let j = null;
  for (const until = performance.now() + 5000; performance.now() < until; await sleep(20)) {
    const job = (await call(srv.base, token, 'GET', `/api/jobs/${jobId}`)).json;
    j = job?.job ?? job;
    if (['succeeded', 'failed', 'cancelled'].includes(j?.state)) break;
  }
  const queueMs = j?.startedAt && j?.createdAt ? Date.parse(j.startedAt) - Date.parse(j.createdAt) : NaN;
  return {
    prompt, versionId, controls: post.json.controls, t202, firstMs: first, firstPlayable, lastMs: lastAt,
    musicS: musicMs / 1000, speed: musicMs / lastAt, chunkCount: chunks.length, lateMs,
    queueMs, jobFirstChunkMs: j?.result?.firstChunkMs ?? NaN,
  };
}

// ---- prompts -------------------------------------------------------------------------------------------
const speedPrompts = [
  'calm piano in D minor, 70 bpm', 'an upbeat folk reel for fiddle', 'slow sad waltz', 'a lively jig in E minor for fiddle',
  'gentle lullaby for harp in F major', 'a march in Bb major at 112 bpm for trumpet', 'cheerful polka in G major on accordion',
  'a hymn in Eb major for organ', 'mysterious tune in C# minor for strings', 'a flute hornpipe in A major',
  'playful waltz in E major for clarinet', 'melancholy cello air in G minor, 60 bpm', 'a fast reel in D major',
  'bright piano piece in C major at 140 bpm', 'a chorale in F# minor for choir', 'dreamy guitar tune in B minor',
  'a brisk jig in G major for whistle', 'solemn organ chorale in Ab major', 'energetic fiddle tune in A minor at 150 bpm',
  'romantic violin waltz in Db major',
];

const NAMES = [['C'], ['C#', 'C sharp', 'Db'], ['D'], ['Eb', 'E flat', 'D#'], ['E'], ['F'], ['F#', 'F sharp', 'Gb'], ['G'],
  ['Ab', 'A flat', 'G#'], ['A'], ['Bb', 'B flat', 'A#'], ['B']];
// Meter by name or by genre; a genre implies a tempo, which the tempo words and numbers of every prompt override.
const METERS = [
  { meter: '3/4', words: ['waltz', 'tune in 3/4', 'air in 3/4 time'] },
  { meter: '6/8', words: ['jig', 'tune in 6/8', 'melody in 6/8'] },
  { meter: '4/4', words: ['reel', 'tune in 4/4', 'hornpipe'] },
  { meter: '2/4', words: ['march', 'polka', 'tune in 2/4'] },
];
// Tempo numbers (quarter notes per minute, as MIDI counts them) and words with the range a musician would
// accept for them (conventional metronome markings), set here, not taken from the parser's table.
const TEMPO_NUMBERS = [60, 66, 72, 80, 88, 96, 100, 108, 116, 120, 132, 144, 160];
const TEMPO_WORDS = [
  { word: 'slow', lo: 56, hi: 80 }, { word: 'lively', lo: 120, hi: 168 }, { word: 'fast', lo: 140, hi: 184 },
  { word: 'moderate', lo: 96, hi: 120 }, { word: 'andante', lo: 76, hi: 108 }, { word: 'allegro', lo: 120, hi: 168 },
];
// Instruments: the words and the GM programs (0-based) that answer them.
const INSTRUMENTS = [
  { word: 'piano', programs: [0, 1] }, { word: 'violin', programs: [40] }, { word: 'fiddle', programs: [40] },
  { word: 'flute', programs: [73] }, { word: 'strings', programs: [48, 49] }, { word: 'organ', programs: [16, 17, 18, 19, 20] },
  { word: 'cello', programs: [42] }, { word: 'clarinet', programs: [71] }, { word: 'harp', programs: [46] },
  { word: 'trumpet', programs: [56] }, { word: 'accordion', programs: [21] }, { word: 'acoustic guitar', programs: [24, 25] },
];

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function adherencePrompts(n) {
  const rnd = lcg(11);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const tonic = i % 12, mode = Math.floor(i / 12) % 2 ? 'minor' : 'major';
    const keyName = `${pick(NAMES[tonic])} ${mode}`;
    const m = pick(METERS), meterWord = pick(m.words);
    const tempo = rnd() < 0.5 ? { bpm: pick(TEMPO_NUMBERS) } : pick(TEMPO_WORDS);
    const inst = pick(INSTRUMENTS);
    const tempoWord = tempo.bpm ? '' : tempo.word;
    const art = (w) => (/^[aeiou]/i.test(w) ? 'an' : 'a');
    const templates = [
      () => `${art(tempoWord || meterWord)} ${tempoWord ? tempoWord + ' ' : ''}${meterWord} in ${keyName} for ${inst.word}${tempo.bpm ? ` at ${tempo.bpm} bpm` : ''}`,
      () => `${inst.word} ${meterWord} in ${keyName}, ${tempo.bpm ? `${tempo.bpm} bpm` : tempo.word}`,
      () => `${keyName} ${meterWord} played on ${inst.word}, ${tempo.bpm ? `tempo ${tempo.bpm}` : tempo.word}`,
    ];
    out.push({
      file: `${String(i).padStart(3, '0')}.mid`, prompt: pick(templates)(), tonic, mode, meter: m.meter,
      tempo: tempo.bpm ? { bpm: tempo.bpm } : { word: tempo.word, lo: tempo.lo, hi: tempo.hi }, programs: inst.programs,
    });
  }
  return out;
}

const PC = { C: 0, 'C#': 1, Db: 1, D: 2, 'D#': 3, Eb: 3, E: 4, F: 5, 'F#': 6, Gb: 6, G: 7, 'G#': 8, Ab: 8, A: 9, 'A#': 10, Bb: 10, B: 11 };
// The 202's controls against what the prompt asked.
function parsedChecks(e, c) {
  const tonic = typeof c.key === 'number' ? c.key : PC[c.key];
  const bpm = c.tempo_bpm;
  return {
    key: tonic === e.tonic && c.mode === e.mode,
    tempo: e.tempo.bpm ? Math.abs(bpm - e.tempo.bpm) < 0.5 : bpm >= e.tempo.lo && bpm <= e.tempo.hi,
    meter: c.meter === e.meter,
    instrument: Array.isArray(c.instruments) && e.programs.includes(c.instruments[0]),
    got: `${c.key} ${c.mode}, ${c.meter}, ${bpm} bpm, programs ${JSON.stringify(c.instruments)}`,
  };
}

// ---- the runs ------------------------------------------------------------------------------------------
const table = [];
const row = (what, value, target) => table.push([what, value, target]);
// Other work on a shared machine moves these figures: the 1-minute load average is printed with each part.
const loads = [];
const load = (part) => {
  const l = `${part} ${loadavg()[0].toFixed(1)}`;
  loads.push(l);
  return l;
};

async function sequential(srv, token, projectId) {
  const ld = load('1-2');
  const runs = [];
  for (let i = 0; i < nPrompts; i++) runs.push(await stream(srv, token, projectId, speedPrompts[i % speedPrompts.length], 1000 + i));
  console.log(`\n1-2. ${runs.length} prompts one at a time (first chunk = its bytes at the client; speed = music s / wall s, POST to last chunk; load ${ld})`);
  console.log('  first ms | 202 ms | lane wait | job 1st | last s | music s | speed | chunks | late ms | prompt');
  for (const r of runs)
    console.log(`  ${fmt(r.firstMs).padStart(8)} | ${fmt(r.t202).padStart(6)} | ${fmt(r.queueMs, 0).padStart(9)} | ${fmt(r.jobFirstChunkMs, 0).padStart(7)} | ` +
      `${fmt(r.lastMs / 1000, 2).padStart(6)} | ${fmt(r.musicS).padStart(7)} | ${fmt(r.speed).padStart(5)} | ${String(r.chunkCount).padStart(6)} | ` +
      `${fmt(Math.max(0, r.lateMs), 0).padStart(7)} | ${r.prompt}`);
  const firsts = runs.map((r) => r.firstMs), speeds = runs.map((r) => r.speed);
  row(`first playable chunk, p50 (${runs.length} prompts, one at a time)`, `${fmt(pct(firsts, 50))} ms`, '<= 300 ms (stretch <= 100)');
  row(`first playable chunk, p99`, `${fmt(pct(firsts, 99))} ms`, '<= 300 ms (stretch <= 100)');
  row('  of which POST -> 202, p50', `${fmt(pct(runs.map((r) => r.t202), 50))} ms`, '');
  row('  of which the job: start -> first chunk stored, p50', `${fmt(pct(runs.map((r) => r.jobFirstChunkMs), 50), 0)} ms`, '');
  row('every first chunk an Ogg/Opus stream start', runs.every((r) => r.firstPlayable) ? 'yes' : 'NO', 'yes');
  row('speed, median (music s per wall s)', `${fmt(median(speeds))}x`, '>= 10x (stretch >= 30x)');
  row('speed, min', `${fmt(Math.min(...speeds))}x`, '>= 10x (stretch >= 30x)');
  row('playback from the first chunk never waits (all prompts)', runs.every((r) => r.lateMs <= 0) ? 'yes' : `NO (worst ${fmt(Math.max(...runs.map((r) => r.lateMs)), 0)} ms late)`, 'yes');
  row('music per version, median', `${fmt(median(runs.map((r) => r.musicS)))} s`, '');
}

async function concurrent(srv, token, projectId, label) {
  const ld = load(`3 (${label})`);
  const prompts = speedPrompts.slice(0, nConcurrent);
  const runs = await Promise.all(prompts.map((p, i) => stream(srv, token, projectId, p, 2000 + i)));
  console.log(`\n3. ${nConcurrent} streams posted at once (${label}; load ${ld})`);
  console.log('  first ms | lane wait | job 1st | last s | music s | speed | late ms | prompt');
  for (const r of runs)
    console.log(`  ${fmt(r.firstMs).padStart(8)} | ${fmt(r.queueMs, 0).padStart(9)} | ${fmt(r.jobFirstChunkMs, 0).padStart(7)} | ` +
      `${fmt(r.lastMs / 1000, 2).padStart(6)} | ${fmt(r.musicS).padStart(7)} | ` +
      `${fmt(r.speed).padStart(5)} | ${fmt(Math.max(0, r.lateMs), 0).padStart(7)} | ${r.prompt}`);
  const speeds = runs.map((r) => r.speed), firsts = runs.map((r) => r.firstMs);
  row(`${nConcurrent} at once (${label}): speed of each`, speeds.map((s) => `${fmt(s)}x`).join(' '), '> 1x each');
  row(`${nConcurrent} at once (${label}): first chunk of each`, firsts.map((f) => fmt(f, 0)).join(' ') + ' ms', '');
  row(`${nConcurrent} at once (${label}): playback never waits`, runs.every((r) => r.lateMs <= 0) ? 'yes' : `NO (worst ${fmt(Math.max(...runs.map((r) => r.lateMs)), 0)} ms late)`, 'yes');
}

async function adherence(srv, token, projectId) {
  load('4');
  const expect = adherencePrompts(nAdherence);
  const dir = keep ? resolve(keep) : join(work, 'midi');
  mkdirSync(dir, { recursive: true });
  const parsed = { key: 0, tempo: 0, meter: 0, instrument: 0 };
  const parsedMisses = [];
  const failures = [];
  let next = 0;
  const t0 = performance.now();
  async function worker() {
    while (next < expect.length) {
      const e = expect[next++];
      const deadline = performance.now() + streamTimeoutMs;
      const post = await call(srv.base, token, 'POST', `/api/projects/${projectId}/versions`, { prompt: e.prompt, mode: 'new', seed: 5000 + Number(e.file.slice(0, 3)) });
      if (post.status !== 202) {
        failures.push(`${e.file}: POST ${post.status} ${post.text.slice(0, 200)}`);
        continue;
      }
      const p = parsedChecks(e, post.json.controls);
      for (const k of Object.keys(parsed)) {
        parsed[k] += p[k];
        if (!p[k]) parsedMisses.push(`${k.padEnd(10)} ${e.file}: understood ${p.got}  "${e.prompt}"`);
      }
      let v;
      for (;;) {
        v = (await call(srv.base, token, 'GET', `/api/versions/${post.json.versionId}`)).json;
        if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(v?.status)) break;
        if (performance.now() > deadline) break;
        await sleep(100);
      }
      if (v?.status !== 'succeeded') {
        failures.push(`${e.file}: version ${v?.status ?? 'unknown'} ${v?.error ?? ''}`);
        continue;
      }
      const r = await fetch(`${srv.base}/api/versions/${post.json.versionId}/download?format=mid`, {
        headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15000),
      });
      if (r.status !== 200) {
        failures.push(`${e.file}: download mid ${r.status}`);
        continue;
      }
      writeFileSync(join(dir, e.file), Buffer.from(await r.arrayBuffer()));
      e.versionControls = v.controls;
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  const genS = (performance.now() - t0) / 1000;
  const ok = expect.filter((e) => existsSync(join(dir, e.file)));
  writeFileSync(join(dir, 'expect.json'), JSON.stringify(ok, null, 1));
  const outFile = join(work, 'adherence.json');
  console.log(`\n4. control adherence: ${expect.length} prompts generated in ${fmt(genS)} s (${parallel} at a time), ${ok.length} MIDI files`);
  console.log(execFileSync(adherenceTool, [dir, join(dir, 'expect.json'), '--out', outFile], { timeout: 300000 }).toString());
  const music = JSON.parse(readFileSync(outFile, 'utf8'));
  // The same analysis on human-written tunes with known answers (their files' key, meter and tempo): the
  // misses that are the analysis's own.
  const refDir = '../shared/datasets/nottingham/MIDI', refOut = join(work, 'reference.json');
  let ref = null;
  if (existsSync(refDir)) {
    console.log(execFileSync(adherenceTool, ['--reference', refDir, '--limit', String(nAdherence), '--out', refOut], { timeout: 300000 })
      .toString().split('\n').filter((l) => !/^    (key|tempo|meter) /.test(l)).join('\n').replace('generate_adherence:', 'reference (the analysis on Nottingham tunes):'));
    ref = JSON.parse(readFileSync(refOut, 'utf8')).summary;
  }
  const n = expect.length;
  const pc = (x) => `${fmt((100 * x) / n)} %`;
  const s = music.summary;
  // Instrument "music": the synth plays controls.instruments[0] of the version (generate_job.cpp) - by construction.
  const synthOk = ok.filter((e) => e.programs.includes(e.versionControls?.instruments?.[0])).length;
  row(`key: parsed / music (key finder on the notes), ${n} prompts`, `${pc(parsed.key)} / ${fmt(s.key)} %`, '>= 95 % (text2midi 33.6 %)');
  row('  key or its relative key (music)', `${fmt(s.keyOrRelative)} %`, '');
  row('tempo: parsed / music (beat tracker, +-8 %)', `${pc(parsed.tempo)} / ${fmt(s.tempo)} % (${s.tempoDoubleHalf} at double/half)`, '>= 95 % (text2midi 39.7 %)');
  row('  tempo declared in the MIDI file', `${fmt(s.declaredTempo)} %`, '');
  row('meter: parsed / music (beat tracker)', `${pc(parsed.meter)} / ${fmt(s.meter)} % (${s.meterSameBeat} same beat, other bar)`, '>= 95 %');
  row('  meter declared in the MIDI file', `${fmt(s.declaredMeter)} %`, '');
  row('  key declared in the MIDI file', `${fmt(s.declaredKey)} %`, '');
  row('  key, major asked / minor asked (music)', `${fmt(s.keyMajor)} % / ${fmt(s.keyMinor)} %`, '');
  for (const [m, v] of Object.entries(s.meterAsked ?? {})) row(`  meter ${m} asked (music)`, `${fmt(v)} %`, '');
  if (ref) {
    row(`peer: the same analysis on ${ref.n} Nottingham tunes: key / relative`, `${fmt(ref.key)} % / ${fmt(ref.keyOrRelative)} % (minor ${fmt(ref.keyMinor)} %)`, '');
    row('peer: tempo / meter', `${fmt(ref.tempo)} % / ${fmt(ref.meter)} % (2/4: ${fmt(ref.meterAsked?.['2/4'])} %, 6/8: ${fmt(ref.meterAsked?.['6/8'])} %)`, '');
  }
  row('instrument: parsed / synth program (by construction)', `${pc(parsed.instrument)} / ${fmt((100 * synthOk) / n)} %`, '>= 95 %');
  row('  instrument: the MIDI file\'s program change', `${fmt(s.program)} %`, '');
  if (failures.length) row('adherence prompts that failed', String(failures.length), '0');
  if (parsedMisses.length) console.log('  parser misses:\n' + parsedMisses.map((l) => '    ' + l).join('\n'));
  if (failures.length) console.log('  failures:\n' + failures.map((l) => '    ' + l).join('\n'));
}

async function main() {
  if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/build --target cadenza`);
  if (nAdherence > 0 && !existsSync(adherenceTool) && !process.env.CADENZA_ADHERENCE)
    execFileSync('scripts/build', ['--target', 'generate_adherence'], { stdio: 'inherit', env: { CADENZA_BUILD_WEB: 'OFF', ...process.env } });
  const sets = ['ratelimit.read_per_s=0', 'ratelimit.read_burst=0', 'ratelimit.write_per_s=0', 'ratelimit.write_burst=0',
    'jobs.interactive_max_queued_per_account=1000'];
  const srv = await startServer('default', sets);
  try {
    const token = await signUp(srv.base, 'bench');
    const project = await call(srv.base, token, 'POST', '/api/projects', { name: 'bench' });
    if (project.status !== 201) throw new Error(`POST /api/projects answered ${project.status}: ${project.text}`);
    const projectId = project.json.id;
    const warm = await stream(srv, token, projectId, 'a warm-up tune in C major', 1);
    console.log(`generate_stream: ${srv.base}, warm-up: first chunk ${fmt(warm.firstMs)} ms, ${fmt(warm.musicS)} s of music at ${fmt(warm.speed)}x`);
    await sequential(srv, token, projectId);
    await concurrent(srv, token, projectId, 'interactive_workers=2, the default');
    if (nAdherence > 0) await adherence(srv, token, projectId);
    if (srv.log.length) console.log('  server warnings and errors:\n' + srv.log.slice(0, 10).map((l) => '    ' + l).join('\n'));
  } finally {
    await stopServer(srv);
  }
  if (nConcurrent > 2) {
    const s4 = await startServer('workers', ['ratelimit.read_per_s=0', 'ratelimit.read_burst=0', 'ratelimit.write_per_s=0',
      'ratelimit.write_burst=0', 'jobs.interactive_max_queued_per_account=1000', `jobs.interactive_workers=${nConcurrent}`]);
    try {
      const token = await signUp(s4.base, 'bench');
      const projectId = (await call(s4.base, token, 'POST', '/api/projects', { name: 'bench' })).json.id;
      await stream(s4, token, projectId, 'a warm-up tune in C major', 1);
      await concurrent(s4, token, projectId, `interactive_workers=${nConcurrent}`);
    } finally {
      await stopServer(s4);
    }
  }
  const w = [Math.max(...table.map((r) => r[0].length)), Math.max(...table.map((r) => r[1].length))];
  console.log(`\nsummary (node bench/generate_stream.mjs ${args.join(' ')}; ${new Date().toISOString()}; ${cpus().length} cores)`);
  console.log(`  machine load (1-min load average) at the start of each part: ${loads.join(', ')}`);
  console.log(`  ${'figure'.padEnd(w[0])} | ${'measured'.padEnd(w[1])} | target`);
  for (const [a, b, c] of table) console.log(`  ${a.padEnd(w[0])} | ${b.padEnd(w[1])} | ${c}`);
}

try {
  await main();
} catch (e) {
  console.error(`generate_stream: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  killAll();
}
