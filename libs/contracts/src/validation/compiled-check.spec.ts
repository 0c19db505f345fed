import 'reflect-metadata';
import fc from 'fast-check';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AddGroupMembersCommand, CreateGroupCommand, CreateUserCommand, UpdateUserCommand } from '../dto/commands.dto';
import { UserWriteDto } from '../dto/user-write.dto';
import { compiledCheck, CompiledCheckOptions } from './compiled-check';

const GATEWAY: CompiledCheckOptions = { forbidNonWhitelisted: true, forbidUnknownValues: false };
const CONSUMER: CompiledCheckOptions = { forbidNonWhitelisted: false, forbidUnknownValues: true };

/** What class-validator answers with the options the check stands in for. */
function classValidatorAccepts(instance: object, options: CompiledCheckOptions): boolean {
  const errors = options.forbidNonWhitelisted
    ? validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false })
    : validateSync(instance, { forbidUnknownValues: true });
  return errors.length === 0;
}

function verdicts<T extends object>(dto: ClassConstructor<T>, plain: unknown, options: CompiledCheckOptions): { compiled: boolean; classValidator: boolean } {
  const instance = plainToInstance(dto, plain) as object;
  const check = compiledCheck(dto, options);
  if (!check) throw new Error(`${dto.name} did not compile`);
  return { compiled: check(instance), classValidator: classValidatorAccepts(instance, options) };
}

const base = { operation_id: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1', integrated_account_id: 'acc-1', attempt: 1, requested_at: '2025-01-02T03:04:05.000Z' };

const USER_WRITES: Array<[string, unknown]> = [
  ['a minimal write', { username: 'ada@example.com' }],
  ['every field', {
    username: 'ada@example.com',
    emails: [{ email: 'ada@example.com', is_primary: true }, { email: 'a.l@example.com', type: 'work', is_primary: false }],
    first_name: 'Ada', last_name: 'Lovelace', title: 'Countess', status: 'active',
    phones: [{ number: '+44 20 7946 0000', type: 'work', extension: null }],
    location: 'London', department: 'R&D', division: null, organizations: [{ name: 'Analytical Engines' }],
    manager: { name: 'Charles Babbage', email: 'cb@example.com' }, external_id: '00042', languages: ['en', 'fr'],
    custom_fields: { custom_field_1: 'x', custom_date_1: '2025-06-01', custom_date_2: '2025-06-01T10:00:00Z' },
  }],
  ['nulls that clear', { first_name: null, manager: null, title: null }],
  ['an unknown field', { username: 'ada@example.com', colour: 'blue' }],
  ['an unknown nested field', { emails: [{ email: 'ada@example.com', is_primary: true, label: 'x' }] }],
  ['a bad email', { username: 'not-an-email' }],
  ['an over-long name', { first_name: 'x'.repeat(256) }],
  ['a name of 255 astral characters (UTF-16 length counts)', { first_name: '😀'.repeat(130) }],
  ['a wrong status', { status: 'archived' }],
  ['a non-existent date', { custom_fields: { custom_date_1: '2026-02-30' } }],
  ['a number where text goes', { department: 7 }],
  ['an email entry that is not an object', { emails: ['ada@example.com'] }],
  ['a nested null entry', { phones: [null] }],
  ['too many languages', { languages: Array.from({ length: 21 }, () => 'en') }],
  ['a language that is not text', { languages: ['en', 5] }],
  ['a manager that is a string', { manager: 'Charles' }],
  ['an empty object', {}],
];

describe('compiledCheck: a DTO\'s class-validator metadata compiled into closures', () => {
  it.each(USER_WRITES)('agrees with class-validator on %s (gateway and consumer options)', (_name, plain) => {
    for (const options of [GATEWAY, CONSUMER]) {
      const { compiled, classValidator } = verdicts(UserWriteDto, plain, options);
      expect(compiled).toBe(classValidator);
    }
  });

  it('agrees on provisioning commands, nested user and groups included', () => {
    const commands: Array<[ClassConstructor<object>, unknown]> = [
      [CreateUserCommand, { ...base, user_name: 'ada@example.com', user: { username: 'ada@example.com' }, groups: [{ id: '3264' }] }],
      [CreateUserCommand, { ...base, user_name: 'ada@example.com', user: { username: 'ada@example.com' }, groups: [{ id: '' }] }],
      [CreateUserCommand, { ...base, user_name: 'ada@example.com' }],
      [CreateUserCommand, { ...base, user_name: 'ada@example.com', user: 'ada' }],
      [UpdateUserCommand, { ...base, user_id: '667542', changes: { department: 'Finance' } }],
      [UpdateUserCommand, { ...base, user_id: '', changes: {} }],
      [CreateGroupCommand, { ...base, group: { name: 'Engineering' } }],
      [AddGroupMembersCommand, { ...base, group_id: '3264', user_ids: ['1', '2'] }],
      [AddGroupMembersCommand, { ...base, group_id: '3264', user_ids: [] }],
    ];
    for (const [dto, plain] of commands) {
      const { compiled, classValidator } = verdicts(dto, plain, CONSUMER);
      expect({ dto: dto.name, plain, compiled }).toEqual({ dto: dto.name, plain, compiled: classValidator });
    }
  });

  it('never accepts what class-validator refuses, over generated user writes', () => {
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.constant(null), fc.integer(), fc.constant('😀'.repeat(128)));
    const email = fc.oneof(fc.emailAddress(), fc.string({ maxLength: 20 }), fc.constant(null));
    const write = fc.record(
      {
        username: email,
        first_name: text,
        department: text,
        status: fc.constantFrom('active', 'inactive', 'archived', null),
        emails: fc.array(fc.record({ email, type: fc.constantFrom('work', 'alias', 'home', undefined), is_primary: fc.oneof(fc.boolean(), fc.constant('yes')) }, { requiredKeys: [] }), { maxLength: 12 }),
        languages: fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.integer()), { maxLength: 22 }),
        manager: fc.oneof(fc.constant(null), fc.record({ name: text, email }, { requiredKeys: [] }), fc.string()),
        custom_fields: fc.record({ custom_date_1: fc.oneof(fc.constant('2025-06-01'), fc.constant('2026-02-30'), fc.string({ maxLength: 12 }), fc.constant(null)) }, { requiredKeys: [] }),
        colour: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(write, fc.constantFrom(GATEWAY, CONSUMER), (plain, options) => {
        const { compiled, classValidator } = verdicts(UserWriteDto, plain, options);
        return compiled === classValidator;
      }),
      { numRuns: 400 },
    );
  });
});
