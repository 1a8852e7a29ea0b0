// Plays a live onair channel that has an ad break in Debian's headless Chromium
// with hls.js or Shaka Player and writes down what the player reports about the
// break; breaks_test.py judges it against the channel's as-run log.
//
//   node breaks.mjs --src http://HOST:PORT/<id>/master.m3u8|manifest.mpd --player hlsjs|shaka
//                   --until ISO|--stop-file FILE [--timeout 60] --log FILE.json
//                   [--screenshot FILE.png] [--chromium /usr/bin/chromium]
//
// It plays until the playhead's program date (hls.js playingDate, Shaka
// getPlayheadTimeAsDate) passes --until, or FILE exists (--stop-file: the test
// says when), or --timeout s pass, or the player reports a fatal error. It
// prints `playing at T s` (the <video>'s currentTime) on its first 'playing'
// event, so that a test can time what it does to the stream from there. Every 200 ms it samples the <video> (currentTime,
// paused, readyState), the playhead's date, and the colour of the picture (the
// middle pixel of the frame drawn on a canvas). The page records:
//   hls.js: every LEVEL_UPDATED's date ranges (id, class, START-DATE, the time hls.js
//     maps it to, DURATION, PLANNED-DURATION, every attribute) and its fragments
//     (sn, start, duration, PROGRAM-DATE-TIME, their tagList: where CUE-OUT/-CONT/-IN
//     are), FRAG_CHANGED, ERROR, and the interstitial events (ASSET_LIST_LOADING ..
//     INTERSTITIALS_PRIMARY_RESUMED) with the asset player's playhead;
//   Shaka: every 'timelineregionadded' (schemeIdUri, id, startTime, endTime, the
//     values or the event's XML), 'metadata', 'error'.
// The media events (playing, waiting, seeking, ended, error) with the time they
// came. The whole record goes to --log (the test's artifact); the process exits 0
// when it could play at all, 1 (FAIL on stderr) when the harness broke or no page
// came up. Judging is breaks_test.py's.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = { timeout: 60, chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[k] = argv[i + 1];
  }
  a.timeout = Number(a.timeout);
  a.untilMs = a.until === undefined ? Infinity : Date.parse(a.until);
  if (!a.src || !['hlsjs', 'shaka'].includes(a.player) || !a.log || isNaN(a.untilMs) ||
      (a.untilMs === Infinity && !a.stopFile) || !(a.timeout > 0)) {
    console.error('usage: node breaks.mjs --src URL --player hlsjs|shaka --until ISO|--stop-file FILE --log FILE.json ' +
      '[--timeout 60] [--screenshot FILE.png]');
    process.exit(2);
  }
  return a;
}

const LIBS = {
  '/lib/hls.js': path.join(here, 'node_modules/hls.js/dist/hls.js'),
  '/lib/shaka.js': path.join(here, 'node_modules/shaka-player/dist/shaka-player.compiled.js'),
};

