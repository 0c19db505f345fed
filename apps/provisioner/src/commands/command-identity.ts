import { COMMAND_TYPES, deterministicEventId, IncomingKafkaMessage } from '@kb4/contracts';

export const COMMAND_TYPE_VALUES: readonly string[] = Object.values(COMMAND_TYPES);
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** processed_commands keys are UUIDs; a producer with other ids still gets a stable key. */
export function processedKeyOf(eventId: string): string {
  return UUID.test(eventId) ? eventId : deterministicEventId(['command', eventId]);
}

export function keyText(key: IncomingKafkaMessage['key']): string {
  return key === undefined || key === null ? '' : key.toString();
}
