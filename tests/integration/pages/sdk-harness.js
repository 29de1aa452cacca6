// Test page helper: records every SDK event the page sees in window.rg.events
// so that tests can wait on them. The page sets window.RG_Engine (the class,
// from the classic script or the ES module) and then loads this file.
(function () {
  'use strict';
  const EVENTS = ['roomStateChanged', 'roomStateUpdate', 'roomUserUpdate', 'roomStreamUpdate',
    'roomOnlineUserCountUpdate', 'roomStreamExtraInfoUpdate', 'tokenWillExpire', 'publisherStateUpdate',
    'playerStateUpdate', 'publishQualityUpdate', 'playQualityUpdate', 'soundLevelUpdate', 'remoteMicStatusUpdate'];

  const clone = (v) => JSON.parse(JSON.stringify(v === undefined ? null : v));

  // `match` is a partial description of `actual`: objects match when each of
  // their keys matches, an array inside an event's arguments matches when each
  // of its items matches some item of the actual array, null/undefined skip.
  function matches(actual, match) {
    if (match === null || match === undefined) return true;
    if (Array.isArray(match)) {
      if (!Array.isArray(actual)) return false;
      return match.every((m) => actual.some((a) => matches(a, m)));
    }
    if (typeof match === 'object') {
      if (!actual || typeof actual !== 'object') return false;
      return Object.keys(match).every((k) => matches(actual[k], match[k]));
    }
    return actual === match;
  }

  // The top-level arguments match by position.
  function argsMatch(args, match) {
    if (!match) return true;
    return match.every((m, i) => matches(args[i], m));
  }

  const rg = {
    ready: false,
    events: [],
    engine: null,
    record(name, args) { rg.events.push({ name, args: clone(args), t: Date.now() }); },
    find(name, match) {
      const e = rg.events.find((x) => x.name === name && argsMatch(x.args, match));
      return e ? e.args : null;
    },
    all(name, match) {
      return rg.events.filter((x) => x.name === name && argsMatch(x.args, match)).map((x) => x.args);
    },
    create(appID, server) {
      rg.engine = new window.RG_Engine(appID, server);
      rg.engine.setLogConfig({ logLevel: 'info' });
      EVENTS.forEach((n) => rg.engine.on(n, (...a) => rg.record(n, a)));
      return true;
    },
    async login(roomID, token, user, config) {
      try {
        const r = await rg.engine.loginRoom(roomID, token, user, config);
        rg.record('loginResolved', [r]);
        return { ok: true, value: r };
      } catch (e) {
        rg.record('loginRejected', [e]);
        return { ok: false, error: clone(e) };
      }
    },
    matches,
  };
  window.rg = rg;
})();
