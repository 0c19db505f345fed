import { Inject, Injectable } from '@nestjs/common';
import { ArchivedUserPosition, LicenseRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, InvalidCursorError, queryFingerprint, readNextCursor } from '../directory/cursor';
import { AccountScope } from './account-scope';
import { LicensesDto, LicensesQuery, toArchivedUserDto, toLicensesDto } from './licenses.dto';

/**
 * Seats and offboarding of an account, from data we keep: KnowBe4's seat figures as the last sync read them (no
 * KnowBe4 request here, so no budget spent), the mirror's counts and archive timestamps, and our operations.
 */
@Injectable()
export class LicensesService {
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(LicenseRepository) private readonly licenses: LicenseRepository,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async licensesOf(workspaceId: string, id: string, query: LicensesQuery): Promise<LicensesDto> {
    const account = await this.scope.requireAccount(workspaceId, id);
    const limit = query.limit ?? 50;
    const fingerprint = queryFingerprint({ workspaceId, accountId: account.id, resource: 'licenses_archived_users', limit });
    const after = query.next_cursor === undefined ? undefined : this.decode(query.next_cursor, fingerprint);
    const [subscription, counts, rows] = await Promise.all([
      this.licenses.subscriptionOf(account.id),
      this.licenses.seatCounts(account.id),
      this.licenses.archivedUsers(account.id, limit + 1, after),
    ]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last ? this.cursors.encode({ direction: 'next', seq: last.seq, value: last.archivedAtKey }, fingerprint) : null;
    return toLicensesDto(account.id, subscription, counts, { result: page.map(toArchivedUserDto), next_cursor: nextCursor, result_count: page.length });
  }

  private decode(cursor: string, fingerprint: string): ArchivedUserPosition {
    return readNextCursor(() => {
      const position = this.cursors.decode(cursor, fingerprint);
      if (position.direction !== 'next' || position.value === undefined || Number.isNaN(Date.parse(position.value))) throw new InvalidCursorError('cursor is malformed');
      return { archivedAt: position.value, seq: position.seq };
    });
  }
}
