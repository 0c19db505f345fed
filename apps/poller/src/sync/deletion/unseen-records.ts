import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { KnowBe4NotFoundError, ReportingClient } from '@kb4/knowbe4';
import type { OutboxMessage, SnapshotEnrollment, SnapshotUser } from '@kb4/persistence';
import type { PageScope } from '../apply/page-scope';
import { directoryEvent, membershipEvent, RunContext } from '../events/directory-events';
import type { SeenCoverage } from './seen-coverage';

/** At most this many mirror rows per deletion commit. */
const BATCH = 500;

/**
 * After a complete run: mirror rows no page of this run saw. A user is deleted only once KnowBe4 confirms it is
 * gone (GET /users/{id} answers 404); groups and enrollments go at once.
 */
export class UnseenRecordSweep {
  constructor(
    private readonly scope: PageScope,
    private readonly client: ReportingClient,
    private readonly coverage?: SeenCoverage,
  ) {}

  async deleteUnseenUsers(): Promise<void> {
    const { ledger, deps } = this.scope;
    if (await this.coverage?.nothingUnseen('users')) return;
    let confirmationsLeft = deps.settings.deleteConfirmLimit ?? 100;
    let settledPage = -1;
    for (;;) {
      const unseen = await deps.snapshot.unseenUsers(ledger.account.id, ledger.run.id, BATCH);
      if (unseen.length === 0) return;
      const { gone, notGone } = await this.confirmUsersGone(unseen, confirmationsLeft);
      confirmationsLeft = Math.max(0, confirmationsLeft - unseen.length);
      if (notGone.length > 0) {
        // settled for this run: still listed by id, or waiting for the next run's confirmations
        await deps.dataSource.transaction((manager) => deps.lease.recordSeenPage(manager, ledger.run.id, 'users', settledPage--, notGone));
      }
      if (gone.length > 0) await this.deleteUsers(gone);
    }
  }

  /** Users KnowBe4 confirmed gone leave the mirror with their memberships and enrollments, each with its event. */
  private async deleteUsers(gone: readonly SnapshotUser[]): Promise<void> {
    const { ledger, deps } = this.scope;
    const accountId = ledger.account.id;
    const ids = gone.map((user) => user.remoteId!);
    const memberships = await deps.snapshot.groupIdsOfUsers(accountId, ids);
    // their enrollments go with them (KnowBe4 keeps listing them, pointing at a user that no longer exists)
    const enrollments = deps.settings.syncEnrollments ? await deps.snapshot.enrollmentsOfUsers(accountId, ids) : [];
    const events: OutboxMessage[] = enrollments.map((enrollment) => enrollmentRemoved(ledger.ctx, enrollment));
    ledger.counts.enrollments_changed += enrollments.length;
    const groups = this.scope.groups();
    for (const user of gone) {
      const id = user.remoteId!;
      for (const groupId of memberships.get(id) ?? []) {
        ledger.counts.memberships_removed += 1;
        events.push(membershipEvent(ledger.ctx, 'removed', groupId, id, `deleted:${user.contentHash}`, groups.recordOf(groupId), user.record));
      }
      ledger.counts.users_deleted += 1;
      events.push(directoryEvent(ledger.ctx, 'user', id, DIRECTORY_EVENT_TYPES.userDeleted, [user.contentHash], { user: user.record }));
    }
    const emitted = events.filter((event) => ledger.emitsDirectoryEvents || event.event.type !== DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged);
    await ledger.commit(emitted, async (manager) => {
      await deps.mirror.deleteEnrollments(manager, accountId, enrollments.map((e) => e.remoteId));
      await deps.mirror.deleteUsers(manager, accountId, ids);
    });
  }

  /**
   * Page numbers shift when the console deletes a user while a run walks the list, so a survivor can slide onto a
   * page already read and look deleted. A `deleted` event is only emitted for a user GET /users/{id} answers 404
   * for; at most `limit` confirmations per run (KnowBe4's request budget is small), the rest wait for the next run.
   */
  private async confirmUsersGone(unseen: SnapshotUser[], limit: number): Promise<{ gone: SnapshotUser[]; notGone: string[] }> {
    const gone: SnapshotUser[] = [];
    const notGone: string[] = [];
    for (const [index, user] of unseen.entries()) {
      if (index >= limit) {
        notGone.push(user.remoteId!);
        continue;
      }
      try {
        await this.client.getUser(user.remoteId!, undefined, { signal: this.scope.ledger.signal });
        notGone.push(user.remoteId!);
        this.scope.ledger.log.info({ remote_id: user.remoteId }, 'user missing from the list is still there (pages shifted mid-walk); not deleted');
      } catch (error) {
        if (!(error instanceof KnowBe4NotFoundError)) throw error;
        gone.push(user);
      }
    }
    return { gone, notGone };
  }

  async deleteUnseenGroups(): Promise<void> {
    const { ledger, deps } = this.scope;
    for (;;) {
      const gone = await deps.snapshot.unseenGroups(ledger.account.id, ledger.run.id, BATCH);
      if (gone.length === 0) return;
      const events = gone.map((group) => {
        ledger.counts.groups_deleted += 1;
        return directoryEvent(ledger.ctx, 'group', group.remoteId, DIRECTORY_EVENT_TYPES.groupDeleted, [group.contentHash], { group: group.record });
      });
      await ledger.commit(events, (manager) => deps.mirror.deleteGroups(manager, ledger.account.id, gone.map((g) => g.remoteId)));
    }
  }

  /** Enrollments no list page showed any more: consumers hear `enrollment_changed` with `change: 'removed'`. */
  async deleteUnseenEnrollments(): Promise<void> {
    const { ledger, deps } = this.scope;
    if (await this.coverage?.nothingUnseen('enrollments')) return;
    for (;;) {
      const gone = await deps.snapshot.unseenEnrollments(ledger.account.id, ledger.run.id, BATCH);
      if (gone.length === 0) return;
      const events = ledger.emitsDirectoryEvents ? gone.map((enrollment) => enrollmentRemoved(ledger.ctx, enrollment)) : [];
      ledger.counts.enrollments_changed += gone.length;
      await ledger.commit(events, (manager) => deps.mirror.deleteEnrollments(manager, ledger.account.id, gone.map((e) => e.remoteId)));
    }
  }
}

function enrollmentRemoved(ctx: RunContext, enrollment: SnapshotEnrollment): OutboxMessage {
  return directoryEvent(ctx, 'enrollment', enrollment.remoteId, DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged, ['removed', enrollment.contentHash], {
    user_id: enrollment.userRemoteId,
    enrollment: enrollment.record,
    change: 'removed',
  });
}
