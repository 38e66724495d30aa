/**
 * The local Prometheus launcher: targets taken from a file_sd file can be changed while it runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startPrometheus, writeTargetsFile } from '../../../infra/local/prometheus/prometheus.js';
import { PrometheusClient } from '../../../lib/adapters/prometheus/client.js';

it('picks up targets written to its file_sd file at run time', async () => {
  // Prepare: a Prometheus with no targets yet, and an exporter it does not know about.
  const dir = mkdtempSync(join(tmpdir(), 'codedance-file-sd-'));
  const exporter = createServer((_req, res) => { res.end('# TYPE demo_up gauge\ndemo_up 1\n'); });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const { port } = exporter.address() as AddressInfo; // our own server's address, not external data
  const prometheus = await startPrometheus({ targetsFile: join(dir, 'targets.json'), scrapeTargets: [] });
  const client = new PrometheusClient({ baseUrl: prometheus.url });
  try {
    expect(await client.instant('demo_up', new Date())).toMatchObject({ kind: 'no-data' });
    // Act
    writeTargetsFile(join(dir, 'targets.json'), [`127.0.0.1:${port}`]);
    // Assess: scraped within seconds, not after the 5 min default refresh (inotify sees the rename; the
    // discovery manager then passes target changes on at most every 5 s, so this takes about 5-6 s).
    const deadline = Date.now() + 15_000;
    let seen = await client.instant('demo_up', new Date());
    while (seen.kind === 'no-data' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await client.instant('demo_up', new Date());
    }
    expect(seen).toEqual({ kind: 'value', value: 1 });
  } finally {
    await prometheus.stop();
    exporter.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 40_000);
