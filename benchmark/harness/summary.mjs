// Reduces the samples to one figure per scenario × server: the median of the successful
// samples, their spread (min–max), and ratios to uWebSockets.js and to the native limit (HTTP/2
// scenarios: to Node's bare http2 echo, the ceiling, and to ferrows' HTTP/1.1 server).
import { H1_REFERENCE, H2_CEILING, SCENARIOS } from './config.mjs';

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function stats(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function cell(samples) {
  const ok = samples.filter((s) => s.ok);
  const c = {
    samples: samples.length,
    ok: ok.length,
    errors: samples.filter((s) => !s.ok).map((s) => s.error),
  };
  if (!ok.length) return c;
  Object.assign(c, stats(ok.map((s) => s.value)));
  c.values = ok.map((s) => s.value);
  c.server_cpu = median(ok.map((s) => s.server_cpu).filter(Number.isFinite));
  c.client_cpu = median(ok.map((s) => s.result.client_cpu).filter(Number.isFinite));
  c.others_cpu0 = median(ok.map((s) => s.others_cpu0).filter(Number.isFinite));
  c.others_cpu1 = median(ok.map((s) => s.others_cpu1).filter(Number.isFinite));
  // Server CPU time per message (or cycle), µs: steadier than the rate on a contended machine.
  c.server_us_per_op = median(ok.map((s) => (s.server_cpu / s.value) * 1e6).filter(Number.isFinite));
  if (ok[0].result.latency_us) {
    c.latency_us = {};
    for (const q of ['p50', 'p99', 'p999']) c.latency_us[q] = stats(ok.map((s) => s.result.latency_us[q]));
  }
  if (ok[0].result.handshake_us) c.handshake_p50_us = median(ok.map((s) => s.result.handshake_us.p50));
  if (ok[0].rss_base !== undefined) {
    c.rss_base = median(ok.map((s) => s.rss_base));
    c.rss_idle = median(ok.map((s) => s.rss_idle));
  }
  c.compressed_echoes = ok.reduce((n, s) => n + (s.result.compressed_echoes ?? 0), 0);
  c.plain_echoes = ok.reduce((n, s) => n + (s.result.plain_echoes ?? 0), 0);
  return c;
}

/**
 * scenario → server → cell, with `vs_uws` and `vs_limit` ratios of the medians, and for the
 * HTTP/2 scenarios `vs_ceiling` and `vs_h1`.
 */
export function summarize(samples, scenarios, servers) {
  const out = {};
  for (const sc of scenarios) {
    out[sc] = {};
    for (const sv of servers) {
      const mine = samples.filter((s) => s.scenario === sc && s.server === sv);
      if (mine.length) out[sc][sv] = cell(mine);
    }
    const uws = out[sc].uws?.median;
    const limit = out[sc].limit?.median;
    const ceiling = out[sc][H2_CEILING]?.median;
    const h1 = out[sc][H1_REFERENCE]?.median;
    for (const c of Object.values(out[sc])) {
      if (!Number.isFinite(c.median)) continue;
      if (SCENARIOS[sc]?.h2) {
        if (Number.isFinite(ceiling)) c.vs_ceiling = c.median / ceiling;
        if (Number.isFinite(h1)) c.vs_h1 = c.median / h1;
        continue;
      }
      if (Number.isFinite(uws)) c.vs_uws = c.median / uws;
      if (Number.isFinite(limit)) c.vs_limit = c.median / limit;
    }
  }
  return out;
}
