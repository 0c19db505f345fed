import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { STATUS_CODES } from 'node:http';
import { ApiError, ApiErrorBody } from './api-error';
import { requestIdOf } from '../http/request-id.middleware';

function messageOf(response: unknown, fallback: string): { message: string; details?: unknown } {
  if (typeof response === 'string') return { message: response };
  if (response && typeof response === 'object') {
    const { message, details } = response as { message?: unknown; details?: unknown };
    if (Array.isArray(message)) return { message: message.map(String).join('; '), details: details ?? message };
    if (typeof message === 'string') return { message, details };
  }
  return { message: fallback };
}

/** Maps every thrown error to design.md's error shape with a request id; never leaks a stack trace. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const body = this.toBody(exception, requestIdOf(request));
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, request_id: body.request_id, path: request.path }, 'request failed');
    }
    if (response.headersSent) return;
    if (exception instanceof ApiError) for (const [name, value] of Object.entries(exception.options.headers ?? {})) response.setHeader(name, value);
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): ApiErrorBody {
    if (exception instanceof ApiError) {
      return {
        statusCode: exception.statusCode,
        error: STATUS_CODES[exception.statusCode] ?? 'Error',
        message: exception.message,
        ...(exception.details === undefined ? {} : { details: exception.details }),
        request_id: requestId,
        ...(exception.remote
          ? {
              truto_is_remote_error: true as const,
              raw_response: { status: exception.remote.status, body: exception.remote.body },
              truto_error_insight: exception.remote.insight,
            }
          : exception.options.insight
            ? { truto_error_insight: exception.options.insight }
            : {}),
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const { message, details } = messageOf(exception.getResponse(), exception.message);
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message,
        ...(details === undefined ? {} : { details }),
        request_id: requestId,
      };
    }
    // body-parser errors carry a status (e.g. 400 for malformed JSON, 413 for a huge body)
    const status = (exception as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: (exception as Error).message, request_id: requestId };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'An unexpected error occurred; quote the request_id when reporting it.',
      request_id: requestId,
    };
  }
}
