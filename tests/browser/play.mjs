// Plays an onair output directory in Debian's headless Chromium with hls.js or
// Shaka Player, served from a local HTTP server, and fails on player errors, stalls
// or a playhead that does not get past --min-time within --timeout.
//
//   node play.mjs --dir OUTDIR --url master.m3u8 --player hlsjs|shaka
//                 [--min-time 6] [--timeout 40] [--audio yes|no] [--chromium /usr/bin/chromium]
//   node play.mjs --src http://HOST:PORT/<id>/master.m3u8 --player hlsjs|shaka --live yes ...
//                 [--low-latency yes|no] [--report yes] [--min-played 20] [--warmup 0]
//
// --src plays a stream served by someone else (onair's own server: the page is on
// another origin, so CORS is exercised too); --live yes counts every rebuffering
// after playback started as a stall.
//
// --low-latency yes|no sets the player's low-latency mode (hls.js lowLatencyMode,
// Shaka streaming.lowLatencyMode); left out, the players' defaults stand.
// --live-sync-rate R (hls.js): the player may play up to R times fast to reach its
// target latency (maxLiveSyncPlaybackRate; default 1: never).
// --min-played N also needs the playhead N s past where playback started (a live
// stream starts near its edge, so --min-time alone can be met at once).
// --report yes prints one line `report: {JSON}` at the end: the latency behind the
// wall clock (Date.now() minus the playhead's program date: hls.js playingDate,
// Shaka getPlayheadTimeAsDate) sampled every 250 ms once playing, its summary over
// the samples taken --warmup s after playback started; for hls.js also its own
// latency/targetLatency, the LL-HLS facts of the level playing (parts,
// canBlockReload, canSkipUntil, partHoldBack, partTarget), whether playlist
// requests carried _HLS_msn/_HLS_part/_HLS_skip and whether a delta update
// (skippedSegments > 0) was seen.
//
// Exit 0 when it played, 1 with a message saying what went wrong.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { minTime: 6, timeout: 40, audio: 'yes', chromium: '/usr/bin/chromium', live: 'no',
    lowLatency: '', report: 'no', minPlayed: 0, warmup: 0, gapJumpsMax: 0, liveSyncRate: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[k] = argv[i + 1];
  }
  a.minTime = Number(a.minTime);
  a.timeout = Number(a.timeout);
  a.minPlayed = Number(a.minPlayed);
  a.warmup = Number(a.warmup);
  a.gapJumpsMax = Number(a.gapJumpsMax);
  a.liveSyncRate = Number(a.liveSyncRate);
  if (!['', 'yes', 'no'].includes(a.lowLatency) || !['yes', 'no'].includes(a.report)) {
    console.error('usage: --low-latency yes|no, --report yes|no');
    process.exit(2);
  }
  if (!((a.dir && a.url) || a.src) || !['hlsjs', 'shaka'].includes(a.player)) {
    console.error('usage: node play.mjs --dir OUTDIR --url master.m3u8|manifest.mpd --player hlsjs|shaka');
    process.exit(2);
  }
  return a;
}

const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.mpd': 'application/dash+xml',
  '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
};

const LIBS = {
  '/lib/hls.js': path.join(here, 'node_modules/hls.js/dist/hls.js'),
  '/lib/shaka.js': path.join(here, 'node_modules/shaka-player/dist/shaka-player.compiled.js'),
};

