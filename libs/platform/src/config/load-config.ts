import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const name = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => `${name}: ${message}`);
    return [...own, ...describe(error.children ?? [], `${name}.`)];
  });
}

/** Environment values are strings; convert them to the type of the default so validators see the real value. */
function coerceLike(defaultValue: unknown, raw: string): unknown {
  if (typeof defaultValue === 'number') return raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (typeof defaultValue === 'boolean') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

/**
 * Parses environment variables into a typed, validated config object once at boot.
 * The class's property names are the variable names; defaults are the class's initial values.
 */
export function loadConfig<T extends object>(
  configClass: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const defaults = new configClass() as Record<string, unknown>;
  const provided = Object.fromEntries(
    Object.keys(defaults)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, coerceLike(defaults[key], env[key] as string)]),
  );
  const config = plainToInstance(configClass, { ...defaults, ...provided });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return config;
}

/** Boot guard: a process with bad configuration refuses to start and names the variable. */
export function loadConfigOrExit<T extends object>(configClass: new () => T, processName: string): T {
  try {
    return loadConfig(configClass);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${processName} refuses to start: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
