// The onair status page (web/status.html): reads /api/v1/channels every
// REFRESH_MS, each channel's schedule when what airs changes (or every
// SCHEDULE_MS), /metrics for the figures the API does not carry, and follows
// /api/v1/events. The buttons send changes with the admin token, asked for
// the first time one is used and kept in sessionStorage (docs/api.md).
// Every URL is relative, so the page also works behind a proxy under a prefix.
(function () {
  'use strict';

  const REFRESH_MS = 2000;
  const SCHEDULE_MS = 15000;
  const EVENTS_KEPT = 200;
  const TOKEN_KEY = 'onair-admin-token';
  const API = 'api/v1/';

  const $ = (id) => document.getElementById(id);
  const cards = new Map();      // channel id -> Card
  let clockOffsetMs = 0;        // the server's clock minus this browser's
  // The timeline's reach in s, or 'auto': per channel, the shortest of
  // SPANS_S that shows AUTO_BOUNDARIES program starts ahead (a loop of
  // seconds-long items and a day of hour-long shows both read well).
  let spanChoice = $('span').value;
  const SPANS_S = [300, 1800, 7200, 21600];
  const AUTO_BOUNDARIES = 3;
  let lastMetrics = null;       // { at, series } of the previous /metrics read
  let refreshTimer = 0;

  // ---- small helpers ----------------------------------------------------

  function now() {
    return Date.now() + clockOffsetMs;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function pad(n, w) {
    return String(n).padStart(w || 2, '0');
  }

  // UTC, as the header's clock: channels may have other time zones, and one
  // clock for the whole room avoids misreading one.
  function hms(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    const d = new Date(ms);
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }

  function hm(ms, seconds) {
    const d = new Date(ms);
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + (seconds ? ':' + pad(d.getUTCSeconds()) : '');
  }

  // A countdown: 0:42, 12:05, 1:02:03
  function clockSpan(s) {
    const neg = s < 0;
    s = Math.floor(Math.abs(s));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
    return (neg ? '−' : '') + (h ? h + ':' + pad(m) : m) + ':' + pad(r);
  }

  function seconds(v, digits) {
    return v === null || v === undefined || !isFinite(v) ? '–' : v.toFixed(digits === undefined ? 1 : digits) + ' s';
  }

  function bytes(v) {
    if (!isFinite(v)) return '–';
    if (v < 1024) return v + ' B';
    if (v < 1048576) return (v / 1024).toFixed(0) + ' KiB';
    return (v / 1048576).toFixed(1) + ' MiB';
  }

  function parseTime(iso) {
    if (!iso) return null;
    const t = Date.parse(iso);
    return isNaN(t) ? null : t;
  }

  function showBanner(text) {
    $('banner-text').textContent = text;
    $('banner').hidden = false;
  }

  // ---- reading ----------------------------------------------------------

  async function getJSON(path) {
    const r = await fetch(path, { cache: 'no-store' });
    const date = Date.parse(r.headers.get('Date') || '');
    // Date has whole seconds: follow it only when the browser is clearly
    // off, so that a right clock is not made worse by the rounding
    if (!isNaN(date)) {
      const off = date + 500 - Date.now();
      clockOffsetMs = Math.abs(off) > 1500 ? off : 0;
    }
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    if (!r.ok)
      throw new Error(path + ': ' + r.status + (body && body.error ? ' ' + body.error : ''));
    return body;
  }

  // Prometheus text exposition: [{name, labels, value}], comments skipped.
  function parseMetrics(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      if (m[3]) {
        const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
        let l;
        while ((l = re.exec(m[3])) !== null)
          labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
      }
      const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
      out.push({ name: m[1], labels: labels, value: v });
    }
    return out;
  }

  // The sum of the series named `name` whose labels include `match`.
  function metricSum(series, name, match) {
    let sum = 0, found = false;
    for (const s of series) {
      if (s.name !== name) continue;
      let ok = true;
      for (const k in match)
        if (s.labels[k] !== match[k]) { ok = false; break; }
      if (ok) { sum += s.value; found = true; }
    }
    return found ? sum : null;
  }

  // What moved between two reads of /metrics: a counter's rate, or a
  // histogram's mean over the interval (null when nothing was observed).
  function rate(prev, cur, name, match) {
    if (!prev) return null;
    const a = metricSum(prev.series, name, match), b = metricSum(cur.series, name, match);
    const dt = (cur.at - prev.at) / 1000;
    return a === null || b === null || dt <= 0 || b < a ? null : (b - a) / dt;
  }

  function recentMean(prev, cur, name, match) {
    if (!prev) return null;
    const ds = (metricSum(cur.series, name + '_sum', match) || 0) - (metricSum(prev.series, name + '_sum', match) || 0);
    const dn = (metricSum(cur.series, name + '_count', match) || 0) - (metricSum(prev.series, name + '_count', match) || 0);
    return dn > 0 ? ds / dn : null;
  }

  async function readMetrics() {
    try {
      const r = await fetch('metrics', { cache: 'no-store' });
      if (!r.ok) return null;
      return { at: Date.now(), series: parseMetrics(await r.text()) };
    } catch (e) {
      return null;
    }
  }

  async function refresh() {
    clearTimeout(refreshTimer);
    let list;
    try {
      const [body, metrics] = await Promise.all([getJSON(API + 'channels'), readMetrics()]);
      list = body.channels || [];
      const prev = lastMetrics;
      if (metrics) lastMetrics = metrics;
      $('link').textContent = 'live · ' + hms(now());
      $('link').className = 'link ok';
      render(list, metrics, prev);
    } catch (e) {
      $('link').textContent = 'no answer from onair (' + e.message + ')';
      $('link').className = 'link bad';
    }
    refreshTimer = setTimeout(refresh, REFRESH_MS);
  }

  // An event about a channel: read it again now rather than at the next tick.
  let soonTimer = 0;
  function refreshSoon() {
    clearTimeout(soonTimer);
    soonTimer = setTimeout(refresh, 150);
  }

  // ---- a channel's card -------------------------------------------------

  class Card {
    constructor(id) {
      this.id = id;
      this.root = $('channel-template').content.firstElementChild.cloneNode(true);
      this.root.dataset.channel = id;
      this.root.setAttribute('aria-label', 'Channel ' + id);
      this.q = (sel) => this.root.querySelector(sel);
      this.q('.ch-id').textContent = id;
      this.ch = null;
      this.schedule = null;
      this.scheduleAt = 0;
      this.scheduleKey = '';
      this.span = SPANS_S[0];
      this.sourceNames = [];   // every source of the channel: what the take picker offers
      this.preview = { src: undefined, hls: null, retry: 0 };
      for (const b of this.root.querySelectorAll('button[data-action]'))
        b.addEventListener('click', () => this.act(b.dataset.action, b));
      const label = (sel, text) => this.q(sel).setAttribute('aria-label', text + ' on ' + id);
      label('[data-action=skip]', 'Skip the program on air');
      label('[data-action=slate]', 'Hold the slate');
      label('[data-action=release]', 'Release the held slate');
      label('[data-action=take]', 'Take the chosen source');
      label('[data-action=extend]', 'Extend the program on air');
      label('.slate-dur', 'How long to hold the slate (empty: until released)');
      label('.take-source', 'Source to take');
      label('.take-dur', 'How long to take it (empty: until the next program)');
      label('.extend-by', 'Extend by (negative shortens)');
      this.q('.timeline').setAttribute('aria-label', 'Timeline of ' + id);
      this.q('video').setAttribute('aria-label', 'Live preview of ' + id);
    }

    update(ch, metrics, prev) {
      this.ch = ch;
      const q = this.q;
      q('.ch-title').textContent = ch.title || '';
      const state = q('.ch-state');
      state.textContent = (ch.state || 'unknown').replace('_', ' ');
      state.className = 'ch-state badge state-' + (ch.state || 'unknown');

      const m = { channel: this.id };
      const ready = metrics ? metricSum(metrics.series, 'onair_channel_ready', m) : null;
      const readyEl = q('.ch-ready');
      readyEl.hidden = ready === null;
      readyEl.textContent = ready ? 'on time' : 'late';
      readyEl.className = 'ch-ready badge ' + (ready ? 'good' : 'bad');

      const n = ch.now || {};
      // the API says the role; the metric is its second witness
      let role = n.role;
      if (!role && metrics)
        for (const r of ['primary', 'backup', 'slate'])
          if (metricSum(metrics.series, 'onair_source_active', { channel: this.id, role: r }) === 1) role = r;
      const roleEl = q('.role');
      roleEl.textContent = (role || '–').toUpperCase();
      roleEl.className = 'role badge role-' + (role || 'none');
      q('.kind').textContent = n.kind ? n.kind.replace('_', ' ') : '';
      q('.now-title').textContent = n.title || (ch.now ? '(untitled)' : '—');
      q('.now-source').textContent = n.source ? 'source ' + n.source : (ch.now ? 'the slate' : '');
      this.started = parseTime(n.started);
      this.ends = parseTime(n.ends);
      q('.started').textContent = hms(this.started);
      q('.ends').textContent = n.ends ? hms(this.ends) : 'open';

      const x = ch.next;
      q('.next-title').textContent = x ? (x.title || '(untitled)') : 'nothing scheduled';
      q('.next-source').textContent = x ? (x.source ? x.source : 'the slate') : '';
      this.nextStarts = x ? parseTime(x.starts) : null;
      q('.next-starts').textContent = x && x.starts ? 'at ' + hms(this.nextStarts) : '';

      // segments: the API's age, the publish delay's mean since the last read
      const age = ch.last_segment_age_seconds;
      q('.seg-age').textContent = isFinite(age) && age !== null ? seconds(age) + ' ago' : 'none yet';
      const delay = metrics ? recentMean(prev, metrics, 'onair_segment_publish_delay_seconds', m) : null;
      if (delay !== null) q('.seg-delay').textContent = seconds(delay, 3);
      const fps = metrics ? rate(prev, metrics, 'onair_frames_total', m) : null;
      if (fps !== null) q('.fps').textContent = fps.toFixed(1) + ' fps';

      this.renderSources(ch.sources || []);
      this.renderPush(ch.push || [], metrics, prev);
      this.renderPreview(ch);
      this.fillTakeSources();

      // the timeline changes when what airs does (skip, take, a reload, the
      // next program): read it again then, else now and then
      const key = [n.item, n.kind, n.started, n.ends, x && x.starts].join('|');
      if (key !== this.scheduleKey || Date.now() - this.scheduleAt > SCHEDULE_MS) {
        this.scheduleKey = key;
        this.loadSchedule();
      }
      this.tick();
    }

    // The live inputs, as the channel object lists them: healthy is known for the one on air
    // (false: it went silent and its backup or the slate airs instead). Every source, live or
    // not, is one the take picker offers.
    renderSources(sources) {
      const ul = this.q('.sources');
      ul.textContent = '';
      this.sourceNames = sources.map((s) => s.name);
      const live = sources.filter((s) => s.live);
      if (!live.length) ul.append(el('li', 'muted', 'no live inputs'));
      for (const s of live) {
        const li = el('li');
        const sick = s.on_air && s.healthy === false;
        const state = !s.on_air ? 'standby' : sick ? 'on air, silent: replaced' : 'on air, delivering';
        li.append(el('span', 'dot ' + (sick ? 'bad' : s.on_air ? 'good' : 'idle')), el('span', 'mono', s.name),
          el('span', 'muted', ' ' + state));
        ul.append(li);
      }
    }

    renderPush(push, metrics, prev) {
      const ul = this.q('.push');
      ul.textContent = '';
      if (!push.length) ul.append(el('li', 'muted', 'no push targets'));
      for (const p of push) {
        const li = el('li');
        const m = { channel: this.id, target: String(p.target) };
        let detail = ' ' + (p.ok ? 'ok' : 'failing') + (p.last_status ? ', last ' + p.last_status : '');
        if (p.failures) detail += ', ' + p.failures + ' failed';
        if (p.dropped) detail += ', ' + p.dropped + ' dropped';
        if (p.waiting_files) detail += ', ' + p.waiting_files + ' waiting (' + bytes(p.spool_bytes) + ')';
        if (metrics) {
          const lat = recentMean(prev, metrics, 'onair_push_publish_latency_seconds', Object.assign({ kind: 'media' }, m));
          if (lat !== null) detail += ', media ' + (lat * 1000).toFixed(0) + ' ms';
        }
        li.append(el('span', 'dot ' + (p.ok ? 'good' : 'bad')), el('span', 'mono', 'target ' + p.target),
          el('span', 'muted', detail));
        ul.append(li);
      }
    }

    fillTakeSources() {
      const sel = this.q('.take-source');
      const names = [...this.sourceNames].sort();
      if (sel.options.length === names.length && [...sel.options].every((o, i) => o.value === names[i]))
        return;
      const keep = sel.value;
      sel.textContent = '';
      for (const name of names) sel.append(new Option(name, name, false, name === keep));
    }

    async loadSchedule() {
      this.scheduleAt = Date.now();
      const fixed = spanChoice !== 'auto';
      // auto reads an hour first, all of the longest span when that is sparse
      let hours = Math.max(1, Math.ceil((fixed ? Number(spanChoice) : SPANS_S[0]) / 3600));
      try {
        for (;;) {
          const s = await getJSON(API + 'channels/' + encodeURIComponent(this.id) + '/schedule?hours=' + hours);
          this.schedule = (s.entries || []).map((e) => ({
            start: parseTime(e.start), end: parseTime(e.end), title: e.title, source: e.source,
            kind: e.kind, item: e.item, flags: e.flags || [] }));
          if (fixed) {
            this.span = Number(spanChoice);
            break;
          }
          const t = now(), maxS = SPANS_S[SPANS_S.length - 1];
          const fits = (span) => this.schedule.filter((e) => e.start > t && e.start <= t + span * 900).length >= AUTO_BOUNDARIES;
          this.span = SPANS_S.find((span) => span <= hours * 3600 && fits(span)) || maxS;
          if (this.span <= hours * 3600 || hours * 3600 >= maxS) break;
          hours = Math.ceil(maxS / 3600);
        }
        this.drawTimeline();
      } catch (e) {
        this.q('.tl-track').textContent = 'timeline: ' + e.message;
      }
    }

    // The next this.span seconds (and a tenth of that behind), boundaries to scale.
    drawTimeline() {
      const track = this.q('.tl-track'), ticks = this.q('.tl-ticks');
      const t = now(), from = t - this.span * 100, to = t + this.span * 900;   // ms: 10% behind, 90% ahead
      const x = (ms) => ((ms - from) / (to - from) * 100);
      track.textContent = '';
      ticks.textContent = '';
      const described = [];
      (this.schedule || []).forEach((e) => {
        if (e.end === null || e.start === null || e.end <= from || e.start >= to) return;
        const b = el('div', 'tl-entry kind-' + (e.kind || 'schedule') + ' alt' + (Math.abs(e.item) % 2));
        const l = Math.max(0, x(e.start)), r = Math.min(100, x(e.end));
        b.style.left = l + '%';
        b.style.width = (r - l) + '%';
        const label = (e.title || (e.source ? e.source : 'slate')) + ' ' + hm(e.start, true) + '–' + hm(e.end, true);
        b.title = label + (e.flags.length ? ' (' + e.flags.join(', ') + ')' : '');
        b.append(el('span', null, e.title || e.source || 'slate'));
        track.append(b);
        if (e.end > t && described.length < 4) described.push(label);
      });
      const mark = el('div', 'tl-now');
      mark.style.left = x(t) + '%';
      track.append(mark);
      const step = [15, 30, 60, 300, 600, 900, 1800, 3600, 7200].find((s) => this.span / s <= 8) * 1000;
      for (let k = Math.ceil(from / step) * step; k <= to; k += step) {
        const tk = el('span', null, hm(k, step < 60000));
        tk.style.left = x(k) + '%';
        ticks.append(tk);
      }
      this.q('.timeline').setAttribute('aria-label', 'Timeline of ' + this.id + ': ' +
        (described.length ? described.join('; ') : 'nothing scheduled'));
    }

    tick() {
      const t = now();
      const cd = this.q('.countdown');
      if (this.ends !== null && this.ends !== undefined) {
        cd.textContent = clockSpan((this.ends - t) / 1000) + ' left';
        cd.classList.toggle('soon', this.ends - t < 10000);
      } else {
        cd.textContent = this.started ? 'on for ' + clockSpan((t - this.started) / 1000) : '';
        cd.classList.remove('soon');
      }
      if (this.schedule) this.drawTimeline();
    }

    // ---- the preview: a muted <video> on the channel's playlist --------

    renderPreview(ch) {
      const p = this.preview, video = this.q('video'), note = this.q('.preview-note');
      const src = ch.playlist || null;
      if (src === p.src) return;
      this.stopPreview();
      p.src = src;
      const say = (text) => { note.textContent = text; note.hidden = !text; };
      if (!src) {
        say('No preview: ' + this.id + ' is not served (no output.serve in its config), so it has no playlist.');
        return;
      }
      say('');
      if (window.Hls && window.Hls.isSupported()) {
        // small buffers and the rung that fits the preview: a room full of
        // previews costs the server and this browser little
        const hls = new window.Hls({ lowLatencyMode: true, capLevelToPlayerSize: true,
          backBufferLength: 10, maxBufferLength: 10 });
        p.hls = hls;
        hls.on(window.Hls.Events.MANIFEST_PARSED, () => {
          const r = video.play();
          if (r && r.catch) r.catch(() => say('Press play: this browser blocked autoplay.'));
        });
        hls.on(window.Hls.Events.FRAG_BUFFERED, () => { p.retry = 0; say(''); });
        hls.on(window.Hls.Events.ERROR, (ev, d) => {
          if (!d.fatal || p.hls !== hls) return;
          if (d.type === window.Hls.ErrorTypes.MEDIA_ERROR && p.retry++ < 5) {
            hls.recoverMediaError();
            return;
          }
          // the channel starting, or its server away: start again soon
          say('Preview: ' + d.details + ' on ' + src + '; retrying…');
          setTimeout(() => {
            if (p.hls === hls) { p.src = undefined; this.renderPreview(this.ch); }
          }, 3000);
        });
        hls.loadSource(src);
        hls.attachMedia(video);
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = src;    // Safari plays HLS itself
      } else if (!window.Hls) {
        say('No preview: hls.js is missing on the admin listener (run npm ci in onair\'s web/ folder).');
      } else {
        say('No preview: this browser cannot play HLS (no Media Source Extensions).');
      }
    }

    stopPreview() {
      const p = this.preview;
      if (p.hls) { p.hls.destroy(); p.hls = null; }
      const video = this.q('video');
      video.removeAttribute('src');
    }

    // ---- changes ------------------------------------------------------

    async act(action, button) {
      const base = API + 'channels/' + encodeURIComponent(this.id) + '/';
      const q = this.q, out = q('.result');
      let method = 'POST', path, body = {}, what;
      if (action === 'skip') {
        path = 'skip'; what = 'skip';
      } else if (action === 'slate') {
        path = 'slate';
        const d = q('.slate-dur').value.trim();
        if (d) body.duration = d;
        what = 'slate held' + (d ? ' for ' + d : ' until released');
      } else if (action === 'release') {
        method = 'DELETE'; path = 'slate'; body = null; what = 'slate released';
      } else if (action === 'take') {
        path = 'take';
        body.source = q('.take-source').value;
        const d = q('.take-dur').value.trim();
        if (d) body.duration = d;
        if (!body.source) return this.say('Take: no source to choose.', true);
        what = body.source + ' taken' + (d ? ' for ' + d : ' until the next program');
      } else if (action === 'extend') {
        path = 'extend';
        body.by = q('.extend-by').value.trim();
        if (!body.by) return this.say('Extend: give an amount, e.g. 5m or -2m.', true);
        what = 'extended by ' + body.by;
      } else {
        return;
      }
      for (const b of this.root.querySelectorAll('button')) b.disabled = true;
      out.textContent = '…';
      try {
        const r = await change(method, base + path, body);
        if (!r) {
          this.say('Not sent: no token given.', true);
        } else if (r.ok) {
          this.say(hms(now()) + ' ' + what + '.', false);
          if (r.body && r.body.id === this.id) this.update(r.body, lastMetrics, null);
          refreshSoon();
        } else {
          this.say((r.body && r.body.error) || (r.status + ' ' + r.statusText), true, r.status);
        }
      } catch (e) {
        this.say('Not sent: ' + e.message, true);
      } finally {
        for (const b of this.root.querySelectorAll('button')) b.disabled = false;
      }
    }

    say(text, error, status) {
      const out = this.q('.result');
      out.textContent = (error && status ? status + ': ' : '') + text;
      out.classList.toggle('error', !!error);
    }
  }

  // A change with the token (asked for when there is none, and again after a
  // 401). Returns {ok, status, statusText, body}, or null when the user gave
  // no token.
  async function change(method, path, body) {
    let why = null;
    for (let tries = 0; tries < 3; tries++) {
      let token = sessionStorage.getItem(TOKEN_KEY);
      if (!token || why) {
        token = await askToken(why);
        if (!token) return null;
        sessionStorage.setItem(TOKEN_KEY, token);
        $('forget').hidden = false;
      }
      const init = { method: method, headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' };
      if (body !== null) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      const r = await fetch(path, init);
      let json = null;
      try {
        json = await r.json();
      } catch (e) {
        json = null;
      }
      if (r.status !== 401)
        return { ok: r.ok, status: r.status, statusText: r.statusText, body: json };
      sessionStorage.removeItem(TOKEN_KEY);
      why = 'onair refused that token' + (json && json.error ? ' (' + json.error + ')' : '') + '. Enter it again.';
    }
    return { ok: false, status: 401, statusText: 'Unauthorized', body: { error: 'the token was refused three times' } };
  }

  let tokenWait = null;
  function askToken(why) {
    if (tokenWait) return tokenWait;   // one dialog for buttons pressed together
    const dlg = $('token-dialog'), input = $('token-input');
    const p = $('token-why');
    if (!p.dataset.text) p.dataset.text = p.innerHTML;
    if (why) p.textContent = why; else p.innerHTML = p.dataset.text;
    input.value = '';
    tokenWait = new Promise((resolve) => {
      dlg.addEventListener('close', function done() {
        dlg.removeEventListener('close', done);
        tokenWait = null;
        resolve(dlg.returnValue === 'ok' ? input.value.trim() : null);
      });
    });
    dlg.returnValue = '';
    dlg.showModal();
    input.focus();
    return tokenWait;
  }

  // ---- the list of channels ---------------------------------------------

  function render(list, metrics, prev) {
    $('count').textContent = String(list.length);
    $('empty').hidden = list.length > 0;
    $('empty').textContent = 'No channels in this process.';
    const seen = new Set();
    let before = $('empty');
    for (const ch of list) {
      seen.add(ch.id);
      let card = cards.get(ch.id);
      if (!card) {
        card = new Card(ch.id);
        cards.set(ch.id, card);
      }
      if (before.nextSibling !== card.root) before.after(card.root);
      before = card.root;
      card.update(ch, metrics, prev);
    }
    for (const [id, card] of cards)
      if (!seen.has(id)) {
        card.stopPreview();
        card.root.remove();
        cards.delete(id);
      }
  }

  // ---- events -------------------------------------------------------------

  const SKIP_FIELDS = new Set(['time', 'seq', 'channel', 'event']);

  function describe(ev) {
    const parts = [];
    for (const k in ev) {
      if (SKIP_FIELDS.has(k)) continue;
      const v = ev[k];
      parts.push(k + '=' + (typeof v === 'object' && v !== null ? JSON.stringify(v) : v));
    }
    return parts.join(' ');
  }

  function followEvents() {
    if (!window.EventSource) {
      $('events-state').textContent = 'this browser has no EventSource';
      return;
    }
    const list = $('events');
    const es = new EventSource(API + 'events');
    es.onopen = () => { $('events-state').textContent = 'live'; };
    es.onerror = () => { $('events-state').textContent = 'reconnecting…'; };
    es.onmessage = (m) => {
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      const li = el('li', 'ev ev-' + (ev.event || 'unknown'));
      li.append(el('time', 'mono', hms(parseTime(ev.time))), el('span', 'ev-ch mono', ev.channel || ''),
        el('span', 'ev-name', ev.event || '?'), el('span', 'ev-detail muted', describe(ev)));
      list.prepend(li);
      while (list.children.length > EVENTS_KEPT) list.lastChild.remove();
      if (ev.channel && cards.has(ev.channel)) refreshSoon();
    };
  }

  // ---- start --------------------------------------------------------------

  $('span').addEventListener('change', () => {
    spanChoice = $('span').value;
    for (const c of cards.values()) c.loadSchedule();
  });
  $('banner-close').addEventListener('click', () => { $('banner').hidden = true; });
  $('forget').hidden = !sessionStorage.getItem(TOKEN_KEY);
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('forget').hidden = true;
  });
  setInterval(() => {
    $('clock').textContent = hms(now());
    for (const c of cards.values()) c.tick();
  }, 1000);
  if (!window.Hls && !document.createElement('video').canPlayType('application/vnd.apple.mpegurl'))
    showBanner('hls.js did not load from the admin listener: previews are off (run npm ci in onair\'s web/ folder).');
  window.onairStatus = { cards: cards };
  refresh();
  followEvents();
})();
