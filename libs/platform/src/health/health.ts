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
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, type SchemaObject } from '@nestjs/swagger';

const STATUS_OK: SchemaObject = { type: 'string', enum: ['ok'], example: 'ok' };
const LIVE_SCHEMA: SchemaObject = { type: 'object', properties: { status: STATUS_OK }, required: ['status'] };
const CHECKS_EXAMPLE = { postgres: 'ok', kafka: 'ok' };

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
  @ApiOkResponse({ description: 'Always, while the process serves HTTP', schema: LIVE_SCHEMA })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'health_ready', summary: 'Postgres and Kafka are reachable' })
  @ApiOkResponse({
    description: 'Every check passed',
    schema: {
      type: 'object',
      properties: { status: STATUS_OK, checks: { type: 'object', additionalProperties: { type: 'string' }, example: CHECKS_EXAMPLE } },
      required: ['status', 'checks'],
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'A check failed: the one error shape, `details` has each check\'s state',
    schema: {
      type: 'object',
      properties: {
        statusCode: { type: 'integer', example: 503 },
        error: { type: 'string', example: 'Service Unavailable' },
        message: { type: 'string', example: 'not ready' },
        details: { type: 'object', additionalProperties: { type: 'string' }, example: { postgres: 'ok', kafka: 'failing: timed out after 3000 ms' } },
        request_id: { type: 'string', example: '5b0f8f0e-8c3a-4e65-9d53-8c4c3f1b2a77' },
      },
      required: ['statusCode', 'error', 'message', 'request_id'],
    },
  })
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
