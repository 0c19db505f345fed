import { IsInt, Max, Min } from 'class-validator';
import { CommonConfig } from './common-config';
import { ConfigValidationError, loadConfig } from './load-config';

class ExampleConfig extends CommonConfig {
  @IsInt()
  @Min(1)
  @Max(65535)
  EXAMPLE_PORT = 3000;
}

describe('loadConfig', () => {
  it('fills defaults and converts numbers from the environment', () => {
    const config = loadConfig(ExampleConfig, { EXAMPLE_PORT: '8080' });
    expect(config.EXAMPLE_PORT).toBe(8080);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/kb4');
  });

  it('refuses bad values and names the variable', () => {
    expect(() => loadConfig(ExampleConfig, { EXAMPLE_PORT: 'eighty', KAFKA_BROKERS: 'nope' })).toThrow(ConfigValidationError);
    try {
      loadConfig(ExampleConfig, { EXAMPLE_PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('EXAMPLE_PORT');
      expect(message).toContain('DATABASE_URL');
    }
  });
});
