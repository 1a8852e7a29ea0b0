// Judges onair's ad break markers with parsers that are not onair's: the
// playlists with videojs's m3u8-parser and with hls.js's own M3U8Parser and
// DateRange (what hls.js plays and schedules interstitials from), the MPDs
// with xmllint (libxml2-utils). The fixtures come from the unit test
// (`test_playlists --write DIR`, tests/unit/test_playlists.c); the
// expectations here are written from the specs, not from onair's code.
//
//   node judge_adbreaks.mjs PATH/TO/test_playlists
//
// Exit 0 when every check holds; 1 with each failure on stderr, or when a
// judge is missing (npm ci in tests/browser; apt-get install libxml2-utils).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let failures = 0;
const fail = msg => { console.error('FAIL: ' + msg); failures++; };
const check = (cond, msg) => { if (!cond) fail(msg); };

if (process.argv.length !== 3) {
  console.error('usage: node judge_adbreaks.mjs PATH/TO/test_playlists');
  process.exit(1);
}
let Parser, hls;
try {
  ({ Parser } = require('m3u8-parser'));
  globalThis.self = globalThis;   // hls.js's bundle looks for a window; its parser needs none
  hls = await import(pathToFileURL(join(here, 'node_modules/hls.js/dist/hls.mjs')).href);
} catch (e) {
  console.error('FAIL: m3u8-parser or hls.js missing: run npm ci in tests/browser (' + e.message + ')');
  process.exit(1);
}
try {
  execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
} catch (e) {
  console.error('FAIL: xmllint missing: apt-get install libxml2-utils (.ci/setup --tests)');
  process.exit(1);
}

// ---- HLS ------------------------------------------------------------------

function m3u8(text, name) {
  const warnings = [];
  const p = new Parser();
  p.on('warn', w => warnings.push(w.message));
  p.push(text);
  p.end();
  check(!warnings.length, `${name}: m3u8-parser warns: ${warnings.join('; ')}`);
  return p.manifest;
}

function hlsjs(text, name) {
  const d = hls.M3U8Parser.parseLevelPlaylist(text, 'http://localhost/720p/index.m3u8', 0,
    'main', 0, null);
  check(!d.playlistParsingError, `${name}: hls.js: ${d.playlistParsingError}`);
  return d;
}

const START = { 'b-7': '2026-11-25T12:00:02.000Z', 'b-8': '2026-11-25T12:00:08.000Z' };

// the cue tags m3u8-parser put on each segment, by segment name
function cues(manifest) {
  const out = {};
  for (const s of manifest.segments) {
    const c = [];
    if ('cueIn' in s) c.push('IN');
    if ('cueOut' in s) c.push('OUT ' + s.cueOut);
    if ('cueOutCont' in s) c.push('CONT ' + s.cueOutCont);
    out[s.uri] = c.join(' | ');
  }
  return out;
}

