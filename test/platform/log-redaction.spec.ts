import { Writable } from 'node:stream';
import { ArgumentsHost } from '@nestjs/common';
import { createDataSource, ParameterFreeTypeOrmLogger, runMigrations } from '@kb4/persistence';
import { ApiExceptionFilter, createLogger, safeErrorMessage } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { describeFailure } from '../../apps/provisioner/src/commands/failure';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/throwaway-database';

/** A logger whose lines land in `lines` (as pino writes them to stdout). */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('test', 'debug', sink), text: () => chunks.join('') };
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the query was expected to fail');
}

const SECRET = 'sk_live_3f9a7c1e_SECRET_CIPHERTEXT';

describe('no SQL parameter, query text or quoted value reaches a log line', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_logs_${process.pid}_${Date.now().toString(36)}`);
    await runMigrations(database.url);
    dataSource = await createDataSource(database.url).initialize();
    await dataSource.query(`CREATE TABLE log_probe (id int PRIMARY KEY, secret text UNIQUE, doc jsonb)`);
    await dataSource.query(`INSERT INTO log_probe (id, secret) VALUES (1, $1)`, [SECRET]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it.each([
    ['a value Postgres quotes into its message (uuid syntax)', () => dataSource.query(`SELECT $1::uuid`, [SECRET]), '22P02'],
    ['a unique violation whose detail names the value', () => dataSource.query(`INSERT INTO log_probe (id, secret) VALUES (2, $1)`, [SECRET]), '23505'],
    ['a NUL in a jsonb parameter', () => dataSource.query(`INSERT INTO log_probe (id, doc) VALUES (3, $1::jsonb)`, [JSON.stringify({ key: SECRET, nul: 'a\u0000b' })]), '22P05'],
    ['a lone surrogate in a jsonb parameter', () => dataSource.query(`INSERT INTO log_probe (id, doc) VALUES (4, $1::jsonb)`, [JSON.stringify({ key: SECRET, s: '\udc00' })]), '22P02'],
  ])('%s: logged with its code, without the parameter', async (_name, run, code) => {
    const error = await failure(run);
    const { logger, text } = capturedLogger();
    logger.error({ err: error, integrated_account_id: 'acc-1' }, 'mirror write failed');
    logger.error(error as Error);
    logger.child({ component: 'sync' }).warn({ error, cause: new Error('wrapped', { cause: error }) }, 'retrying');
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('sk_live');
    expect(out).not.toMatch(/"parameters"|"query"|"driverError"|"detail"/);
    for (const line of out.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number) });
    expect(out).toContain(`"code":"${code}"`);
  });

  it('keeps what helps: the constraint and table of a violation, and a message without the value', async () => {
    const error = await failure(() => dataSource.query(`INSERT INTO log_probe (id, secret) VALUES (5, $1)`, [SECRET]));
    const { logger, text } = capturedLogger();
    logger.error({ err: error }, 'insert failed');
    const line = JSON.parse(text()) as { err: Record<string, unknown>; msg: string };
    expect(line.err).toMatchObject({ code: '23505', constraint: 'log_probe_secret_key', table: 'log_probe' });
    expect(line.err.message).toMatch(/duplicate key value violates unique constraint/);
    expect(safeErrorMessage(await failure(() => dataSource.query(`SELECT $1::uuid`, [SECRET])))).toBe('invalid input syntax for type uuid: [value removed]');
  });

  it('the API error filter logs a 500 from a failed query without its parameters', async () => {
    const error = await failure(() => dataSource.query(`SELECT $1::uuid`, [SECRET]));
    const { logger, text } = capturedLogger();
    let answered: unknown;
    const response = { headersSent: false, status: () => ({ json: (body: unknown) => (answered = body) }) };
    const host = { switchToHttp: () => ({ getRequest: () => ({ path: '/x', headers: {} }), getResponse: () => response }) } as unknown as ArgumentsHost;
    new ApiExceptionFilter(logger).catch(error, host);
    expect(answered).toMatchObject({ statusCode: 500 });
    expect(JSON.stringify(answered)).not.toContain(SECRET);
    expect(text()).toContain('"code":"22P02"');
    expect(text()).not.toContain(SECRET);
  });
});

describe('a provisioning failure from the database', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_logs_prov_${process.pid}_${Date.now().toString(36)}`);
    dataSource = await createDataSource(database.url).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('is stored, published and logged without the value Postgres quoted', async () => {
    const error = await failure(() => dataSource.query(`SELECT $1::uuid`, [SECRET]));
    const described = describeFailure(error);
    expect(described).toMatchObject({ code: 'internal_error', retryable: true, message: 'invalid input syntax for type uuid: [value removed]' });
    expect(JSON.stringify(described)).not.toContain(SECRET);
  });
});

describe("TypeORM's logger, with every kind of logging turned on", () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_logs_orm_${process.pid}_${Date.now().toString(36)}`);
    dataSource = await createDataSource(database.url, {
      logging: 'all',
      logger: new ParameterFreeTypeOrmLogger('all', (level, fields, message) => lines.push(JSON.stringify({ level, ...fields, message }))),
    }).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('writes the failure code, never the parameters or the statement', async () => {
    await failure(() => dataSource.query(`SELECT $1::uuid AS secret_probe`, [SECRET]));
    const out = lines.join('\n');
    expect(out).toContain('"code":"22P02"');
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('secret_probe');
  });

  it('is quiet by default, as logging: false promises', async () => {
    const quiet: string[] = [];
    const logger = new ParameterFreeTypeOrmLogger(false, (_level, _fields, message) => quiet.push(message));
    logger.logQueryError(new Error('boom'));
    logger.logMigration('ran');
    expect(quiet).toEqual([]);
  });
});
