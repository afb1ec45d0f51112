// benchmark/chart.png: throughput of every server relative to uWebSockets.js, per scenario, drawn
// as SVG and rendered to PNG by headless Chromium (playwright-core, /usr/bin/chromium).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BENCH_DIR, ROOT, SCENARIOS, SERVERS } from './config.mjs';

const COLORS = {
  'ferrows-ws': '#d9480f',
  'ferrows-stream': '#f08c00',
  uws: '#1c7ed6',
  bun: '#ae3ec9',
  ws: '#5c940d',
  limit: '#868e96',
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The SVG text (ratios of medians to uWebSockets.js; scenarios where higher is better). */
export function chartSvg(r) {
  const scenarios = r.options.scenarios.filter((sc) => SCENARIOS[sc].higher && r.summary[sc].uws?.median);
  const servers = r.options.servers.filter((sv) => !SERVERS[sv].h2);
  const W = 1100;
  const rowH = 26 + servers.length * 18;
  const left = 330;
  const top = 70;
  const H = top + scenarios.length * rowH + 60;
  const max = Math.max(1.5, ...scenarios.flatMap((sc) => servers.map((sv) => r.summary[sc][sv]?.vs_uws ?? 0)));
  const scale = Math.min(4, Math.ceil(max * 2) / 2);
  const x = (v) => left + (Math.min(v, scale) / scale) * (W - left - 90);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="20" y="30" font-size="19" font-weight="bold">Throughput relative to uWebSockets.js (median of ${r.options.runs} runs; 1.0 = uWS.js)</text>`,
    `<text x="20" y="52" fill="#555">${esc(r.machine.cpu)}, ${r.machine.cores} cores, ${esc(r.machine.kernel)}, Node ${esc(r.machine.node)} — ${esc(r.started.slice(0, 10))}, load average ${r.loadavg.start[0].toFixed(1)} at start</text>`,
  ];
  for (let t = 0; t <= scale + 1e-9; t += 0.5) {
    parts.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${H - 50}" stroke="${t === 1 ? '#1c7ed6' : '#e9ecef'}" stroke-width="${t === 1 ? 2 : 1}"/>`);
    parts.push(`<text x="${x(t)}" y="${H - 32}" text-anchor="middle" fill="#555">${t.toFixed(1)}×</text>`);
  }
  scenarios.forEach((sc, i) => {
    const y0 = top + i * rowH;
    parts.push(`<text x="20" y="${y0 + 16}" font-weight="bold">${esc(SCENARIOS[sc].title)}</text>`);
    servers.forEach((sv, j) => {
      const c = r.summary[sc][sv];
      const y = y0 + 22 + j * 18;
      parts.push(`<text x="${left - 8}" y="${y + 11}" text-anchor="end" fill="#333">${esc(SERVERS[sv].label)}</text>`);
      if (!c || !Number.isFinite(c.vs_uws)) {
        const why = !c ? 'n/a' : c.errors.some((e) => e.startsWith('echo check failed')) ? 'echo check failed' : 'failed';
        parts.push(`<text x="${left + 4}" y="${y + 11}" fill="#c92a2a">${why}</text>`);
        return;
      }
      parts.push(`<rect x="${left}" y="${y}" width="${x(c.vs_uws) - left}" height="14" fill="${COLORS[sv]}"/>`);
      const label = `${c.vs_uws.toFixed(2)}×${c.vs_uws > scale ? ' (clipped)' : ''}`;
      parts.push(`<text x="${x(c.vs_uws) + 5}" y="${y + 11}" fill="#333">${label}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders the chart to benchmark/chart.png; returns an error message or null. */
export async function writeChart(r, file = `${BENCH_DIR}chart.png`) {
  const svg = chartSvg(r);
  const executablePath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  if (!executablePath) return 'no Chromium at /usr/bin/chromium (apt-get install -y chromium); chart not drawn';
  let chromium;
  try {
    ({ chromium } = createRequire(`${ROOT}package.json`)('playwright-core'));
  } catch {
    return 'playwright-core is not installed (npm install in the repo root); chart not drawn';
  }
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: file });
  } finally {
    await browser.close();
  }
  return null;
}
