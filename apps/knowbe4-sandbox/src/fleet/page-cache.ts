import { deflateRawSync, inflateRawSync } from 'node:zlib';

interface CachedPage {
  /** The tenant's state the page was rendered from (TenantRef.stamp). */
  stamp: string;
  deflated: Buffer;
}

/**
 * Rendered list pages of fleet tenants, kept while the tenant does not change (fleet mode): a no-change sync of a
 * tenant not in memory is answered from here without seeding it again — the same bytes the tenant would render, as
 * KnowBe4's answers are just bytes. A page is valid only for the stamp it was rendered at (the tenant's replayable
 * edits and store version), so any console edit, SCIM write or reset misses. Pages are kept deflated, least recently
 * used dropped first past `maxBytes`.
 */
export class FleetPageCache {
  private readonly tenants = new Map<string, Map<string, CachedPage>>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {}

  get(tenantId: string, url: string, stamp: string): string | undefined {
    const pages = this.tenants.get(tenantId);
    const page = pages?.get(url);
    if (!pages || !page || page.stamp !== stamp) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // most recently used last
    this.tenants.delete(tenantId);
    this.tenants.set(tenantId, pages);
    return inflateRawSync(page.deflated).toString('utf8');
  }

  set(tenantId: string, url: string, stamp: string, body: string): void {
    if (this.maxBytes <= 0) return;
    let pages = this.tenants.get(tenantId);
    if (pages) {
      this.tenants.delete(tenantId);
      // pages of an older stamp can never be served again
      for (const [key, page] of pages) if (page.stamp !== stamp || key === url) this.drop(pages, key, page);
    } else pages = new Map();
    const deflated = deflateRawSync(body, { level: 1 });
    pages.set(url, { stamp, deflated });
    this.bytes += deflated.length;
    this.tenants.set(tenantId, pages);
    for (const [id, oldest] of this.tenants) {
      if (this.bytes <= this.maxBytes || id === tenantId) break;
      for (const [key, page] of oldest) this.drop(oldest, key, page);
      this.tenants.delete(id);
    }
  }

  forget(tenantId: string): void {
    const pages = this.tenants.get(tenantId);
    if (!pages) return;
    for (const [key, page] of pages) this.drop(pages, key, page);
    this.tenants.delete(tenantId);
  }

  stats(): { bytes: number; tenants: number; hits: number; misses: number } {
    return { bytes: this.bytes, tenants: this.tenants.size, hits: this.hits, misses: this.misses };
  }

  private drop(pages: Map<string, CachedPage>, key: string, page: CachedPage): void {
    pages.delete(key);
    this.bytes -= page.deflated.length;
  }
}
