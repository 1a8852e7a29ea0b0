// Opens onair's own player page (web/player.html + web/player.js, served by
// `onair run` at http://HOST:PORT/<channel>/) in Debian's headless Chromium and
// fails unless the page plays the channel: the <video> plays for --min-played s
// of wall time with its currentTime advancing, no rebuffering ('waiting') after
// playback started, no fatal hls.js error, no error shown on the page.
//
//   node page.mjs --page http://127.0.0.1:PORT/<channel>/
//                 [--min-played 12] [--timeout 60] [--chromium /usr/bin/chromium]
//
// Nothing of the page is replaced: an init script (run before the page's own
// scripts) records the media events of every <video> (capture listeners on the
// window) and, when player.js sets window.onairPlayer = {hls, video, src}, hooks
// that hls.js instance before it loads anything (ERROR, LEVEL_LOADED: the
// level's partList, FRAG_LOADED: parts loaded). The test samples every 250 ms
// the video's currentTime, paused, readyState, buffered and error, and the
// latency behind the wall clock (Date.now() minus hls.playingDate).
//
// Prints one line `report: {JSON}` at the end, then PASS, or FAIL and exit 1.

import fs from 'node:fs';
import { launchChromium } from './chromium.mjs';

function parseArgs(argv) {
  const a = { minPlayed: 12, timeout: 60, chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[k] = argv[i + 1];
  }
  a.minPlayed = Number(a.minPlayed);
  a.timeout = Number(a.timeout);
  if (!a.page || !/^https?:\/\//.test(a.page) || !(a.minPlayed > 0) || !(a.timeout > 0)) {
    console.error('usage: node page.mjs --page http://HOST:PORT/<channel>/ [--min-played 12] [--timeout 60]');
    process.exit(2);
  }
  return a;
}

// Runs in the page before its scripts.
function hook() {
  const st = window.__page = { events: [], errors: [], warnings: [], started: false,
    startedAt: 0, startT: null, partList: 0, levelLoads: 0, partLoads: 0, fragLoads: 0,
    canBlockReload: false, partTarget: 0, hooked: false, lat: [] };
  for (const e of ['playing', 'waiting', 'stalled', 'ended', 'seeking', 'pause', 'error'])
    window.addEventListener(e, ev => {
      const v = ev.target;
      if (!(v instanceof HTMLMediaElement)) return;
      st.events.push(e + '@' + v.currentTime.toFixed(3));
      if (e === 'error')
        st.errors.push('video element error ' + (v.error ? v.error.code + ' ' + v.error.message : ''));
      if (e === 'playing' && !st.started) {
        st.started = true; st.startedAt = Date.now(); st.startT = v.currentTime;
      }
    }, true);
  let player;
  Object.defineProperty(window, 'onairPlayer', {
    configurable: true,
    get() { return player; },
    set(p) {
      player = p;
      const hls = p && p.hls, H = window.Hls;
      if (!hls || !H) return;
      st.hooked = true;
      const stalls = ['bufferStalledError', 'bufferNudgeOnStall', 'bufferSeekOverHole'];
      hls.on(H.Events.ERROR, (_, d) => {
        const msg = 'hls.js ' + (d.fatal ? 'fatal ' : '') + d.type + ' ' + d.details +
          (d.frag ? ' (' + d.frag.url + ')' : '') + (d.reason ? ': ' + d.reason : '') +
          (d.error ? ': ' + d.error.message : '');
        (d.fatal || !stalls.includes(d.details) ? st.errors : st.warnings).push(msg);
      });
      hls.on(H.Events.LEVEL_LOADED, (_, d) => {
        const x = d.details;
        st.levelLoads++;
        st.partList = Math.max(st.partList, x.partList ? x.partList.length : 0);
        st.canBlockReload = st.canBlockReload || !!x.canBlockReload;
        st.partTarget = x.partTarget || st.partTarget;
      });
      hls.on(H.Events.FRAG_LOADED, (_, d) => {
        if (d.part) st.partLoads++; else st.fragLoads++;
      });
    },
  });
  // latency behind the wall clock, every 250 ms once playing
  setInterval(() => {
    const p = window.onairPlayer, v = p && p.video;
    if (!st.started || !v || v.paused) return;
    const d = p.hls && p.hls.playingDate;
    if (d && isFinite(d.getTime()))
      st.lat.push([(Date.now() - st.startedAt) / 1000, (Date.now() - d.getTime()) / 1000]);
  }, 250);
}

function sample() {
  const v = document.querySelector('video');
  const st = window.__page;
  const txt = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
  const err = document.getElementById('error');
  const buffered = [];
  if (v) for (let i = 0; i < v.buffered.length; i++)
    buffered.push([+v.buffered.start(i).toFixed(3), +v.buffered.end(i).toFixed(3)]);
  const p = window.onairPlayer;
  return { ...st, now: Date.now(), video: !!v, t: v ? v.currentTime : 0, paused: v ? v.paused : true,
    rs: v ? v.readyState : 0, buffered, error: v && v.error ? v.error.code + ' ' + v.error.message : null,
    w: v ? v.videoWidth : 0, h: v ? v.videoHeight : 0, vbytes: v ? v.webkitVideoDecodedByteCount : 0,
    state: txt('state'), errorText: err && !err.hidden ? err.textContent : '',
    latencyText: txt('latency'), edgeText: txt('edge'), level: txt('level'),
    player: p ? { src: p.src, hls: !!p.hls, lowLatencyMode: p.hls ? p.hls.config.lowLatencyMode : null,
      maxLiveSyncPlaybackRate: p.hls ? p.hls.config.maxLiveSyncPlaybackRate : null,
      targetLatency: p.hls ? p.hls.targetLatency : null, latency: p.hls ? p.hls.latency : null,
      playbackRate: v ? v.playbackRate : null } : null };
}

