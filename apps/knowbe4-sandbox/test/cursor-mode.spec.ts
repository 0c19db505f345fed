import { startHarness, type Harness } from './sandbox-client';

type Row = Record<string, unknown>;

describe('cursor mode on every Reporting list (KnowBe4 is moving from page to cursor)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.sandbox.close());

  async function walkPages(t: ReturnType<Harness['tenant']>, path: string, perPage: number): Promise<Row[]> {
    const all: Row[] = [];
    const joiner = path.includes('?') ? '&' : '?';
    for (let page = 1; ; page++) {
      const rows = (await (await h.reporting(t, `${path}${joiner}page=${page}&per_page=${perPage}`)).json()) as Row[];
      if (rows.length === 0) return all;
      all.push(...rows);
    }
  }

  async function walkCursor(t: ReturnType<Harness['tenant']>, path: string, perPage: number): Promise<Row[]> {
    const all: Row[] = [];
    const joiner = path.includes('?') ? '&' : '?';
    let cursor = 'true';
    for (;;) {
      const res = await h.reporting(t, `${path}${joiner}cursor=${cursor}&per_page=${perPage}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Row[]; _metadata: { next_cursor: string } };
      all.push(...body.data);
      if (!body._metadata.next_cursor) return all;
      cursor = body._metadata.next_cursor;
    }
  }

  it.each([
    '/users',
    '/users?status=archived',
    '/groups',
    '/phishing/campaigns',
    '/phishing/security_tests',
    '/training/store_purchases',
    '/training/policies',
    '/training/campaigns?exclude_percentages=true',
    '/training/enrollments',
  ])('walks %s to exactly the records page mode returns, in the same order', async (path) => {
    const t = h.tenant({ users: 777 });
    const byPage = await walkPages(t, path, 50);
    const byCursor = await walkCursor(t, path, 50);
    expect(byPage.length).toBeGreaterThan(0);
    expect(byCursor).toEqual(byPage);
  });

  it('walks group members and security-test recipients by cursor too', async () => {
    const t = h.tenant({ users: 300 });
    const [group] = (await (await h.reporting(t, '/groups?per_page=1')).json()) as Array<{ id: number }>;
    expect(await walkCursor(t, `/groups/${group.id}/members`, 7)).toEqual(await walkPages(t, `/groups/${group.id}/members`, 7));
    const [test] = (await (await h.reporting(t, '/phishing/security_tests?per_page=1')).json()) as Array<{ pst_id: number }>;
    const path = `/phishing/security_tests/${test.pst_id}/recipients`;
    expect(await walkCursor(t, path, 9)).toEqual(await walkPages(t, path, 9));
  });

  it('answers 400 for a cursor it did not issue', async () => {
    const t = h.tenant();
    const res = await h.reporting(t, '/users?cursor=bm90LWEtY3Vyc29y');
    expect(res.status).toBe(400);
  });
});
