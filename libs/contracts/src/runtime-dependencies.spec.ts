/**
 * libs/contracts holds only topic names, envelopes, DTO classes and the unified record types they carry (style.md),
 * so a downstream consumer can depend on it alone: loading it loads no other lib.
 */
describe('@kb4/contracts at run time', () => {
  it('loads without @kb4/mapping, @kb4/knowbe4 or any other lib', () => {
    const refuse = (name: string) => () => {
      throw new Error(`loading @kb4/contracts loaded ${name} at run time`);
    };
    jest.isolateModules(() => {
      for (const name of ['@kb4/mapping', '@kb4/knowbe4', '@kb4/persistence', '@kb4/platform', 'undici']) {
        jest.doMock(name, refuse(name));
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const contracts = require('@kb4/contracts') as typeof import('@kb4/contracts');
      expect(contracts.TOPICS).toBeDefined();
      expect(contracts.UNIFIED_USER_WRITABLE_FIELDS).toContain('username');
    });
  });
});
