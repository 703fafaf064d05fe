/**
 * The deployment files, checked without a Docker engine: docker-compose.yml against the
 * Compose Specification's JSON Schema (from compose-spec/compose-go), and the files it mounts:
 * Prometheus scrapes the port the workers serve metrics on, Grafana's dashboard uses the
 * provisioned data source.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

interface Service {
  volumes?: (string | { source: string })[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };

  it('is valid against the Compose Specification schema', () => {
    const schemaFile = process.env.EBB_COMPOSE_SCHEMA;
    assert.ok(schemaFile && existsSync(schemaFile), 'EBB_COMPOSE_SCHEMA names the schema file (npm test fetches it: scripts/lib/compose-schema.sh)');
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const { $schema: draft, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as { $schema: string };
    // Ajv's built-in draft-07 meta-schema id ends in "#"; compose-go's reference does not.
    assert.match(draft, /draft-07/);
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    // and the schema really is strict: an unknown service key fails it
    assert.equal(validate({ services: { worker: { imagee: 'x' } } }), false);
  });

  it('runs Temporal with its UI, PostgreSQL, several workers, Prometheus and Grafana', () => {
    for (const s of ['postgres', 'temporal', 'temporal-ui', 'worker', 'prometheus', 'grafana']) assert.ok(compose.services[s], `service ${s}`);
    assert.ok((compose.services.worker.deploy?.replicas ?? 1) >= 2, 'N workers');
  });

  it('mounts only files that exist', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : v.source;
        if (source.startsWith('./')) assert.ok(existsSync(path.join(root, source)), `${name} mounts ${source}`);
      }
    }
  });

  it('scrapes the workers on the port they serve metrics on, and the dashboard uses the provisioned data source', () => {
    const port = compose.services.worker.environment?.EBB_METRICS_ADDRESS?.split(':').pop();
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[] };
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'ebb-worker');
    assert.deepEqual(job?.dns_sd_configs?.[0], { names: ['worker'], type: 'A', port: Number(port) });
    const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string }[] };
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/ebb.json')) as { panels: { datasource: { uid: string }; targets: unknown[] }[] };
    assert.ok(dashboard.panels.length >= 6);
    for (const p of dashboard.panels) assert.equal(p.datasource.uid, datasource.datasources[0].uid);
  });
});
