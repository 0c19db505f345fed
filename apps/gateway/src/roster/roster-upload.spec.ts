import { ApiError } from '@kb4/platform';
import { readRosterRows, rosterFormatOf, UploadedRosterRow } from './roster-upload';
import { validateRosterRow } from './roster-row-validation';

const LIMITS = { maxBodyBytes: 1 << 20, maxRowBytes: 2000, maxRows: 100 };

async function rowsOf(chunks: string[], contentType: string, limits = LIMITS): Promise<UploadedRosterRow[]> {
  const rows: UploadedRosterRow[] = [];
  for await (const row of readRosterRows((async function* () {
    for (const chunk of chunks) yield Buffer.from(chunk);
  })(), rosterFormatOf(contentType), limits)) rows.push(row);
  return rows;
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return { status: error.statusCode, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('roster upload readers', () => {
  it('splits {"users": [...]} into rows whatever the chunking, strings with brackets and escapes included', async () => {
    const body = '{ "users" : [ {"username":"a@example.com","title":"R&D [x] \\"{y}\\""}, {"username":"b@example.com","groups":[{"name":"Sales"}]} ] }';
    for (const size of [1, 3, 7, body.length]) {
      const chunks = body.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;
      const rows = await rowsOf(chunks, 'application/json; charset=utf-8');
      expect(rows).toEqual([
        { line: 1, value: { username: 'a@example.com', title: 'R&D [x] "{y}"' } },
        { line: 2, value: { username: 'b@example.com', groups: [{ name: 'Sales' }] } },
      ]);
    }
  });

  it('refuses other JSON shapes, over-long rows and too many rows (400 / 413), other types and charsets (415)', async () => {
    expect(await refusal(rowsOf(['{"people": []}'], 'application/json'))).toMatchObject({ status: 400, message: expect.stringContaining('unknown body field "people"') });
    expect(await refusal(rowsOf(['[{"username":"a@example.com"}]'], 'application/json'))).toMatchObject({ status: 400 });
    expect(await refusal(rowsOf(['{"users": [{}, ]}'], 'application/json'))).toMatchObject({ status: 400 });
    expect(await refusal(rowsOf([`{"users": [{"title": "${'x'.repeat(3000)}"}]}`], 'application/json'))).toMatchObject({ status: 413 });
    expect(await refusal(rowsOf(['{"users": [' + Array(101).fill('{}').join(',') + ']}'], 'application/json'))).toMatchObject({ status: 413 });
    expect(await refusal(rowsOf(['{"users": []}'], 'text/plain'))).toMatchObject({ status: 415 });
    expect(await refusal(rowsOf(['{"users": []}'], 'application/json; charset=latin1'))).toMatchObject({ status: 415 });
  });

  it('reads NDJSON lines with their line numbers, a broken line being a row error', async () => {
    const rows = await rowsOf(['{"username":"a@example.com"}\n\n{"username":', '"b@example.com"}\r\nnot json\n'], 'application/x-ndjson');
    expect(rows).toEqual([
      { line: 1, value: { username: 'a@example.com' } },
      { line: 3, value: { username: 'b@example.com' } },
      { line: 4, error: { field: '(row)', reason: 'is not valid JSON' } },
    ]);
  });

  it('maps CSV columns onto the unified write body: empty cells clear, absent columns are not managed, groups split on ;', async () => {
    const csv = 'email,employee_number,department,manager_email,groups\nada@example.com,E1,,boss@example.com,Sales; Support\n';
    expect(await rowsOf([csv], 'text/csv')).toEqual([
      { line: 2, value: { username: 'ada@example.com', external_id: 'E1', department: null, manager: { email: 'boss@example.com' }, groups: [{ name: 'Sales' }, { name: 'Support' }] } },
    ]);
    expect(await refusal(rowsOf(['email,colour\na@example.com,red\n'], 'text/csv'))).toMatchObject({ status: 400, message: expect.stringContaining('"colour"') });
  });

  it('names every problem of a row: field, reason and line', () => {
    const { errors } = validateRosterRow({ line: 9, value: { username: 'not-an-email', status: 'inactive', phones: [{ number: '1', type: 'work', extension: '12' }], colour: 'red' } });
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [9, 'colour'],
      [9, 'username'],
    ]);
    expect(validateRosterRow({ line: 3, value: { username: 'a@example.com', status: 'active' } }).errors).toEqual([
      { line: 3, field: 'status', reason: expect.stringContaining('decided by the roster') },
    ]);
    expect(validateRosterRow({ line: 4, value: { username: 'A@Example.com', external_id: ' 007 ', groups: [{ name: 'Sales' }] } }).staged).toEqual({
      line: 4,
      emailLower: 'a@example.com',
      employeeNumber: ' 007 ',
      user: { username: 'A@Example.com', external_id: ' 007 ' },
      groups: ['Sales'],
      customFields: false,
    });
  });
});