function pct(xs, q) {
  if (!xs.length) return null;
  const v = [...xs].sort((x, y) => x - y);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q / 100 * v.length) - 1))];
}

function summary(xs) {
  const r = x => (x === null ? null : Math.round(x * 1000) / 1000);
  return { n: xs.length, p50: r(pct(xs, 50)), min: r(pct(xs, 0)), max: r(pct(xs, 100)) };
}

// 'waiting' after the first 'playing' is the page running dry, save one that
// follows hls.js's own seek over a start-up gap in its first second (as play.mjs
// allows: hls.js aligns a TS fragment's audio and video, which start apart by the
// AAC priming, and under load skips the difference).
function stallsOf(ev) {
  const first = ev.findIndex(e => e.startsWith('playing'));
  const at = e => parseFloat(e.split('@')[1]);
  return first < 0 ? [] : ev.slice(first + 1).filter((e, i, rest) =>
    e.startsWith('waiting') &&
    !(at(e) < 1 && (i ? rest[i - 1] : ev[first]).startsWith('seeking') &&
      Math.abs(at((i ? rest[i - 1] : ev[first])) - at(e)) < 0.01));
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const problems = [], consoleLines = [], http = [];
  let browser, profile, s = null, wallPlayed = 0;
  try {
    ({ browser, profile } = await launchChromium(a.chromium));
    await browser.addInitScript(hook);
    const pg = browser.pages()[0] || await browser.newPage();
    pg.on('console', m => consoleLines.push(`[${m.type()}] ${m.text()}`));
    pg.on('pageerror', e => problems.push('page error: ' + e.message));
    pg.on('response', r => { if (r.status() >= 400) http.push(`${r.status()} ${r.url()}`); });
    const resp = await pg.goto(a.page);
    if (!resp || !resp.ok())
      problems.push(`GET ${a.page}: ${resp ? resp.status() : 'no response'}`);
    const t0 = Date.now();
    let last = -1, lastMove = Date.now();
    while (!problems.length) {
      s = await pg.evaluate(sample);
      if (s.errors.length || s.errorText) break;
      if (s.started) wallPlayed = (s.now - s.startedAt) / 1000;
      if (s.started && wallPlayed >= a.minPlayed) break;
      if (s.t !== last) { last = s.t; lastMove = Date.now(); }
      if (s.started && Date.now() - lastMove > 8000) {
        problems.push(`stalled: currentTime stuck at ${s.t.toFixed(3)} s for 8 s`);
        break;
      }
      if (Date.now() - t0 > a.timeout * 1000) {
        problems.push(`timeout: not ${a.minPlayed} s of playing within ${a.timeout} s ` +
          `(started: ${s.started}, currentTime ${s.t.toFixed(3)}, paused ${s.paused}, ` +
          `readyState ${s.rs}, page state '${s.state}')`);
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    if (s) {
      problems.push(...s.errors);
      if (!s.video) problems.push('no <video> on the page');
      if (s.errorText) problems.push(`the page shows an error: ${s.errorText}`);
      if (s.state === 'error' || /^(waiting for|press play)/.test(s.state || ''))
        problems.push(`the page's state reads '${s.state}'`);
      if (!s.hooked) problems.push('window.onairPlayer was never set with an hls.js instance');
      const stalls = stallsOf(s.events);
      if (stalls.length) problems.push(`stalled ${stalls.length} time(s) after playback started: ${stalls.join(' ')}`);
      if (s.started && !problems.length) {
        const played = s.t - s.startT;
        // currentTime must follow the wall clock (hls.js may play up to 1.1x
        // fast to catch up, and never slower than real time when not waiting)
        if (played < 0.8 * wallPlayed)
          problems.push(`currentTime advanced ${played.toFixed(3)} s in ${wallPlayed.toFixed(3)} s of wall time`);
        if (s.paused) problems.push('the video is paused');
        if (s.rs < 3) problems.push(`readyState ${s.rs} at the end`);
        if (!(s.w > 0 && s.vbytes > 0)) problems.push(`no video decoded (videoWidth ${s.w}, bytes ${s.vbytes})`);
      }
      const rep = { page: a.page, src: s.player && s.player.src, config: s.player,
        wallPlayed: Math.round(wallPlayed * 1000) / 1000,
        played: s.startT === null ? 0 : Math.round((s.t - s.startT) * 1000) / 1000,
        startT: s.startT, currentTime: s.t, paused: s.paused, readyState: s.rs, buffered: s.buffered,
        error: s.error, state: s.state, errorText: s.errorText, pageLatency: s.latencyText,
        pageEdge: s.edgeText, level: s.level, latency: summary(s.lat.map(x => x[1])),
        partList: s.partList, partLoads: s.partLoads, fragLoads: s.fragLoads,
        canBlockReload: s.canBlockReload, partTarget: s.partTarget, levelLoads: s.levelLoads,
        stalls: stalls.length };
      console.log(`events: ${s.events.join(' ')}`);
      if (s.warnings.length) console.log(`player warnings: ${s.warnings.join(' | ')}`);
      console.log('report: ' + JSON.stringify(rep));
    }
    if (http.length) console.log(`http errors: ${http.join(' ')}`);
  } catch (e) {
    problems.push('harness: ' + (e.stack || e.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (profile)
      fs.rmSync(profile, { recursive: true, force: true });
  }
  if (problems.length) {
    console.log('browser console (last 30 lines):\n  ' + consoleLines.slice(-30).join('\n  '));
    console.error(`FAIL ${a.page}:\n  - ` + problems.join('\n  - '));
    process.exit(1);
  }
  console.log(`PASS ${a.page} played ${wallPlayed.toFixed(1)} s`);
}

main();
