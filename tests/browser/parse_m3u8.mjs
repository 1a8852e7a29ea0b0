// Parses an HLS media playlist from stdin with m3u8-parser (videojs's, not onair's)
// and prints JSON of what the LL-HLS checks need: its segments (with their parts),
// the parts after the last whole segment, the preload hints, SERVER-CONTROL,
// PART-INF, the rendition reports and EXT-X-SKIP; and for ad breaks the date
// ranges (merged by ID, as m3u8-parser reads them) and each segment's CUE tags.
//
//   node parse_m3u8.mjs < index.m3u8
//
// Exit 1 with a message when m3u8-parser is missing (npm ci here) or the input is
// not a playlist it can read.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let Parser;
try {
  ({ Parser } = require('m3u8-parser'));
} catch (e) {
  console.error('FAIL: m3u8-parser missing: run npm ci in tests/browser');
  process.exit(1);
}

let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', d => { text += d; });
process.stdin.on('end', () => {
  if (!text.startsWith('#EXTM3U')) {
    console.error('FAIL: not a playlist (no #EXTM3U)');
    process.exit(1);
  }
  const warnings = [];
  const parser = new Parser();
  parser.on('warn', w => warnings.push(w.message));
  parser.push(text);
  parser.end();
  const m = parser.manifest;
  const seg = s => ({ uri: s.uri, duration: s.duration, timeline: s.timeline,
    programDateTime: s.programDateTime, parts: s.parts || [],
    preloadHints: s.preloadHints || [],
    cueOut: s.cueOut, cueOutCont: s.cueOutCont, cueIn: 'cueIn' in s });
  console.log(JSON.stringify({
    mediaSequence: m.mediaSequence,
    targetDuration: m.targetDuration,
    endList: !!m.endList,
    segments: (m.segments || []).map(seg),
    // parts of the segment still being cut (m3u8-parser keeps them apart)
    parts: m.preloadSegment ? m.preloadSegment.parts || [] : [],
    preloadHints: m.preloadSegment ? m.preloadSegment.preloadHints || [] : [],
    serverControl: m.serverControl || null,
    partInf: m.partInf || null,
    partTargetDuration: m.partTargetDuration,
    renditionReports: m.renditionReports || [],
    skip: m.skip || null,
    dateRanges: m.dateRanges || [],
    warnings,
  }));
});