function judgeHls(dir) {
  const text = n => readFileSync(join(dir, n), 'utf8');

  // one reload: b-7 out and returned, b-8 out; interstitials for both
  const out = m3u8(text('out.m3u8'), 'out.m3u8');
  const ranges = Object.fromEntries(out.dateRanges.map(r => [r.id, r]));
  check(JSON.stringify(Object.keys(ranges).sort()) === '["b-7","b-7-ad","b-8","b-8-ad"]',
    `out.m3u8: date ranges ${Object.keys(ranges)}`);
  const b7 = ranges['b-7'] || {}, b8 = ranges['b-8'] || {};
  check(b7.startDate?.toISOString() === START['b-7'], 'b-7: START-DATE');
  check(b7.plannedDuration === 6 && b7.duration === 4, 'b-7: PLANNED-DURATION 6, DURATION 4 (merged)');
  check(/^0xFC/i.test(b7.scte35Out) && /^0xFC/i.test(b7.scte35In), 'b-7: SCTE35-OUT and SCTE35-IN');
  check(b8.plannedDuration === 30 && b8.duration === undefined && b8.scte35In === undefined,
    'b-8: out, planned 30 s, no return yet');
  const seen = cues(out);
  const want = {
    'seg_00000100.ts': '', 'seg_00000101.ts': 'OUT DURATION=4.000',
    'seg_00000102.ts': 'CONT ElapsedTime=2.000,Duration=4.000', 'seg_00000103.ts': 'IN',
    'seg_00000104.ts': 'OUT DURATION=30.000', 'seg_00000105.ts': 'CONT ElapsedTime=2.000,Duration=30.000',
  };
  check(JSON.stringify(seen) === JSON.stringify(want),
    `out.m3u8: CUE tags ${JSON.stringify(seen)}, expected ${JSON.stringify(want)}`);

  // hls.js: every range valid and placed on the segment that starts it
  const d = hlsjs(text('out.m3u8'), 'out.m3u8');
  const frag = sn => d.fragments.find(f => f.sn === sn);
  for (const [id, sn] of [['b-7', 101], ['b-8', 104], ['b-7-ad', 101], ['b-8-ad', 104]]) {
    const r = d.dateRanges[id];
    check(r && r.isValid, `hls.js: ${id} ${r ? r.invalidReason : 'missing'}`);
    check(r && Math.abs(r.startTime - frag(sn).start) < 0.001,
      `hls.js: ${id} starts at ${r && r.startTime}, segment ${sn} at ${frag(sn).start}`);
  }
  const ad = d.dateRanges['b-8-ad'];
  check(ad?.isInterstitial, 'hls.js: b-8-ad is an interstitial');
  check(ad?.attr['X-ASSET-LIST'] === 'https://ads.example/list.json?ch=demo', 'b-8-ad: X-ASSET-LIST');
  check(ad?.attr.optionalFloat('X-RESUME-OFFSET', NaN) === 30 &&
        ad?.attr.optionalFloat('X-PLAYOUT-LIMIT', NaN) === 30, 'b-8-ad: resumes and stops at 30 s');
  const r = ad?.attr.enumeratedStringList('X-RESTRICT', { skip: false, jump: false });
  check(r?.skip && r?.jump, 'b-8-ad: X-RESTRICT SKIP and JUMP');

  // the next reload: b-8 returned early; hls.js merges each range with what
  // it had (mergeDateRanges) and drops one whose attributes changed
  m3u8(text('later.m3u8'), 'later.m3u8');
  const later = hlsjs(text('later.m3u8'), 'later.m3u8');
  for (const id of ['b-8', 'b-8-ad']) {
    const merged = new hls.DateRange(later.dateRanges[id].attr, d.dateRanges[id]);
    check(merged.isValid, `hls.js: ${id} across reloads: ${merged.invalidReason}`);
  }
  const b8later = new hls.DateRange(later.dateRanges['b-8'].attr, d.dateRanges['b-8']);
  check(b8later.duration === 12 && /^0xFC/i.test(b8later.attr['SCTE35-IN']), 'b-8: returned after 12 s');
  const laterCues = cues(m3u8(text('later.m3u8'), 'later.m3u8'));
  check(laterCues['seg_00000106.ts'] === 'CONT ElapsedTime=4.000,Duration=12.000' &&
        laterCues['seg_00000110.ts'] === 'IN' && laterCues['seg_00000111.ts'] === '',
    `later.m3u8: CUE tags ${JSON.stringify(laterCues)}`);

  // LL-HLS and its delta update (EXT-X-SKIP): the date ranges all there, the
  // skipped segments' CUE tags gone with them
  const ll = m3u8(text('ll.m3u8'), 'll.m3u8');
  const delta = m3u8(text('ll-delta.m3u8'), 'll-delta.m3u8');
  check(delta.skip?.skippedSegments === 2, 'll-delta.m3u8: EXT-X-SKIP:SKIPPED-SEGMENTS=2');
  check(delta.segments.length === ll.segments.length - 2, 'll-delta.m3u8: two segments fewer');
  check(delta.dateRanges.length === ll.dateRanges.length && delta.dateRanges.length === 4,
    'll-delta.m3u8: every date range kept');
  const dc = cues(delta);
  check(dc['seg_00000102.ts'] === 'CONT ElapsedTime=2.000,Duration=4.000' && dc['seg_00000103.ts'] === 'IN',
    `ll-delta.m3u8: CUE tags ${JSON.stringify(dc)}`);
  check(ll.preloadSegment?.cueOut === 'DURATION=30.000', 'll.m3u8: the segment in progress starts b-8');
  const dl = hlsjs(text('ll-delta.m3u8'), 'll-delta.m3u8');
  check(dl.skippedSegments === 2, 'hls.js: delta skips 2');
  for (const id of ['b-7', 'b-7-ad', 'b-8', 'b-8-ad'])
    check(dl.dateRanges[id]?.isValid, `hls.js: delta keeps ${id}`);
}

