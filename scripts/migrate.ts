import 'reflect-metadata';
import { runMigrations } from '@kb4/persistence';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (docker-compose runs it before the services). */
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/kb4';
runMigrations(url)
  .then((applied) => {
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  })
  .catch((error: Error) => {
    process.stderr.write(`migration failed: ${error.message}\n`);
    process.exit(1);
  });
