/** Kafka topics of design.md. Topics are created by deployment, never by CreateTopics at runtime. */
export const TOPICS = {
  directoryEvents: 'knowbe4.directory.events',
  provisioningCommands: 'knowbe4.provisioning.commands',
  provisioningResults: 'knowbe4.provisioning.results',
  provisioningDlq: 'knowbe4.provisioning.dlq',
  syncRuns: 'knowbe4.sync.runs',
  rosterRuns: 'knowbe4.roster.runs',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export type DirectoryEntity = 'user' | 'group' | 'enrollment';

/** `{integrated_account_id}:{entity}:{remote_id}`: orders every event of one record on one partition. */
export function directoryEventKey(integratedAccountId: string, entity: DirectoryEntity, remoteId: string | number): string {
  return `${integratedAccountId}:${entity}:${String(remoteId)}`;
}

/** `{integrated_account_id}:user:{userName}`; lower-cased because KnowBe4 matches userName case-insensitively. */
export function userCommandKey(integratedAccountId: string, userName: string): string {
  return `${integratedAccountId}:user:${userName.toLowerCase()}`;
}

/** `{integrated_account_id}:group:{id}`; a group not created yet is keyed by its name. */
export function groupCommandKey(integratedAccountId: string, groupIdOrName: string | number): string {
  return `${integratedAccountId}:group:${String(groupIdOrName)}`;
}

/** Sync-run events are keyed by account so the runs of one account stay ordered. */
export function syncRunKey(integratedAccountId: string): string {
  return integratedAccountId;
}

/** Roster-run events are keyed by account like sync runs, so the runs of one account stay ordered. */
export function rosterRunKey(integratedAccountId: string): string {
  return integratedAccountId;
}