function page(player, url, lowLatency, liveSyncRate) {
  // The player reports into window.__onair; the test polls it.
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>onair ${player}</title>
<script>
// installed before the player's library, which may keep its own reference to fetch
window.__seen = { playlists: 0, msn: 0, part: 0, skip: 0 };
{
const seen = u => {
  try {
    const q = new URL(u, location.href);
    if (!/\\.m3u8$/.test(q.pathname)) return;
    window.__seen.playlists++;
    if (q.searchParams.has('_HLS_msn')) window.__seen.msn++;
    if (q.searchParams.has('_HLS_part')) window.__seen.part++;
    if (q.searchParams.has('_HLS_skip')) window.__seen.skip++;
  } catch (e) { /* not a URL */ }
};
const xopen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (m, u, ...rest) { seen(String(u)); return xopen.call(this, m, u, ...rest); };
const xfetch = window.fetch;
window.fetch = function (r, ...rest) { seen(typeof r === 'string' ? r : (r && r.url) || String(r)); return xfetch.call(this, r, ...rest); };
}
</script>
<script src="/lib/${player === 'hlsjs' ? 'hls' : 'shaka'}.js"></script></head>
<body><video id="v" autoplay playsinline width="640" height="360"></video>
<script>
const st = window.__onair = { errors: [], warnings: [], events: [], started: false,
  lat: [], startedAt: 0, startT: null, ll: null, deltas: 0, hlsLatency: [] };
const v = document.getElementById('v');
const lowLatency = ${JSON.stringify(lowLatency)};
const liveSyncRate = ${JSON.stringify(liveSyncRate)};
// latency behind the wall clock, every 250 ms once playing
setInterval(() => {
  if (!st.started || v.paused) return;
  let d = null;
  if (window.__hls && window.__hls.playingDate) d = window.__hls.playingDate;
  else if (window.__shaka && window.__shaka.getPlayheadTimeAsDate) d = window.__shaka.getPlayheadTimeAsDate();
  if (d && isFinite(d.getTime()))
    st.lat.push([(Date.now() - st.startedAt) / 1000, (Date.now() - d.getTime()) / 1000]);
  if (window.__hls && isFinite(window.__hls.latency))
    st.hlsLatency.push([(Date.now() - st.startedAt) / 1000, window.__hls.latency, window.__hls.targetLatency]);
}, 250);
const note = (list, what) => { list.push(String(what)); };
v.addEventListener('error', () => note(st.errors, 'video element error ' +
  (v.error ? v.error.code + ' ' + v.error.message : '')));
for (const e of ['playing', 'waiting', 'stalled', 'ended', 'seeking'])
  v.addEventListener(e, () => { st.events.push(e + '@' + v.currentTime.toFixed(3));
                                if (e === 'playing' && !st.started) {
                                  st.started = true; st.startedAt = Date.now(); st.startT = v.currentTime; } });
const src = ${JSON.stringify(url)};
async function start() {
  if (${JSON.stringify(player)} === 'hlsjs') {
    if (!Hls.isSupported()) { note(st.errors, 'hls.js: MSE not supported'); return; }
    const cfg = { enableWorker: true };
    if (lowLatency) cfg.lowLatencyMode = lowLatency === 'yes';
    // above 1: hls.js may speed up (to this rate) to reach its target latency
    if (liveSyncRate > 1) cfg.maxLiveSyncPlaybackRate = liveSyncRate;
    const hls = new Hls(cfg);
    window.__hls = hls;
    const stalls = ['bufferStalledError', 'bufferNudgeOnStall', 'bufferSeekOverHole'];
    hls.on(Hls.Events.ERROR, (_, d) => {
      const msg = 'hls.js ' + (d.fatal ? 'fatal ' : '') + d.type + ' ' + d.details +
        (d.frag ? ' (' + d.frag.url + ')' : '') + (d.reason ? ': ' + d.reason : '') +
        (d.error ? ': ' + d.error.message : '');
      (d.fatal || !stalls.includes(d.details) ? st.errors : st.warnings).push(msg);
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_, d) => {
      const x = d.details;
      if (x.skippedSegments > 0) st.deltas++;
      st.ll = { level: d.level, parts: x.partList ? x.partList.length : 0,
        canBlockReload: !!x.canBlockReload, canSkipUntil: x.canSkipUntil || 0,
        partHoldBack: x.partHoldBack || 0, partTarget: x.partTarget || 0,
        holdBack: x.holdBack || 0, targetduration: x.targetduration,
        url: x.url, skippedSegments: x.skippedSegments || 0 };
      if (x.url && /[?&]_HLS_msn=/.test(x.url)) st.levelLoadedMsn = (st.levelLoadedMsn || 0) + 1;
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => {
      st.levels = d.levels.map(l => l.width + 'x' + l.height + ' ' + (l.codecs || ''));
      v.play().catch(e => note(st.errors, 'play(): ' + e.message));
    });
    hls.loadSource(src);
    hls.attachMedia(v);
  } else {
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) { note(st.errors, 'shaka: browser not supported'); return; }
    const p = new shaka.Player();
    window.__shaka = p;
    if (lowLatency) p.configure({ streaming: { lowLatencyMode: lowLatency === 'yes' } });
    // Shaka's low-latency preset (PlayerConfiguration.createDefaultForLL) turns
    // off manifest.dash.autoCorrectDrift, but the Player applies that preset only
    // after the first manifest parse, and the DASH parser has by then built the
    // PresentationTimeline with drift correction on for good: it takes the end of
    // the last S in the SegmentTimeline as "now" and derives the live edge from
    // it. In LL-DASH that S is the segment being cut, which ends up to a segment
    // later than the wall clock, so the seek range ends that far ahead of the
    // real edge and the player then plays within a part of it and runs dry at
    // part or segment ends. Set before load, as an LL app must, the timeline
    // keeps availabilityStartTime and the UTCTiming clock.
    if (lowLatency === 'yes') p.configure({ manifest: { dash: { autoCorrectDrift: false } } });
    p.addEventListener('error', e => note(st.errors, 'shaka error ' + e.detail.code +
      ' severity ' + e.detail.severity + ' ' + JSON.stringify(e.detail.data).slice(0, 300)));
    try {
      await p.attach(v);
      await p.load(src);
      st.levels = p.getVariantTracks().map(t => t.width + 'x' + t.height + ' ' +
        t.videoCodec + ' ' + (t.audioCodec || 'no audio'));
      await v.play();
    } catch (e) {
      note(st.errors, 'shaka load/play: ' + (e.code ? 'code ' + e.code + ' ' +
        JSON.stringify(e.data).slice(0, 300) : e.message + ' ' + String(e.stack || '').split(String.fromCharCode(10)).slice(1, 4).join(' / ')));
    }
  }
}
start();
</script></body></html>`;
}

function serve(dir, player, url, lowLatency, liveSyncRate) {
  const root = path.resolve(dir);
  const log = { requests: 0, missing: [] };
  const server = http.createServer((req, res) => {
    log.requests++;
    const u = new URL(req.url, 'http://x');
    const hdr = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };
    let file = null;
    if (u.pathname === '/') {
      res.writeHead(200, { ...hdr, 'Content-Type': TYPES['.html'] });
      res.end(page(player, url.startsWith('http') ? url : '/media/' + url, lowLatency, liveSyncRate));
      return;
    } else if (LIBS[u.pathname]) {
      file = LIBS[u.pathname];
    } else if (u.pathname.startsWith('/media/')) {
      file = path.resolve(root, decodeURIComponent(u.pathname.slice('/media/'.length)));
      if (file !== root && !file.startsWith(root + path.sep)) file = null;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      if (u.pathname !== '/favicon.ico') log.missing.push(u.pathname);
      res.writeHead(404, { ...hdr, 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const body = fs.readFileSync(file);
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
    if (range) {
      const start = range[1] ? Number(range[1]) : body.length - Number(range[2]);
      const end = range[1] && range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, { ...hdr, 'Content-Type': type,
        'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1 });
      res.end(body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...hdr, 'Content-Type': type, 'Content-Length': body.length });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, log }));
  });
}

// p-th percentile (nearest rank) of numbers
function pct(xs, p) {
  if (!xs.length) return null;
  const v = [...xs].sort((x, y) => x - y);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(p / 100 * v.length) - 1))];
}

function summary(xs) {
  const r = x => (x === null ? null : Math.round(x * 1000) / 1000);
  return { n: xs.length, p50: r(pct(xs, 50)), p99: r(pct(xs, 99)), min: r(pct(xs, 0)),
    max: r(pct(xs, 100)), mean: xs.length ? r(xs.reduce((x, y) => x + y, 0) / xs.length) : null };
}

function makeReport(a, s) {
  const after = list => list.filter(x => x[0] >= a.warmup);
  const rep = { player: a.player, lowLatency: a.lowLatency || 'default',
    played: s.startT === null ? 0 : Math.round((s.t - s.startT) * 1000) / 1000,
    startT: s.startT, warmup: a.warmup,
    latency: summary(after(s.lat).map(x => x[1])),
    playlistRequests: s.seen.playlists, msnRequests: s.seen.msn,
    partRequests: s.seen.part, skipRequests: s.seen.skip,
    blockingReloads: s.seen.msn > 0 || (s.levelLoadedMsn || 0) > 0,
    deltaUpdates: s.deltas, sawDelta: s.deltas > 0 };
  if (a.player === 'hlsjs') {
    const hl = after(s.hlsLatency);
    rep.hlsLatency = summary(hl.map(x => x[1]));
    rep.targetLatency = hl.length ? hl[hl.length - 1][2] : null;
    Object.assign(rep, s.ll || { parts: 0, canBlockReload: false, canSkipUntil: 0, partHoldBack: 0 });
  }
  return rep;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  for (const [k, f] of Object.entries(LIBS)) {
    if (!fs.existsSync(f)) {
      console.error(`FAIL: ${f} missing (${k}): run npm ci in tests/browser`);
      process.exit(1);
    }
  }
  const { server, port, log } = await serve(a.dir || os.tmpdir(), a.player, a.src || a.url, a.lowLatency, a.liveSyncRate);
  a.url = a.src || a.url;
  let browser, profile;
  const problems = [];
  const consoleLines = [];
  try {
    ({ browser, profile } = await launchChromium(a.chromium));
    const pg = browser.pages()[0] || await browser.newPage();
    pg.on('console', m => consoleLines.push(`[${m.type()}] ${m.text()}`));
    pg.on('pageerror', e => problems.push('page error: ' + e.message));
    pg.on('response', r => { if (r.status() >= 400) consoleLines.push(`[http ${r.status()}] ${r.url()}`); });
    await pg.goto(`http://127.0.0.1:${port}/`);
    const t0 = Date.now();
    let last = -1, lastMove = Date.now(), s;
    for (;;) {
      s = await pg.evaluate(() => {
        const v = document.getElementById('v');
        const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
        return { ...window.__onair, seen: window.__seen, t: v.currentTime, paused: v.paused, ended: v.ended,
          w: v.videoWidth, h: v.videoHeight, vbytes: v.webkitVideoDecodedByteCount,
          abytes: v.webkitAudioDecodedByteCount, frames: q.totalVideoFrames,
          dropped: q.droppedVideoFrames, rs: v.readyState };
      });
      if (s.errors.length || problems.length) break;
      if (s.t > a.minTime && (!a.minPlayed || (s.started && s.t - s.startT >= a.minPlayed))) break;
      if (s.t !== last) { last = s.t; lastMove = Date.now(); }
      if (s.started && Date.now() - lastMove > 8000) {
        problems.push(`stalled: playhead stuck at ${s.t.toFixed(3)} s for 8 s`);
        break;
      }
      if (Date.now() - t0 > a.timeout * 1000) {
        problems.push(`timeout: playhead at ${s.t.toFixed(3)} s after ${a.timeout} s ` +
          `(needs > ${a.minTime} s` + (a.minPlayed ? ` and ${a.minPlayed} s played from ` +
          `${s.startT === null ? '?' : s.startT.toFixed(3)} s` : '') +
          `; started: ${s.started}, readyState ${s.rs})`);
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    problems.push(...s.errors);
    if (a.live === 'yes') {
      // after the first 'playing', any 'waiting' is the player running dry, save
      // one that follows the player's own seek over a start-up gap in its first
      // second (hls.js aligns a TS fragment's audio and video, which start
      // apart by the AAC priming, and under load skips the difference)
      const ev = s.events, first = ev.findIndex(e => e.startsWith('playing'));
      const at = e => parseFloat(e.split('@')[1]);
      const dry = first < 0 ? [] : ev.slice(first + 1).filter((e, i, rest) =>
        e.startsWith('waiting') &&
        !(at(e) < 1 && (i ? rest[i - 1] : ev[first]).startsWith('seeking') &&
          Math.abs(at((i ? rest[i - 1] : ev[first])) - at(e)) < 0.01));
      // --gap-jumps-max N: up to N waits that the player ends itself by jumping
      // a hole of at most 0.1 s (a 'playing' right after, a little further on)
      // are reported, not failed; any other wait is a stall
      const next = e => ev[ev.indexOf(e) + 1] || '';
      const jumps = dry.filter(e => next(e).startsWith('playing') &&
                                    at(next(e)) - at(e) > 0 && at(next(e)) - at(e) <= 0.1);
      const stalls = jumps.length <= a.gapJumpsMax ? dry.filter(e => !jumps.includes(e)) : dry;
      if (jumps.length && stalls !== dry)
        console.log(`gap jumps (allowed ${a.gapJumpsMax}): ${jumps.map(e => e + '->' + next(e)).join(' ')}`);
      if (stalls.length) problems.push(`stalled ${stalls.length} time(s) while playing live: ${stalls.join(' ')}`);
    }
    if (!problems.length) {
      if (!(s.w > 0 && s.vbytes > 0)) problems.push(`no video decoded (videoWidth ${s.w}, bytes ${s.vbytes})`);
      if (a.audio === 'yes' && !(s.abytes > 0)) problems.push('no audio decoded (webkitAudioDecodedByteCount 0)');
      if (a.audio === 'no' && s.abytes > 0) problems.push('audio decoded but the source has none');
    }
    console.log(`${a.player} ${a.url}: playhead ${s.t.toFixed(3)} s, ${s.w}x${s.h}, ` +
      `frames ${s.frames} (dropped ${s.dropped}), video bytes ${s.vbytes}, audio bytes ${s.abytes}`);
    console.log(`levels: ${JSON.stringify(s.levels || [])}`);
    console.log(`events: ${s.events.join(' ')}`);
    if (s.warnings.length) console.log(`player warnings: ${s.warnings.join(' | ')}`);
    if (log.missing.length) console.log(`404s: ${log.missing.join(' ')}`);
    if (a.report === 'yes') console.log('report: ' + JSON.stringify(makeReport(a, s)));
  } catch (e) {
    problems.push('harness: ' + (e.stack || e.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
    if (profile)
      fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length) {
    console.log('browser console (last 30 lines):\n  ' + consoleLines.slice(-30).join('\n  '));
    console.error(`FAIL ${a.player} ${a.url}:\n  - ` + problems.join('\n  - '));
    process.exit(1);
  }
  console.log(`PASS ${a.player} played ${a.url} past ${a.minTime} s` +
    (a.minPlayed ? ` and ${a.minPlayed} s from its start` : ''));
}

main();
