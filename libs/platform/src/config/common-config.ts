import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables every service process reads. */
export class CommonConfig {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/kb4';

  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'must be a comma-separated list of host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL' })
  KNOWBE4_BASE_URL_OVERRIDE?: string = undefined;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Interface the HTTP server binds; 0.0.0.0 in containers. */
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  /** Bearer token `/metrics` requires; unset, only loopback clients (not forwarded by a proxy) may scrape. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{16,512}$/, { message: 'must be 16 to 512 printable characters without spaces' })
  METRICS_TOKEN?: string = undefined;
}

/** Variables of the processes that hold KnowBe4 credentials (gateway, poller, provisioner). */
export class ServiceConfig extends CommonConfig {
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 random bytes encoded as base64 (npm start generates one for local runs)' })
  CREDENTIALS_KEY = '';

  @IsOptional()
  @IsString()
  CREDENTIALS_PREVIOUS_KEYS?: string = undefined;
}

/** A TCP port variable; 0 asks the OS for a free port (used by tests). */
export function IsPort(): PropertyDecorator {
  return (target, property) => {
    IsInt({ message: '$property must be a port number' })(target, property);
    Min(0)(target, property);
    Max(65535)(target, property);
  };
}

export function kafkaBrokerList(config: { KAFKA_BROKERS: string }): string[] {
  return config.KAFKA_BROKERS.split(',');
}
