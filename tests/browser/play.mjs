// Plays an onair output directory in Debian's headless Chromium with hls.js or
// Shaka Player, served from a local HTTP server, and fails on player errors, stalls
// or a playhead that does not get past --min-time within --timeout.
//
//   node play.mjs --dir OUTDIR --url master.m3u8 --player hlsjs|shaka
//                 [--min-time 6] [--timeout 40] [--audio yes|no] [--chromium /usr/bin/chromium]
//   node play.mjs --src http://HOST:PORT/<id>/master.m3u8 --player hlsjs|shaka --live yes ...
//
// --src plays a stream served by someone else (onair's own server: the page is on
// another origin, so CORS is exercised too); --live yes counts every rebuffering
// after playback started as a stall.
//
// Exit 0 when it played, 1 with a message saying what went wrong.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { minTime: 6, timeout: 40, audio: 'yes', chromium: '/usr/bin/chromium', live: 'no' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[k] = argv[i + 1];
  }
  a.minTime = Number(a.minTime);
  a.timeout = Number(a.timeout);
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

function page(player, url) {
  // The player reports into window.__onair; the test polls it.
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>onair ${player}</title>
<script src="/lib/${player === 'hlsjs' ? 'hls' : 'shaka'}.js"></script></head>
<body><video id="v" autoplay playsinline width="640" height="360"></video>
<script>
const st = window.__onair = { errors: [], warnings: [], events: [], started: false };
const v = document.getElementById('v');
const note = (list, what) => { list.push(String(what)); };
v.addEventListener('error', () => note(st.errors, 'video element error ' +
  (v.error ? v.error.code + ' ' + v.error.message : '')));
for (const e of ['playing', 'waiting', 'stalled', 'ended', 'seeking'])
  v.addEventListener(e, () => { st.events.push(e + '@' + v.currentTime.toFixed(3));
                                if (e === 'playing') st.started = true; });
const src = ${JSON.stringify(url)};
async function start() {
  if (${JSON.stringify(player)} === 'hlsjs') {
    if (!Hls.isSupported()) { note(st.errors, 'hls.js: MSE not supported'); return; }
    const hls = new Hls({ enableWorker: true });
    window.__hls = hls;
    const stalls = ['bufferStalledError', 'bufferNudgeOnStall', 'bufferSeekOverHole'];
    hls.on(Hls.Events.ERROR, (_, d) => {
      const msg = 'hls.js ' + (d.fatal ? 'fatal ' : '') + d.type + ' ' + d.details +
        (d.frag ? ' (' + d.frag.url + ')' : '') + (d.reason ? ': ' + d.reason : '') +
        (d.error ? ': ' + d.error.message : '');
      (d.fatal || !stalls.includes(d.details) ? st.errors : st.warnings).push(msg);
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
        JSON.stringify(e.data).slice(0, 300) : e.message));
    }
  }
}
start();
</script></body></html>`;
}

function serve(dir, player, url) {
  const root = path.resolve(dir);
  const log = { requests: 0, missing: [] };
  const server = http.createServer((req, res) => {
    log.requests++;
    const u = new URL(req.url, 'http://x');
    const hdr = { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' };
    let file = null;
    if (u.pathname === '/') {
      res.writeHead(200, { ...hdr, 'Content-Type': TYPES['.html'] });
      res.end(page(player, url.startsWith('http') ? url : '/media/' + url));
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

async function main() {
  const a = parseArgs(process.argv.slice(2));
  for (const [k, f] of Object.entries(LIBS)) {
    if (!fs.existsSync(f)) {
      console.error(`FAIL: ${f} missing (${k}): run npm ci in tests/browser`);
      process.exit(1);
    }
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    console.error('FAIL: playwright-core missing: run npm ci in tests/browser');
    process.exit(1);
  }
  if (!fs.existsSync(a.chromium)) {
    console.error(`FAIL: ${a.chromium} not found: apt-get install chromium`);
    process.exit(1);
  }
  const { server, port, log } = await serve(a.dir || os.tmpdir(), a.player, a.src || a.url);
  a.url = a.src || a.url;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-chromium-'));
  let browser;
  const problems = [];
  const consoleLines = [];
  try {
    // A fresh profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: a.chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--autoplay-policy=no-user-gesture-required'],
    });
    const pg = browser.pages()[0] || await browser.newPage();
    pg.on('console', m => consoleLines.push(`[${m.type()}] ${m.text()}`));
    pg.on('pageerror', e => problems.push('page error: ' + e.message));
    await pg.goto(`http://127.0.0.1:${port}/`);
    const t0 = Date.now();
    let last = -1, lastMove = Date.now(), s;
    for (;;) {
      s = await pg.evaluate(() => {
        const v = document.getElementById('v');
        const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : {};
        return { ...window.__onair, t: v.currentTime, paused: v.paused, ended: v.ended,
          w: v.videoWidth, h: v.videoHeight, vbytes: v.webkitVideoDecodedByteCount,
          abytes: v.webkitAudioDecodedByteCount, frames: q.totalVideoFrames,
          dropped: q.droppedVideoFrames, rs: v.readyState };
      });
      if (s.errors.length || problems.length) break;
      if (s.t > a.minTime) break;
      if (s.t !== last) { last = s.t; lastMove = Date.now(); }
      if (s.started && Date.now() - lastMove > 8000) {
        problems.push(`stalled: playhead stuck at ${s.t.toFixed(3)} s for 8 s`);
        break;
      }
      if (Date.now() - t0 > a.timeout * 1000) {
        problems.push(`timeout: playhead at ${s.t.toFixed(3)} s after ${a.timeout} s ` +
          `(needs > ${a.minTime} s; started: ${s.started}, readyState ${s.rs})`);
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
      if (dry.length) problems.push(`stalled ${dry.length} time(s) while playing live: ${dry.join(' ')}`);
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
  } catch (e) {
    problems.push('harness: ' + (e.stack || e.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length) {
    console.log('browser console (last 30 lines):\n  ' + consoleLines.slice(-30).join('\n  '));
    console.error(`FAIL ${a.player} ${a.url}:\n  - ` + problems.join('\n  - '));
    process.exit(1);
  }
  console.log(`PASS ${a.player} played ${a.url} past ${a.minTime} s`);
}

main();
