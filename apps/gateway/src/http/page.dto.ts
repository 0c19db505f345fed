import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

export interface Page<T> {
  result: T[];
  next_cursor: string | null;
  result_count: number;
}

/**
 * The page every forward-only list answers (`result`, `next_cursor`, `result_count`), as a class to extend so each
 * list keeps its own schema name: `class SyncRunListDto extends PageOf(SyncRunDto) {}`.
 */
export function PageOf<T>(item: Type<T>, resultDescription?: string): Type<Page<T>> {
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item], ...(resultDescription === undefined ? {} : { description: resultDescription }) })
    result!: T[];

    @ApiProperty({ nullable: true, type: String, example: null, description: 'Pass as next_cursor for the next page; null on the last page' })
    next_cursor!: string | null;

    @ApiProperty({ type: 'integer', example: 1 })
    result_count!: number;
  }
  return PageDto;
}
