import { Module, type DynamicModule } from '@nestjs/common';
import { AdminController } from './admin/admin.controller';
import { SANDBOX_DEPS, type SandboxDeps } from './admin/sandbox-deps';
import { ReportingController } from './reporting/reporting.controller';
import { ScimController } from './scim/scim.controller';

/** One Nest module: Reporting API, SCIM and the admin surface over shared in-memory state. */
@Module({})
export class SandboxModule {
  static register(deps: SandboxDeps): DynamicModule {
    return {
      module: SandboxModule,
      controllers: [ReportingController, ScimController, AdminController],
      providers: [{ provide: SANDBOX_DEPS, useValue: deps }],
    };
  }
}
