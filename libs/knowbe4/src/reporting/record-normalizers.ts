import type {
  KnowBe4Enrollment,
  KnowBe4Group,
  KnowBe4SecurityTest,
  KnowBe4SecurityTestRecipient,
  KnowBe4User,
} from './types';

// KnowBe4 renamed fields (adi_* to provisioning_*, …); older accounts still send the old names, copied across in place.
export function normalizeUser(user: KnowBe4User): void {
  if (user.provisioning_guid === undefined && user.adi_guid !== undefined) user.provisioning_guid = user.adi_guid;
  if (user.provisioning_managed === undefined && user.adi_manageable !== undefined) {
    user.provisioning_managed = user.adi_manageable;
  }
}

export function normalizeGroup(group: KnowBe4Group): void {
  if (group.provisioning_guid === undefined && group.adi_guid !== undefined) group.provisioning_guid = group.adi_guid;
}

export function normalizeRecipient(recipient: KnowBe4SecurityTestRecipient): void {
  const user = recipient.user;
  if (user && user.provisioning_guid === undefined && user.active_directory_guid !== undefined) {
    user.provisioning_guid = user.active_directory_guid;
  }
}

export function normalizeSecurityTest(test: KnowBe4SecurityTest): void {
  if (test.landing_page === undefined && test['landing-page'] !== undefined) test.landing_page = test['landing-page'];
}

export function normalizeEnrollment(enrollment: KnowBe4Enrollment): void {
  if (enrollment.store_purchase_id === undefined && enrollment.store_purchased_id !== undefined) {
    enrollment.store_purchase_id = enrollment.store_purchased_id;
  }
}

/** An id as one path segment. */
export function segment(id: number | string): string {
  return encodeURIComponent(String(id));
}
