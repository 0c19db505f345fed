import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variables every service process reads. */
export class CommonConfig {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/kb4';

  @IsOptional()
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'must be a comma-separated list of host:port' })
  KAFKA_BROKERS?: string = undefined;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL' })
  KNOWBE4_BASE_URL_OVERRIDE?: string = undefined;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';
}

export class PortConfig {
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 0;
}

export function kafkaBrokerList(config: { KAFKA_BROKERS?: string }): string[] {
  if (!config.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set');
  return config.KAFKA_BROKERS.split(',');
}

export { IsString };
