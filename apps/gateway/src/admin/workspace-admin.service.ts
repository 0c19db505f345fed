import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiKeyEntity, TimeKeyset, WorkspaceEntity, WorkspaceRepository } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import type { ApiKeyScope } from '../auth/scopes';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, queryFingerprint, readNextCursor } from '../directory/cursor';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Workspaces and their API keys, for the operator (admin API, CLI) and for a workspace's own accounts:manage keys.
 * A key's clear value leaves this service once, from `issueKey`; it is never logged.
 */
@Injectable()
export class WorkspaceAdminService {
  private readonly logger = new Logger(WorkspaceAdminService.name);
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(WorkspaceRepository) private readonly workspaces: WorkspaceRepository,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async createWorkspace(name: string): Promise<WorkspaceEntity> {
    const workspace = await this.workspaces.createWorkspace(name);
    this.logger.log(`created workspace ${workspace.id}`);
    return workspace;
  }

  async listWorkspaces(limit: number, cursor: string | undefined): Promise<{ rows: WorkspaceEntity[]; nextCursor: string | null }> {
    const fingerprint = queryFingerprint({ resource: 'workspaces', limit });
    const page = await this.workspaces.pageWorkspaces(limit, this.decodeCursor(cursor, fingerprint));
    return { rows: page.rows, nextCursor: page.next ? this.cursors.encodeTimeKeyset(page.next, fingerprint) : null };
  }

  async requireWorkspace(id: string): Promise<WorkspaceEntity> {
    const workspace = UUID.test(id) ? await this.workspaces.findWorkspace(id) : null;
    if (!workspace) throw new ApiError(404, `no workspace with id "${id.slice(0, 64)}"`);
    return workspace;
  }

  async issueKey(workspaceId: string, input: { label?: string; scopes: ApiKeyScope[] }): Promise<{ apiKey: ApiKeyEntity; key: string }> {
    await this.requireWorkspace(workspaceId);
    const issued = await this.workspaces.issueApiKey(workspaceId, { label: input.label ?? '', scopes: input.scopes });
    this.logger.log(`issued API key ${issued.apiKey.id} (${input.scopes.join(' ')}) for workspace ${workspaceId}`);
    return issued;
  }

  async listKeys(workspaceId: string): Promise<ApiKeyEntity[]> {
    await this.requireWorkspace(workspaceId);
    return this.workspaces.listApiKeys(workspaceId);
  }

  /** Revoked on every replica when this returns (see ApiKeyAuthenticator.change); revoking twice keeps the first time. */
  async revokeKey(workspaceId: string, keyId: string): Promise<ApiKeyEntity> {
    await this.requireWorkspace(workspaceId);
    const key = UUID.test(keyId) ? await this.workspaces.findApiKey(workspaceId, keyId) : null;
    if (!key) throw new ApiError(404, `workspace ${workspaceId} has no API key with id "${keyId.slice(0, 64)}"`);
    const revoked = await this.authenticator.change(key.keyHash, () => this.workspaces.revokeApiKey(workspaceId, keyId));
    this.logger.log(`revoked API key ${keyId} of workspace ${workspaceId}`);
    return revoked ?? key;
  }

  private decodeCursor(cursor: string | undefined, fingerprint: string): TimeKeyset | undefined {
    return cursor === undefined ? undefined : readNextCursor(() => this.cursors.decodeTimeKeyset(cursor, fingerprint));
  }
}
