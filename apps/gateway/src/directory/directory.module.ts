import { Module } from '@nestjs/common';
import { DirectoryReadService } from './directory-read.service';
import { UnifiedGroupsController } from './unified-groups.controller';
import { UnifiedUsersController } from './unified-users.controller';

@Module({
  controllers: [UnifiedUsersController, UnifiedGroupsController],
  providers: [DirectoryReadService],
})
export class DirectoryModule {}
