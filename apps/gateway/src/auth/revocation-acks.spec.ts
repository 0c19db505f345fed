import { RevocationAcks } from './revocation-acks';

describe('RevocationAcks', () => {
  it('settles once every listed replica acknowledged the key, counting acknowledgements heard before the list', async () => {
    const acks = new RevocationAcks();
    const collecting = acks.collect('hash');
    acks.heard(11, 'hash'); // before the change's caller read the listener list
    acks.heard(12, 'other');
    const settled = collecting.until([11, 12], 10_000);
    acks.heard(12, 'hash');
    await expect(settled).resolves.toBe(true);
    collecting.stop();
  });

  it('gives up after the timeout when a replica never answers', async () => {
    const acks = new RevocationAcks();
    const collecting = acks.collect('hash');
    acks.heard(11, 'hash');
    await expect(collecting.until([11, 13], 20)).resolves.toBe(false);
    collecting.stop();
    acks.heard(13, 'hash'); // nobody collects any more: nothing to do
  });
});
