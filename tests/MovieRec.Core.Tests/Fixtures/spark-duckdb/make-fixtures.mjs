// Writes the Spark ALSModel.save layout with DuckDB, once with V1 and once with V2 data pages, for the import tests:
// v1/ and v2/ each hold userFactors/part-00000.parquet (ids 1..30) and itemFactors/part-00000.parquet (ids 10, 20,
// ..., 500), 8 features each: feature k of id i is ((i*7 + k*13) % 97) / 97 - 0.5, as FLOAT.
// Run from this folder: npm install @duckdb/node-api && node make-fixtures.mjs
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const features = 'list_transform(range(8), k -> ((i * 7 + k * 13) % 97 / 97.0 - 0.5)::FLOAT)';
for (const version of ['V1', 'V2']) {
  for (const [side, ids] of [['userFactors', 'range(1, 31)'], ['itemFactors', 'range(10, 501, 10)']]) {
    const dir = `${version.toLowerCase()}/${side}`;
    mkdirSync(dir, { recursive: true });
    await c.run(`COPY (SELECT i::INTEGER AS id, ${features} AS features FROM ${ids} t(i) ORDER BY i) TO '${dir}/part-00000.parquet' (FORMAT parquet, PARQUET_VERSION ${version})`);
  }
}
