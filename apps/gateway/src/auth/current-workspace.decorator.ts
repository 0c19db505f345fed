import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { workspaceOf } from './request-context';

/** The workspace id the API key guard resolved; use only on routes behind `@RequiresApiKey(scope)`. */
export const CurrentWorkspace = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const workspaceId = workspaceOf(context.switchToHttp().getRequest<Request>());
  if (!workspaceId) throw new ApiError(401, 'this route needs an API key');
  return workspaceId;
});
