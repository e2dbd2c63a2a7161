// schema.prisma and the hand-written SQL migrations must describe the same database. The schema
// is read with Prisma's own parser (prisma-schema-wasm) and compared with a database that our
// migrator built from the SQL: tables, columns, types, nullability, primary keys, unique and
// plain indexes, in both directions.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { Pool } from 'pg';
import { createTestDatabase, testPool } from '../support/test-database';

interface DmmfField {
  name: string;
  kind: string;
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  dbName?: string | null;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}

const dmmf = JSON.parse(
  get_dmmf(JSON.stringify({ prismaSchema: readFileSync(path.join(__dirname, '../../prisma/schema.prisma'), 'utf8') })),
).datamodel as { models: DmmfModel[]; indexes: DmmfIndex[] };

const SCALAR_TO_PG: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  DateTime: 'timestamp with time zone',
  Json: 'jsonb',
  Boolean: 'boolean',
};
const NATIVE_TO_PG: Record<string, string> = { Uuid: 'uuid', Timestamptz: 'timestamp with time zone', Text: 'text' };

function expectedColumns(model: DmmfModel) {
  return model.fields
    .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
    .map((f) => ({
      column: f.dbName ?? f.name,
      type: f.isList ? 'ARRAY' : f.nativeType ? NATIVE_TO_PG[f.nativeType[0]] : SCALAR_TO_PG[f.type],
      element: f.isList ? (f.nativeType ? NATIVE_TO_PG[f.nativeType[0]] : SCALAR_TO_PG[f.type]) : null,
      // Prisma lists are never null in the client; the column may be nullable (Prisma's own SQL).
      nullable: f.isList ? null : !f.isRequired,
    }))
    .sort((a, b) => a.column.localeCompare(b.column));
}

const columnOf = (model: DmmfModel, field: string) => {
  const f = model.fields.find((x) => x.name === field);
  return f?.dbName ?? field;
};

let pool: Pool;

beforeAll(async () => {
  pool = testPool(await createTestDatabase());
});
afterAll(() => pool.end());

describe('schema.prisma and prisma/migrations', () => {
  it('have the same tables', async () => {
    const { rows } = await pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'",
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(dmmf.models.map((m) => m.dbName ?? m.name).sort());
  });

  it.each(dmmf.models.map((m) => [m.dbName ?? m.name, m] as const))('have the same columns in %s', async (table, model) => {
    const { rows } = await pool.query(
      `SELECT c.column_name, c.data_type, c.is_nullable, e.data_type AS element_type
         FROM information_schema.columns c
         LEFT JOIN information_schema.element_types e
           ON e.object_schema = c.table_schema AND e.object_name = c.table_name
          AND e.collection_type_identifier = c.dtd_identifier AND e.object_type = 'TABLE'
        WHERE c.table_schema = 'public' AND c.table_name = $1`,
      [table],
    );
    const actual = rows
      .map((r) => ({
        column: r.column_name,
        type: r.data_type,
        element: r.element_type,
        nullable: r.data_type === 'ARRAY' ? null : r.is_nullable === 'YES',
      }))
      .sort((a, b) => a.column.localeCompare(b.column));
    expect(actual).toEqual(expectedColumns(model));
  });

  it('have the same primary keys, unique and plain indexes', async () => {
    const { rows } = await pool.query(
      `SELECT t.relname AS table_name, i.relname AS index_name, ix.indisprimary AS is_primary, ix.indisunique AS is_unique,
              array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index ix
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
        GROUP BY t.relname, i.relname, ix.indisprimary, ix.indisunique`,
    );
    const actual = rows
      .map((r) => `${r.table_name}:${r.is_primary ? 'id' : r.is_unique ? 'unique' : 'normal'}:${r.columns.join(',')}`)
      .sort();
    const expected = dmmf.indexes
      .map((ix) => {
        const model = dmmf.models.find((m) => m.name === ix.model)!;
        return `${model.dbName ?? model.name}:${ix.type}:${ix.fields.map((f) => columnOf(model, f.name)).join(',')}`;
      })
      .sort();
    expect(actual).toEqual(expected);
  });
});
