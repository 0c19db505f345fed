import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { AdminWorkspacesController } from './admin-workspaces.controller';
import { WorkspaceAdminService } from './workspace-admin.service';
import { WorkspaceApiKeysController } from './workspace-api-keys.controller';

/** Workspace admin: the operator's /admin API (ADMIN_TOKEN) and a workspace's own /api-keys (accounts:manage). */
@Module({
  controllers: [AdminWorkspacesController, WorkspaceApiKeysController],
  providers: [WorkspaceAdminService, AdminTokenGuard],
})
export class AdminModule {}
