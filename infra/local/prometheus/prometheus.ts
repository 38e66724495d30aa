/**
 * A real Prometheus (Debian's package, 2.42 on bookworm) for the local stack and the integration tests:
 * its own config, TSDB and port in a temp dir, so it never touches /etc/prometheus or the packaged service.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, spawnGroup, stopGroup, waitFor } from '../child-processes.js';
import { ensureDebianPackage } from '../system-packages.js';

export interface LocalPrometheusOptions {
  /** `host:port` of each /metrics endpoint to scrape. */
  scrapeTargets?: string[];
  /** Scrape (and rule evaluation) interval. Default 1 s, so tests see data within seconds. */
  scrapeIntervalSeconds?: number;
  /** Default: a free loopback port. */
  port?: number;
  /**
   * A file_sd JSON file to take targets from as well; Prometheus watches it, so rewriting it (see
   * writeTargetsFile) changes the targets while it runs. scrapeTargets, if given, are written into it.
   */
  targetsFile?: string;
  /** How long to wait for /-/ready. Default 30 s. */
  timeoutMs?: number;
}

export interface LocalPrometheus {
  /** e.g. http://127.0.0.1:41235 */
  url: string;
  /** Kills the process group, waits for it, and removes the temp dir (config and TSDB). */
  stop(): Promise<void>;
}

/** Rewrites a file_sd targets file atomically: Prometheus may read it at any moment and must never see half. */
export function writeTargetsFile(path: string, targets: string[], labels: Record<string, string> = {}): void {
  const tmp = join(dirname(path), `.${Date.now()}-${process.pid}.tmp.json`);
  writeFileSync(tmp, JSON.stringify([{ targets, labels }]));
  renameSync(tmp, path);
}

export async function startPrometheus(options: LocalPrometheusOptions = {}): Promise<LocalPrometheus> {
  const binary = await ensureDebianPackage('prometheus', 'prometheus');
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'codedance-prometheus-'));
  if (options.targetsFile) writeTargetsFile(options.targetsFile, options.scrapeTargets ?? []);
  const config = {
    // scrape_timeout defaults to 10s and must not exceed the interval, or the config is rejected.
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [{
      job_name: 'local',
      ...(options.targetsFile
        // refresh_interval is only the fallback: file changes are picked up at once through inotify.
        ? { file_sd_configs: [{ files: [options.targetsFile], refresh_interval: '1s' }] }
        : { static_configs: [{ targets: options.scrapeTargets ?? [] }] }),
    }],
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const url = `http://127.0.0.1:${port}`;
  // 2.42 takes kingpin flags (`--flag=value`); --web.enable-lifecycle allows POST /-/reload after a config change.
  const group = spawnGroup('prometheus', binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ], { cwd: dir });
  const cleanup = async (): Promise<void> => {
    await stopGroup(group);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`Prometheus on ${url}`, async () => (await fetch(`${url}/-/ready`)).ok, group, options.timeoutMs ?? 30_000);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { url, stop: cleanup };
}
