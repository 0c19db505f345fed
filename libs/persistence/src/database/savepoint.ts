import type { EntityManager } from 'typeorm';

export type SavepointOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `work` inside a savepoint of the caller's transaction: when it throws, only its own writes are rolled back and
 * the transaction goes on. A failing savepoint command itself is thrown.
 */
export async function inSavepoint<T>(manager: EntityManager, name: string, work: () => Promise<T>): Promise<SavepointOutcome<T>> {
  if (!/^[a-z_]+$/.test(name)) throw new Error('a savepoint name is lower-case letters and underscores');
  await manager.query(`SAVEPOINT ${name}`);
  try {
    const value = await work();
    await manager.query(`RELEASE SAVEPOINT ${name}`);
    return { ok: true, value };
  } catch (error) {
    await manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return { ok: false, error };
  }
}
