// Lists the top-level boxes of ISO BMFF files with mp4box.js (GPAC's, not
// onair's) and the fields of every emsg box, as JSON on stdout:
//
//   node boxes.mjs FILE...      (the files end to end: an init segment, then media)
//
// {"boxes": ["ftyp", "moov", "emsg", "moof", "mdat"], "emsg": [{version, timescale,
//  presentation_time, event_duration, id, scheme_id_uri, value, message_data (hex)}],
//  "tracks": [{id, timescale, nb_samples}]}
// Exit 1 with a message when mp4box is missing (npm ci here) or cannot read them.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let MP4Box;
try {
  MP4Box = require('mp4box');
} catch (e) {
  console.error('FAIL: mp4box missing: run npm ci in tests/browser');
  process.exit(1);
}

const parts = process.argv.slice(2).map(p => readFileSync(p));
const all = Buffer.concat(parts);
const ab = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
ab.fileStart = 0;
const file = MP4Box.createFile(true);
let error = null;
file.onError = e => { error = e; };
file.appendBuffer(ab);
file.flush();
if (error) {
  console.error('FAIL: mp4box: ' + error);
  process.exit(1);
}
const hex = a => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
const big = v => (typeof v === 'bigint' ? v.toString() : v);
const out = {
  boxes: file.boxes.map(b => b.type),
  emsg: file.boxes.filter(b => b.type === 'emsg').map(b => ({
    version: b.version,
    timescale: b.timescale,
    presentation_time: big(b.presentation_time),
    presentation_time_delta: big(b.presentation_time_delta),
    event_duration: b.event_duration,
    id: b.id,
    scheme_id_uri: b.scheme_id_uri,
    value: b.value,
    message_data: b.message_data ? hex(b.message_data) : null,
  })),
  tracks: (file.getInfo().tracks || []).map(t => ({ id: t.id, timescale: t.timescale, nb_samples: t.nb_samples })),
};
console.log(JSON.stringify(out));
