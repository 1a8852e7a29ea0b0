// The onair player page: plays a channel's master.m3u8 live with hls.js and
// shows where it plays against the live edge and against the wall clock
// (PROGRAM-DATE-TIME of the frame on screen, read with the server's clock
// from /time, so a browser's clock that is off does not skew the figure).
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const video = $('video');

  // The channel is the URL's first path segment (/<channel>/); the server
  // also wrote it into the page, for a copy of the page served elsewhere.
  let channel = decodeURIComponent(location.pathname.split('/').filter(Boolean)[0] || '');
  if (!/^[a-z0-9-]+$/.test(channel) || channel === 'player')
    channel = document.body.dataset.channel || '';
  const src = '/' + channel + '/master.m3u8';
  $('source').href = src;
  $('source').textContent = src;

  let clockOffsetMs = 0;   // server clock minus this browser's

  function fail(text) {
    $('error').textContent = text;
    $('error').hidden = false;
    $('state').textContent = 'error';
  }

  async function syncClock() {
    try {
      const t0 = Date.now();
      const r = await fetch('/time', { cache: 'no-store' });
      const server = Date.parse(await r.text());
      const t1 = Date.now();
      if (r.ok && !isNaN(server))
        clockOffsetMs = server - (t0 + t1) / 2;
    } catch (e) {
      // keep the browser's clock
    }
  }

  function seconds(s) {
    return isFinite(s) ? s.toFixed(1) + ' s' : '–';
  }

  function bufferedAhead() {
    const b = video.buffered, t = video.currentTime;
    for (let i = 0; i < b.length; i++)
      if (b.start(i) <= t + 0.1 && t <= b.end(i))
        return b.end(i) - t;
    return 0;
  }

  function show(hls) {
    $('state').textContent = video.paused ? 'paused' : video.readyState < 3 ? 'buffering' : 'playing';
    $('buffer').textContent = seconds(bufferedAhead());
    if (!hls)
      return;
    const level = hls.levels && hls.levels[hls.currentLevel];
    if (level)
      $('level').textContent = (level.height ? level.height + 'p, ' : '') +
        Math.round(level.bitrate / 1000) + ' kb/s (' + (hls.currentLevel + 1) + ' of ' + hls.levels.length + ')';
    const details = level && level.details;
    if (details && details.live)
      $('edge').textContent = seconds(hls.latency);
    else if (details)
      $('edge').textContent = 'not live (VOD)';
    const pdt = hls.playingDate;
    if (pdt && !isNaN(pdt.getTime())) {
      $('pdt').textContent = pdt.toISOString();
      $('latency').textContent = seconds((Date.now() + clockOffsetMs - pdt.getTime()) / 1000);
    }
  }

  function play() {
    const p = video.play();
    if (p && p.catch)
      p.catch(() => { $('state').textContent = 'press play'; });
  }

  function start() {
    if (!channel)
      return fail('No channel in the URL: open /<channel>/.');
    if (window.Hls && window.Hls.isSupported()) {
      // lowLatencyMode: parts and blocking reloads where the channel has
      // output.low_latency; maxLiveSyncPlaybackRate: play up to 10% fast to
      // reach PART-HOLD-BACK after a slow start (hls.js's default, 1, stays
      // wherever start-up left it: 2.2 s behind instead of 1.6, bench/latency).
      // No liveSyncDurationCount: hls.js's default is already 3 segments, and
      // one given here overrides PART-HOLD-BACK (6 s behind, not 1.5)
      const hls = new window.Hls({ backBufferLength: 30, lowLatencyMode: true,
                                   maxLiveSyncPlaybackRate: 1.1 });
      window.onairPlayer = { hls: hls, video: video, src: src };
      let networkRetries = 0;
      hls.on(window.Hls.Events.MANIFEST_PARSED, play);
      hls.on(window.Hls.Events.FRAG_BUFFERED, () => { networkRetries = 0; });
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        if (!data.fatal)
          return;
        if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR && networkRetries++ < 30) {
          // a channel that is starting, or a server that restarts: try again
          $('state').textContent = 'waiting for ' + src;
          setTimeout(() => hls.loadSource(src), 2000);
        } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
          hls.recoverMediaError();
        } else {
          fail('Playback failed: ' + data.details + '.');
        }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      setInterval(() => show(hls), 500);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      // Safari plays HLS itself
      video.src = src;
      video.addEventListener('loadedmetadata', play);
      setInterval(() => show(null), 500);
    } else if (!window.Hls) {
      fail('hls.js is missing on the server: run `npm ci` in onair\'s web/ folder.');
    } else {
      fail('This browser cannot play HLS (no Media Source Extensions).');
    }
  }

  syncClock();
  setInterval(syncClock, 60000);
  start();
})();