// The page: runs in Chromium; everything it learns goes into window.__brk.
function pageScript(player, src, debug) {
  const brk = window.__brk = { hlslog: [], errors: [], warnings: [], events: [], levels: [], frags: {},
    dateRanges: {}, interstitials: [], regions: [], metadata: [], samples: [], fragChanged: [] };
  const v = document.getElementById('v');
  const now = () => Date.now();
  for (const e of ['playing', 'waiting', 'seeking', 'seeked', 'ended', 'error', 'pause'])
    v.addEventListener(e, () => brk.events.push({ e, t: v.currentTime, wall: now(),
      error: e === 'error' && v.error ? v.error.code + ' ' + v.error.message : undefined }));
  const canvas = document.createElement('canvas');
  canvas.width = 16; canvas.height = 16;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const colour = () => {
    if (v.readyState < 2 || !v.videoWidth) return null;
    try {
      ctx.drawImage(v, 0, 0, 16, 16);
      return Array.from(ctx.getImageData(8, 8, 1, 1).data.slice(0, 3));
    } catch (e) { return 'canvas: ' + e.message; }
  };
  const iso = (d) => (d && isFinite(d.getTime()) ? d.toISOString() : null);

  if (player === 'hlsjs') {
    if (!Hls.isSupported()) { brk.errors.push('hls.js: MSE not supported'); return; }
    const cfg = { enableWorker: true };
    if (debug) {
      // hls.js's own log (the asset players inherit it), kept in the record
      const keep = (lvl) => (...a) => { if (brk.hlslog.length < 4000)
        brk.hlslog.push(now() + ' ' + lvl + ' ' + a.map((x) => (typeof x === 'string' ? x : String(x))).join(' ')); };
      cfg.debug = { trace: keep('T'), debug: keep('D'), log: keep('L'), info: keep('I'), warn: keep('W'), error: keep('E') };
    }
    const hls = new Hls(cfg);
    const ic = debug && hls.interstitialsController;
    if (ic && ic.advanceAfterAssetEnded) {
      const orig = ic.advanceAfterAssetEnded.bind(ic);
      ic.advanceAfterAssetEnded = (...a) => { brk.hlslog.push(now() + ' STACK advanceAfterAssetEnded ' + JSON.stringify(a.slice(1)) + ' ' + new Error().stack + ' players ' +
        JSON.stringify((ic.playerQueue || []).map((p) => ({ off: p.timelineOffset, cfgOff: p.hls && p.hls.config.timelineOffset,
          cur: p.currentTime, so: p.startOffset, lim: p.interstitial.playoutLimit, dur: p.duration,
          mediaT: p.media ? p.media.currentTime : null, attT: p.mediaAttached ? p.mediaAttached.currentTime : null,
          ts: p.assetItem.timelineStart }))));
        return orig(...a); };
    }
    window.__hls = hls;
    brk.version = Hls.version;
    brk.config = { enableInterstitialPlayback: hls.config.enableInterstitialPlayback,
      interstitialAppendInPlace: hls.config.interstitialAppendInPlace,
      interstitialLiveLookAhead: hls.config.interstitialLiveLookAhead,
      interstitialsController: !!hls.config.interstitialsController };
    const E = Hls.Events;
    hls.on(E.ERROR, (_, d) => {
      const msg = 'hls.js ' + (d.fatal ? 'fatal ' : '') + d.type + ' ' + d.details +
        (d.frag ? ' (' + d.frag.url + ')' : '') + (d.reason ? ': ' + d.reason : '') +
        (d.error ? ': ' + d.error.message : '');
      (d.fatal ? brk.errors : brk.warnings).push({ wall: now(), msg, fatal: !!d.fatal, details: d.details });
    });
    hls.on(E.LEVEL_UPDATED, (_, d) => {
      const x = d.details;
      brk.levels.push({ wall: now(), level: d.level, startSN: x.startSN, endSN: x.endSN,
        ranges: Object.keys(x.dateRanges || {}) });
      for (const f of x.fragments) {
        brk.frags[f.sn] = { sn: f.sn, start: f.start, duration: f.duration,
          pdt: f.programDateTime ? new Date(f.programDateTime).toISOString() : null,
          url: f.relurl, tags: f.tagList.filter((t) => /CUE|DATERANGE/.test(t[0])) };
      }
      for (const [id, r] of Object.entries(x.dateRanges || {})) {
        const old = brk.dateRanges[id];
        brk.dateRanges[id] = { id, class: r.class || null, startDate: iso(r.startDate),
          startTime: r.startTime, duration: r.duration, plannedDuration: r.plannedDuration,
          endDate: iso(r.endDate), isValid: r.isValid, isInterstitial: r.isInterstitial,
          anchorSn: r.tagAnchor ? r.tagAnchor.sn : null, attr: { ...r.attr },
          firstSeen: old ? old.firstSeen : now(), firstSeenPlayhead: old ? old.firstSeenPlayhead : v.currentTime,
          attrHistory: old ? old.attrHistory : [] };
        const keys = Object.keys(r.attr).sort().join(',');
        const h = brk.dateRanges[id].attrHistory;
        if (!h.length || h[h.length - 1].keys !== keys) h.push({ wall: now(), keys });
      }
    });
    hls.on(E.FRAG_CHANGED, (_, d) => brk.fragChanged.push({ wall: now(), sn: d.frag.sn, t: v.currentTime }));
    const ev = (name, d) => {
      const item = { wall: now(), name, t: v.currentTime };
      if (d && d.event) item.event = { id: d.event.identifier, startTime: d.event.startTime,
        resumeTime: d.event.resumeTime, duration: d.event.duration, playoutLimit: d.event.playoutLimit,
        resumeOffset: d.event.resumeOffset, restrictions: d.event.restrictions,
        assetListUrl: d.event.assetListUrl, cue: d.event.cue, error: d.event.error ? String(d.event.error) : undefined,
        assets: (d.event.assetList || []).map((x) => ({ uri: x.uri, duration: x.duration })) };
      if (d && d.asset) item.asset = { uri: d.asset.uri, duration: d.asset.duration, timelineStart: d.asset.timelineStart };
      if (d && d.assetListResponse) item.assetListResponse = d.assetListResponse;
      if (d && d.error) item.error = String(d.error.message || d.error);
      if (d && d.errorAction) item.errorAction = d.errorAction.action;
      if (d && d.player) {
        window.__assetPlayer = d.player;
        item.assetPlayer = { uri: d.player.assetItem ? d.player.assetItem.uri : null };
      }
      if (d && d.schedule) item.schedule = d.schedule.map((s) => ({ start: s.start, end: s.end,
        event: s.event ? s.event.identifier : null, primary: s.nextEvent !== undefined }));
      brk.interstitials.push(item);
    };
    for (const name of ['ASSET_LIST_LOADING', 'ASSET_LIST_LOADED', 'INTERSTITIALS_UPDATED',
      'INTERSTITIALS_BUFFERED_TO_BOUNDARY', 'INTERSTITIAL_ASSET_PLAYER_CREATED', 'INTERSTITIAL_STARTED',
      'INTERSTITIAL_ASSET_STARTED', 'INTERSTITIAL_ASSET_ENDED', 'INTERSTITIAL_ASSET_ERROR',
      'INTERSTITIAL_ENDED', 'INTERSTITIALS_PRIMARY_RESUMED'])
      if (E[name]) hls.on(E[name], (_, d) => ev(name, d));
    hls.on(E.MANIFEST_PARSED, () => v.play().catch((e) => brk.errors.push({ wall: now(), msg: 'play(): ' + e.message })));
    hls.loadSource(src);
    hls.attachMedia(v);
  } else {
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) { brk.errors.push({ msg: 'shaka: browser not supported' }); return; }
    const p = new shaka.Player();
    window.__shaka = p;
    brk.version = shaka.Player.version;
    const xml = (n, depth = 0) => (!n || depth > 6 ? null : typeof n === 'string' ? n :
      { tag: n.tagName, attrs: n.attributes, children: (n.children || []).map((c) => xml(c, depth + 1)) });
    p.addEventListener('timelineregionadded', (e) => {
      const r = e.detail;
      brk.regions.push({ wall: now(), t: v.currentTime, schemeIdUri: r.schemeIdUri, value: r.value, id: r.id,
        startTime: r.startTime, endTime: r.endTime, timescale: r.timescale,
        values: (r.values || []).map((x) => ({ key: x.key, data: x.data })), eventNode: xml(r.eventNode) });
    });
    p.addEventListener('metadata', (e) => brk.metadata.push({ wall: now(), t: v.currentTime,
      type: e.type, startTime: e.startTime, endTime: e.endTime, metadataType: e.metadataType,
      payload: e.payload ? { key: e.payload.key, data: typeof e.payload.data === 'string' ? e.payload.data : null } : null }));
    p.addEventListener('error', (e) => brk.errors.push({ wall: now(), msg: 'shaka error ' + e.detail.code +
      ' severity ' + e.detail.severity + ' ' + JSON.stringify(e.detail.data).slice(0, 300), fatal: true }));
    (async () => {
      try {
        await p.attach(v);
        await p.load(src);
        await v.play();
      } catch (e) {
        brk.errors.push({ wall: now(), fatal: true, msg: 'shaka load/play: ' + (e.code ? 'code ' + e.code + ' ' +
          JSON.stringify(e.data).slice(0, 300) : e.message) });
      }
    })();
  }
  setInterval(() => {
    let date = null;
    if (window.__hls) date = window.__hls.playingDate;
    else if (window.__shaka && window.__shaka.getPlayheadTimeAsDate) date = window.__shaka.getPlayheadTimeAsDate();
    const s = { wall: now(), t: v.currentTime, paused: v.paused, rs: v.readyState, date: iso(date),
      rgb: colour() };
    const im = window.__hls && window.__hls.interstitialsManager;
    if (im) {
      s.playingItem = im.playingItem ? (im.playingItem.event ? 'event:' + im.playingItem.event.identifier : 'primary') : null;
      s.primaryT = im.primary ? im.primary.currentTime : null;
      s.integratedT = im.integrated ? im.integrated.currentTime : null;
      if (im.playingAsset) s.asset = im.playingAsset.uri;
      if (window.__assetPlayer) s.assetT = window.__assetPlayer.currentTime;
    }
    brk.samples.push(s);
  }, 200);
}

