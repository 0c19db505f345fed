import { Catch, HttpException, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { sendScimError } from '../scim/scim-errors';
import { sendReportingError } from './kb4-gate';

/** Unknown routes answer in the surface's own error shape instead of Nest's. */
@Catch(NotFoundException)
export class SurfaceNotFoundFilter implements ExceptionFilter {
  catch(error: HttpException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (req.path.startsWith('/v1')) return sendReportingError(res, 404, 'Not Found');
    if (req.path.startsWith('/scim/v2')) return sendScimError(res, 404, 'Resource not found');
    res.status(404).json(error.getResponse());
  }
}
