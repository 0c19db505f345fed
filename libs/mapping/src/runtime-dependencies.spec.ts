/**
 * libs/mapping is pure (style.md): it may depend on other libs for types only, so loading it must load no other lib
 * at run time — in particular not @kb4/knowbe4, which brings undici and the process-wide pacer registry with it.
 */
describe('@kb4/mapping at run time', () => {
  it('loads without @kb4/knowbe4, @kb4/contracts, undici or any other lib', () => {
    const refuse = (name: string) => () => {
      throw new Error(`loading @kb4/mapping loaded ${name} at run time`);
    };
    jest.isolateModules(() => {
      for (const name of ['@kb4/knowbe4', '@kb4/contracts', '@kb4/persistence', '@kb4/platform', 'undici']) {
        jest.doMock(name, refuse(name));
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mapping = require('@kb4/mapping') as typeof import('@kb4/mapping');
      expect(typeof mapping.toUnifiedUser).toBe('function');
      expect(mapping.SCIM_PATCH_OP_SCHEMA).toBe('urn:ietf:params:scim:api:messages:2.0:PatchOp');
    });
  });
});
