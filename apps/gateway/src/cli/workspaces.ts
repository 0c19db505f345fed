import { unwrap } from '@kb4/client';
import { ALL_API_KEY_SCOPES, ApiKeyScope, isApiKeyScope } from '../auth/scopes';
import { CliCommand, CliUsageError } from './context';

function scopesFlag(value: string | undefined): ApiKeyScope[] {
  if (value === undefined) return [...ALL_API_KEY_SCOPES];
  const scopes = value.split(',').map((scope) => scope.trim());
  const unknown = scopes.filter((scope) => !isApiKeyScope(scope));
  if (unknown.length || scopes.length === 0) throw new CliUsageError(`--scopes takes a comma list of ${ALL_API_KEY_SCOPES.join(', ')} (unknown: ${unknown.join(', ')})`);
  return scopes as ApiKeyScope[];
}

/** Workspaces and API keys through the gateway's admin API (the operator token). */
export const workspaceCommands: CliCommand[] = [
  {
    words: ['workspace', 'create'],
    usage: 'workspace create --name <name>',
    async run({ args, print, admin }) {
      args.only('name');
      const workspace = unwrap(await admin().POST('/admin/workspaces', { body: { name: args.required('name') } }));
      print({ workspace_id: workspace.id, name: workspace.name, created_at: workspace.created_at });
    },
  },
  {
    words: ['workspace', 'list'],
    usage: 'workspace list',
    async run({ args, print, admin }) {
      args.only();
      const client = admin();
      const result = [];
      let cursor: string | undefined;
      do {
        const page = unwrap(await client.GET('/admin/workspaces', { params: { query: { limit: 500, next_cursor: cursor } } }));
        result.push(...page.result);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      print({ result, result_count: result.length });
    },
  },
  {
    words: ['api-key', 'create'],
    usage: `api-key create --workspace <workspace id> [--label <label>] [--scopes ${ALL_API_KEY_SCOPES.join(',')} (default: all)]`,
    async run({ args, print, admin }) {
      args.only('workspace', 'label', 'scopes');
      const workspaceId = args.required('workspace');
      const issued = unwrap(
        await admin().POST('/admin/workspaces/{id}/api-keys', {
          params: { path: { id: workspaceId } },
          body: { label: args.optional('label') ?? '', scopes: scopesFlag(args.optional('scopes')) },
        }),
      );
      // the only time the clear key exists outside the caller's hands: only its hash is stored
      print({ api_key: issued.key, api_key_id: issued.id, workspace_id: workspaceId, scopes: issued.scopes, note: 'shown once; store it now' });
    },
  },
  {
    words: ['api-key', 'list'],
    usage: 'api-key list --workspace <workspace id>',
    async run({ args, print, admin }) {
      args.only('workspace');
      print(unwrap(await admin().GET('/admin/workspaces/{id}/api-keys', { params: { path: { id: args.required('workspace') } } })));
    },
  },
  {
    words: ['api-key', 'revoke'],
    usage: 'api-key revoke --workspace <workspace id> --id <api key id>   (401 at once on every gateway replica)',
    async run({ args, print, admin }) {
      args.only('workspace', 'id');
      const path = { id: args.required('workspace'), key_id: args.required('id') };
      print(unwrap(await admin().DELETE('/admin/workspaces/{id}/api-keys/{key_id}', { params: { path } })));
    },
  },
];
