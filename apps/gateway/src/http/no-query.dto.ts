/** For routes without query parameters: with forbidNonWhitelisted any parameter is rejected by name. */
export class NoQueryParams {}
