import { Module } from '@nestjs/common';
import { IdentityGraphModule } from '../identity-graph/identity-graph.module';
import { DirectoryReadService } from './directory-read.service';
import { UnifiedGroupsController } from './unified-groups.controller';
import { UnifiedUsersController } from './unified-users.controller';

@Module({
  // the identity graph's routes, and expand=risk,training,phishing on user reads
  imports: [IdentityGraphModule],
  controllers: [UnifiedUsersController, UnifiedGroupsController],
  providers: [DirectoryReadService],
})
export class DirectoryModule {}
