import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway.config';

/** The operator's ADMIN_TOKEN, compared in constant time (digests of equal length, whatever the token's). */
@Injectable()
export class AdminToken {
  private readonly digest?: Buffer;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    if (config.ADMIN_TOKEN) this.digest = createHash('sha256').update(config.ADMIN_TOKEN).digest();
  }

  get configured(): boolean {
    return this.digest !== undefined;
  }

  matches(token: string): boolean {
    if (!this.digest) return false;
    return timingSafeEqual(createHash('sha256').update(token).digest(), this.digest);
  }
}