function page(player, src) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>onair breaks ${player}</title>
<script src="/lib/${player === 'hlsjs' ? 'hls' : 'shaka'}.js"></script></head>
<body style="margin:0;background:#000"><video id="v" muted autoplay playsinline width="640" height="360"></video>
<script>(${pageScript.toString()})(${JSON.stringify(player)}, ${JSON.stringify(src)}, ${JSON.stringify(!!process.env.BRK_HLS_DEBUG)});</script>
</body></html>`;
}

function serve(player, src) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page(player, src));
    } else if (LIBS[u.pathname]) {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(fs.readFileSync(LIBS[u.pathname]));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port }));
  });
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  for (const [k, f] of Object.entries(LIBS))
    if (!fs.existsSync(f)) {
      console.error(`FAIL: ${f} missing (${k}): run npm ci in tests/browser`);
      process.exit(1);
    }
  const { server, port } = await serve(a.player, a.src);
  const harness = [], consoleLines = [], http4xx = [];
  let browser, profile, rec = null, endReason = 'timeout';
  try {
    ({ browser, profile } = await launchChromium(a.chromium));
    const pg = browser.pages()[0] || await browser.newPage();
    await pg.setViewportSize({ width: 640, height: 360 });
    pg.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    pg.on('pageerror', (e) => harness.push('page error: ' + e.message));
    pg.on('response', (r) => { if (r.status() >= 400) http4xx.push(`${r.status()} ${r.url()}`); });
    await pg.goto(`http://127.0.0.1:${port}/`);
    const t0 = Date.now();
    let playing = false;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const s = await pg.evaluate(() => {
        const b = window.__brk, last = b.samples[b.samples.length - 1];
        const p = b.events.find((e) => e.e === 'playing');
        return { fatal: b.errors.some((e) => e.fatal !== false), date: last ? last.date : null,
          playing: p ? p.t : null };
      });
      if (!playing && s.playing !== null) {
        playing = true;
        console.log(`playing at ${s.playing.toFixed(3)} s`);
      }
      if (s.fatal) { endReason = 'fatal error'; break; }
      if (s.date && Date.parse(s.date) > a.untilMs) { endReason = 'played past --until'; break; }
      if (a.stopFile && fs.existsSync(a.stopFile)) { endReason = 'asked to stop (--stop-file)'; break; }
      if (harness.length) { endReason = 'page error'; break; }
      if (Date.now() - t0 > a.timeout * 1000) break;
    }
    if (a.screenshot) await pg.screenshot({ path: a.screenshot });
    rec = await pg.evaluate(() => window.__brk);
  } catch (e) {
    harness.push('harness: ' + (e.stack || e.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  }
  const out = { player: a.player, src: a.src, until: a.until, endReason, harness, http4xx,
    console: consoleLines.slice(-60), ...(rec || {}) };
  fs.writeFileSync(a.log, JSON.stringify(out, null, 1));
  console.log(`${a.player} ${rec ? rec.version : '?'}: ${endReason}, ${rec ? rec.samples.length : 0} samples, log ${a.log}`);
  if (harness.length || !rec) {
    console.error('FAIL: ' + harness.join('; '));
    process.exit(1);
  }
}

main();