// ---- DASH -----------------------------------------------------------------

function xmllint(args) {
  return spawnSync('xmllint', args, { encoding: 'utf8' });
}

function xpath(file, expr) {
  return xmllint(['--xpath', expr, file]).stdout.trim();
}

function judgeMpd(dir) {
  for (const [name, scheme] of [['xml.mpd', 'urn:scte:scte35:2013:xml'],
                                ['bin.mpd', 'urn:scte:scte35:2014:xml+bin']]) {
    const file = join(dir, name);
    // well-formed, and every prefix declared: libxml2 reports a namespace
    // error on stderr and still exits 0
    const lint = xmllint(['--noout', file]);
    check(lint.status === 0 && !lint.stderr, `${name}: xmllint: ${lint.stderr.split('\n')[0]}`);
    const es = "//*[local-name()='Period']/*[local-name()='EventStream']";
    check(xpath(file, `count(${es})`) === '1', `${name}: one EventStream in the Period`);
    check(xpath(file, `string(${es}/@schemeIdUri)`) === scheme, `${name}: schemeIdUri ${scheme}`);
    check(xpath(file, `string(${es}/@timescale)`) === '90000', `${name}: EventStream timescale`);
    check(xpath(file, `name(${es}/following-sibling::*[1])`) === 'AdaptationSet',
      `${name}: EventStream before the AdaptationSets (the schema's order)`);
    const ev = `${es}/*[local-name()='Event']`;
    check(xpath(file, `count(${ev})`) === '2', `${name}: two Events`);
    const attrs = i => ['presentationTime', 'duration', 'id'].map(a => xpath(file, `string(${ev}[${i}]/@${a})`)).join(',');
    // b-7 at 2 s for 4 s, b-8 at 8 s for its planned 30 s, ids the splice_event_ids
    check(attrs(1) === '180000,360000,7', `${name}: Event 1 ${attrs(1)}`);
    check(attrs(2) === '720000,2700000,8', `${name}: Event 2 ${attrs(2)}`);
    const ns = 'http://www.scte.org/schemas/35/2016';
    if (scheme.endsWith('xml')) {
      check(xpath(file, `count(${ev}/*[local-name()='SpliceInfoSection' and namespace-uri()='${ns}'])`) === '2',
        `${name}: a scte35:SpliceInfoSection in each Event`);
    } else {
      const bin = xpath(file, `string(${ev}[1]/*[local-name()='Signal' and namespace-uri()='${ns}']` +
                              `/*[local-name()='Binary' and namespace-uri()='${ns}'])`);
      const bytes = Buffer.from(bin, 'base64');
      // a splice_info_section: table_id 0xFC, section_length the rest
      check(bytes.length > 3 && bytes[0] === 0xfc && ((bytes[1] & 0x0f) << 8 | bytes[2]) === bytes.length - 3,
        `${name}: scte35:Signal/scte35:Binary holds a splice_info_section (${bin})`);
    }
  }
}

// ---- run -------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'onair-adbreaks-'));
try {
  execFileSync(process.argv[2], ['--write', dir], { stdio: 'inherit' });
  judgeHls(dir);
  judgeMpd(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('ok: m3u8-parser, hls.js and xmllint accept the ad break markers');
