// Opens onair's status page (web/status.html, served by the admin listener of
// `onair run ... --admin`) in Debian's headless Chromium at 1280x800 and fails
// unless:
//   - every channel of GET /api/v1/channels has its card, showing the title of
//     the program on air (the API read just before or just after the page);
//   - every card's take picker offers every source the channel object lists, one
//     that is neither live nor in the schedule among them;
//   - every card's preview <video> plays: currentTime past --min-played s;
//   - a click on the first channel's Skip asks for the token (a dialog: nothing
//     asked before), and once it is entered what airs changes: the API's
//     now.started moves to the click (the program had more than SKIP_MARGIN_S
//     left, so the schedule alone cannot explain it) and the page shows it;
//   - no page error and no console error from start to end.
// Saves a screenshot to --screenshot. The token comes from $STATUS_TOKEN.
//
//   STATUS_TOKEN=... node status.mjs --page http://127.0.0.1:PORT/ --screenshot out.png
//                    [--min-played 2.5] [--timeout 60] [--chromium /usr/bin/chromium]
//
// Prints PASS, or FAIL with the reasons and exit status 1.

import fs from 'node:fs';
import { launchChromium } from './chromium.mjs';

const SKIP_MARGIN_S = 8;

function parseArgs(argv) {
  const a = { minPlayed: 2.5, timeout: 60, chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
    a[k] = argv[i + 1];
  }
  a.minPlayed = Number(a.minPlayed);
  a.timeout = Number(a.timeout);
  a.token = process.env.STATUS_TOKEN || '';
  if (!a.page || !/^https?:\/\/.*\/$/.test(a.page) || !a.screenshot || !a.token ||
      !(a.minPlayed > 0) || !(a.timeout > 0)) {
    console.error('usage: STATUS_TOKEN=... node status.mjs --page http://HOST:PORT/ --screenshot FILE.png ' +
      '[--min-played 2.5] [--timeout 60]');
    process.exit(2);
  }
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function channels(page) {
  const r = await fetch(new URL('api/v1/channels', page), { cache: 'no-store' });
  if (!r.ok) throw new Error(`GET /api/v1/channels: ${r.status}`);
  return (await r.json()).channels;
}

// What each card shows: { id: {title, video: {t, paused, rs, w}, note} }
function cardsOnPage() {
  const out = {};
  for (const c of document.querySelectorAll('section.channel[data-channel]')) {
    const v = c.querySelector('video');
    const note = c.querySelector('.preview-note');
    out[c.dataset.channel] = {
      title: c.querySelector('.now-title').textContent,
      result: c.querySelector('.result').textContent,
      resultError: c.querySelector('.result').classList.contains('error'),
      note: note && !note.hidden ? note.textContent : '',
      video: v ? { t: v.currentTime, paused: v.paused, rs: v.readyState, w: v.videoWidth,
        error: v.error ? v.error.code + ' ' + v.error.message : null } : null,
    };
  }
  return out;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const problems = [], consoleLines = [], consoleErrors = [], http = [];
  const deadline = Date.now() + a.timeout * 1000;
  let browser, profile;
  try {
    ({ browser, profile } = await launchChromium(a.chromium));
    const pg = browser.pages()[0] || await browser.newPage();
    await pg.setViewportSize({ width: 1280, height: 800 });
    pg.on('console', (m) => {
      consoleLines.push(`[${m.type()}] ${m.text()}`);
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    pg.on('pageerror', (e) => problems.push('page error: ' + e.message));
    pg.on('response', (r) => { if (r.status() >= 400) http.push(`${r.status()} ${r.url()}`); });
    const resp = await pg.goto(a.page);
    if (!resp || !resp.ok())
      throw new Error(`GET ${a.page}: ${resp ? resp.status() : 'no response'}`);

    // 1. every channel, with the title on air
    let api = await channels(a.page), shown = null, missing = null;
    if (api.length < 2) problems.push(`GET /api/v1/channels lists ${api.length} channel(s), the test runs 2`);
    while (Date.now() < deadline) {
      const before = await channels(a.page);
      shown = await pg.evaluate(cardsOnPage);
      api = await channels(a.page);
      missing = api.filter((c, i) => !shown[c.id] ||
        ![c.now && c.now.title, before[i] && before[i].now && before[i].now.title].includes(shown[c.id].title));
      if (!missing.length) break;
      await sleep(500);
    }
    if (missing && missing.length)
      problems.push('the page does not show what airs: ' + missing.map((c) =>
        `${c.id}: API "${c.now && c.now.title}", page ${shown && shown[c.id] ? '"' + shown[c.id].title + '"' : 'has no card'}`).join('; '));
    else
      console.log('titles: ' + api.map((c) => `${c.id} "${c.now.title}"`).join(', '));

    // 2. the take picker: every source of the channel, not only the live or scheduled ones
    for (const c of problems.length ? [] : api) {
      const names = (c.sources || []).map((x) => x.name).sort();
      const r = await fetch(new URL(`api/v1/channels/${encodeURIComponent(c.id)}/schedule?hours=1`, a.page),
        { cache: 'no-store' });
      const scheduled = new Set((await r.json()).entries.map((e) => e.source));
      if (!(c.sources || []).some((x) => !x.live && !scheduled.has(x.name)))
        problems.push(`${c.id}: no source that is neither live nor scheduled, so the picker test proves nothing ` +
          `(sources ${JSON.stringify(c.sources)})`);
      let offered = [];
      while (Date.now() < deadline) {
        offered = await pg.evaluate((id) => [...document.querySelectorAll(
          `section.channel[data-channel="${id}"] .take-source option`)].map((o) => o.value), c.id);
        if (offered.length === names.length && offered.every((n, i) => n === names[i])) break;
        await sleep(250);
      }
      if (offered.length !== names.length || !offered.every((n, i) => n === names[i]))
        problems.push(`${c.id}: the take picker offers ${JSON.stringify(offered)}, the channel's sources are ` +
          JSON.stringify(names));
      else
        console.log(`take picker of ${c.id}: ${offered.join(', ')}`);
    }

    // 3. every preview plays
    let cards = null, notPlaying = [];
    while (!problems.length && Date.now() < deadline) {
      cards = await pg.evaluate(cardsOnPage);
      notPlaying = api.filter((c) => !(cards[c.id] && cards[c.id].video && cards[c.id].video.t > a.minPlayed &&
        !cards[c.id].video.paused && cards[c.id].video.w > 0));
      if (!notPlaying.length) break;
      await sleep(250);
    }
    if (notPlaying.length)
      problems.push('previews not playing: ' + notPlaying.map((c) => `${c.id} (playlist ${c.playlist}, video ` +
        JSON.stringify(cards && cards[c.id] && cards[c.id].video) + `, note "${cards && cards[c.id] ? cards[c.id].note : ''}")`).join('; '));
    else if (cards)
      console.log('previews: ' + Object.entries(cards).map(([id, c]) => `${id} at ${c.video.t.toFixed(2)} s`).join(', '));

    // 4. skip: asks for the token, then what airs changes
    if (!problems.length) {
      const id = api[0].id;
      let now0 = null, room = false;
      while (!room && Date.now() < deadline) {
        now0 = (await channels(a.page)).find((c) => c.id === id).now;
        room = now0 && now0.ends && Date.parse(now0.ends) - Date.now() > SKIP_MARGIN_S * 1000;
        if (!room) await sleep(500);
      }
      if (!room)
        throw new Error(`no program on ${id} had ${SKIP_MARGIN_S} s left to skip within the timeout (now ${JSON.stringify(now0)})`);
      if (await pg.evaluate(() => document.getElementById('token-dialog').open))
        problems.push('the token dialog is open before any button was used');
      const card = pg.locator(`section.channel[data-channel="${id}"]`);
      const skip = card.getByRole('button', { name: /^Skip/ });
      const tClick = Date.now();
      await skip.click();
      const dialog = pg.locator('#token-dialog');
      await dialog.waitFor({ state: 'visible', timeout: 5000 });
      await pg.fill('#token-input', a.token);
      const tSent = Date.now();
      await pg.click('#token-ok');
      let now1 = null;
      while (Date.now() < tSent + 10000) {
        now1 = (await channels(a.page)).find((c) => c.id === id).now;
        if (now1 && now1.started !== now0.started) break;
        await sleep(200);
      }
      const started = now1 ? Date.parse(now1.started) : NaN;
      if (!now1 || now1.started === now0.started)
        problems.push(`skip on ${id} changed nothing: now ${JSON.stringify(now0)} still airs 10 s later`);
      else if (!(started >= tClick - 1000 && started <= Date.now() + 1000))
        problems.push(`after skip on ${id}, now.started is ${now1.started}, not at the click (${new Date(tClick).toISOString()})`);
      else
        console.log(`skip: ${id} "${now0.title}" (started ${now0.started}, due to end ${now0.ends}) → ` +
          `"${now1.title}" started ${now1.started}`);
      // the page follows: the new title shown, no error under the buttons
      let c = null;
      while (Date.now() < tSent + 10000) {
        c = (await pg.evaluate(cardsOnPage))[id];
        const cur = (await channels(a.page)).find((x) => x.id === id).now;
        if (c.result && c.result !== '…' && c.title === cur.title) break;
        await sleep(250);
      }
      if (!c || c.resultError || !c.result || c.result === '…')
        problems.push(`after skip the page reads "${c ? c.result : ''}" under ${id}'s buttons`);
      if (!(await pg.evaluate(() => !!sessionStorage.getItem('onair-admin-token'))))
        problems.push('the token was not kept in sessionStorage');
    }
    await sleep(1500);   // a refresh after the change, for the picture
    await pg.screenshot({ path: a.screenshot });
    console.log(`screenshot: ${a.screenshot}`);
  } catch (e) {
    problems.push('harness: ' + (e.stack || e.message));
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  }
  problems.push(...consoleErrors.map((t) => 'console error: ' + t));
  if (http.length) console.log(`http errors: ${http.join(' ')}`);
  if (problems.length) {
    console.log('browser console (last 30 lines):\n  ' + consoleLines.slice(-30).join('\n  '));
    console.error(`FAIL ${a.page}:\n  - ` + problems.join('\n  - '));
    process.exit(1);
  }
  console.log(`PASS ${a.page}`);
}

main();
