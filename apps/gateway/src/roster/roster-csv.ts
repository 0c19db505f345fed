import { ApiError } from '@kb4/platform';

type Cell = string | null;

const TEXT_COLUMNS = ['first_name', 'last_name', 'title', 'department', 'division', 'location'] as const;
const CUSTOM_COLUMNS = ['custom_field_1', 'custom_field_2', 'custom_field_3', 'custom_field_4', 'custom_date_1', 'custom_date_2'] as const;

/** The CSV columns a roster may have (header row, any order); openapi.json and the README list the same. */
export const ROSTER_CSV_COLUMNS: readonly string[] = [
  'email',
  ...TEXT_COLUMNS,
  'employee_number',
  'external_id',
  'organization',
  'manager_email',
  'manager_name',
  'phone',
  'mobile_phone',
  'language',
  ...CUSTOM_COLUMNS,
  'groups',
];

/** Checks the header row: every column known, none twice, `email` present. */
export function rosterCsvHeader(header: string[]): string[] {
  const columns = header.map((name) => name.trim().toLowerCase());
  const unknown = columns.filter((name) => !ROSTER_CSV_COLUMNS.includes(name));
  if (unknown.length > 0) {
    const names = unknown.slice(0, 5).map((name) => JSON.stringify(name.slice(0, 64))).join(', ');
    throw new ApiError(400, `unknown CSV column(s) ${names}; known columns: ${ROSTER_CSV_COLUMNS.join(', ')}`, [
      { field: unknown[0].slice(0, 64), location: 'body', errors: ['unknown CSV column'] },
    ]);
  }
  const twice = columns.find((name, index) => columns.indexOf(name) !== index);
  if (twice) throw new ApiError(400, `CSV column "${twice}" appears twice in the header`);
  if (!columns.includes('email')) throw new ApiError(400, 'the CSV header has no "email" column (the KnowBe4 login of each person)');
  if (columns.includes('employee_number') && columns.includes('external_id')) {
    throw new ApiError(400, 'send employee_number or external_id (the same field), not both');
  }
  return columns;
}

function cell(record: Record<string, string>, column: string): Cell | undefined {
  if (!(column in record)) return undefined;
  const value = record[column].trim();
  return value === '' ? null : value;
}

function phonesOf(record: Record<string, string>): Array<{ number: string; type: string }> | undefined {
  const work = cell(record, 'phone');
  const mobile = cell(record, 'mobile_phone');
  if (work === undefined && mobile === undefined) return undefined;
  return [...(work ? [{ number: work, type: 'work' }] : []), ...(mobile ? [{ number: mobile, type: 'mobile' }] : [])];
}

function managerOf(record: Record<string, string>): Record<string, Cell> | null | undefined {
  const email = cell(record, 'manager_email');
  const name = cell(record, 'manager_name');
  if (email === undefined && name === undefined) return undefined;
  if (!email && !name) return null;
  return { ...(email !== undefined ? { email } : {}), ...(name !== undefined ? { name } : {}) };
}

function set(target: Record<string, unknown>, field: string, value: unknown): void {
  if (value !== undefined) target[field] = value;
}

/**
 * A CSV record as the unified user write body the JSON forms take. A column that is present manages its field: an
 * empty cell clears it; a column that is absent leaves the field alone. `groups` is `;`-separated names.
 */
export function csvRecordToRosterUser(record: Record<string, string>): Record<string, unknown> {
  const user: Record<string, unknown> = { username: cell(record, 'email') ?? '' };
  for (const column of TEXT_COLUMNS) set(user, column, cell(record, column));
  set(user, 'external_id', cell(record, 'employee_number' in record ? 'employee_number' : 'external_id'));
  const organization = cell(record, 'organization');
  set(user, 'organizations', organization === undefined ? undefined : organization === null ? [] : [{ name: organization }]);
  set(user, 'manager', managerOf(record));
  set(user, 'phones', phonesOf(record));
  const language = cell(record, 'language');
  set(user, 'languages', language === undefined ? undefined : language === null ? [] : [language]);
  if (CUSTOM_COLUMNS.some((column) => column in record)) {
    const custom: Record<string, Cell> = {};
    for (const column of CUSTOM_COLUMNS) set(custom, column, cell(record, column));
    user.custom_fields = custom;
  }
  const groups = cell(record, 'groups');
  if (groups !== undefined) {
    user.groups = (groups ?? '').split(';').map((name) => name.trim()).filter((name) => name !== '').map((name) => ({ name }));
  }
  return user;
}
