import { WorkspaceRepository } from '@kb4/persistence';
import { CliCommand, CliUsageError } from './context';

export const workspaceCommands: CliCommand[] = [
  {
    words: ['workspace', 'create'],
    usage: 'workspace create --name <name>',
    async run({ args, print, withDataSource }) {
      args.only('name');
      const name = args.required('name');
      const workspace = await withDataSource((dataSource) => new WorkspaceRepository(dataSource).createWorkspace(name));
      print({ workspace_id: workspace.id, name: workspace.name });
    },
  },
  {
    words: ['api-key', 'create'],
    usage: 'api-key create --workspace <workspace id> [--label <label>]',
    async run({ args, print, withDataSource }) {
      args.only('workspace', 'label');
      const workspaceId = args.required('workspace');
      const issued = await withDataSource(async (dataSource) => {
        const workspaces = new WorkspaceRepository(dataSource);
        if (!/^[0-9a-f-]{36}$/i.test(workspaceId) || !(await workspaces.findWorkspace(workspaceId))) {
          throw new CliUsageError(`no workspace ${workspaceId}`);
        }
        return workspaces.issueApiKey(workspaceId, args.optional('label') ?? '');
      });
      // the only time the clear key exists outside the caller's hands: only its hash is stored
      print({ api_key: issued.key, api_key_id: issued.apiKey.id, workspace_id: workspaceId, note: 'shown once; store it now' });
    },
  },
];
