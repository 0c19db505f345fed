import {
  Controller,
  DynamicModule,
  Get,
  HttpCode,
  Inject,
  InjectionToken,
  Module,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

/** Something the process needs to do its work (Postgres, Kafka); readiness is the conjunction of all. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

async function withTimeout(check: ReadinessCheck, ms: number): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
    return { name: check.name, ok: true };
  } catch (error) {
    return { name: check.name, ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ operationId: 'health_live', summary: 'The process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'health_ready', summary: 'Postgres and Kafka are reachable' })
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const results = await Promise.all(this.checks.map((check) => withTimeout(check, 3000)));
    const checks = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : `failing: ${r.error}`]));
    if (results.some((r) => !r.ok)) {
      throw new ServiceUnavailableException({ message: 'not ready', details: checks });
    }
    return { status: 'ok', checks };
  }
}

@Module({})
export class HealthModule {
  /** The factory builds the checks from injected dependencies, e.g. the data source and the Kafka client. */
  static forChecks(options: {
    imports?: DynamicModule['imports'];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest factories take whatever `inject` resolves
    useFactory: (...deps: any[]) => ReadinessCheck[];
    inject?: InjectionToken[];
  }): DynamicModule {
    return {
      module: HealthModule,
      imports: options.imports ?? [],
      controllers: [HealthController],
      providers: [{ provide: READINESS_CHECKS, useFactory: options.useFactory, inject: options.inject ?? [] }],
    };
  }
}
