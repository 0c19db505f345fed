import { readFileSync } from 'node:fs';
import { generateOpenApiJson, OPENAPI_PATH } from './generate-openapi';

describe('openapi.json', () => {
  it('matches what the gateway generates (run `npm run openapi` and commit the result when this fails)', async () => {
    const generated = await generateOpenApiJson();
    expect(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))).toEqual(JSON.parse(generated));
  });

  it('gives every operation a unique operationId, a tag and a summary', async () => {
    const document = JSON.parse(await generateOpenApiJson()) as { paths: Record<string, Record<string, { operationId?: string; tags?: string[]; summary?: string }>> };
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      expect(operation.operationId).toMatch(/^[a-z_]+$/);
      expect(operation.tags?.length).toBeGreaterThan(0);
      expect(operation.summary).toEqual(expect.any(String));
    }
  });
});
