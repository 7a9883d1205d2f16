import { ERROR_CODE_PATTERN } from "@switchboard/protocol";
import { TRANSPORT_HTTP_STATUS } from "../errors.js";

/** What a module declares about one of its error codes (its contract holds the table). */
export interface ErrorDeclaration {
  /** The HTTP status REST answers with. */
  status: number;
  /** What it means and what `details` carries (for docs and OpenAPI). */
  description: string;
}

export type ErrorDeclarations = Readonly<Record<string, ErrorDeclaration>>;

/**
 * Every code the server may answer with and its HTTP status: the transport's, then each module's.
 * A module may not redefine a transport code or another module's.
 */
export class ErrorCatalog {
  private readonly status = new Map<string, number>(Object.entries(TRANSPORT_HTTP_STATUS));
  private readonly owner = new Map<string, string>();

  declare(module: string, errors: ErrorDeclarations): void {
    for (const [code, declaration] of Object.entries(errors)) {
      if (!ERROR_CODE_PATTERN.test(code))
        throw new Error(`module ${module}: error code "${code}" must be lower snake case`);
      if (
        !Number.isInteger(declaration.status) ||
        declaration.status < 400 ||
        declaration.status > 599
      )
        throw new Error(`module ${module}: error code ${code} needs an HTTP status 400-599`);
      if (this.status.has(code)) {
        const by = this.owner.get(code);
        throw new Error(
          `module ${module}: error code ${code} is already ${by ? `declared by module ${by}` : "a transport code"}`,
        );
      }
      this.status.set(code, declaration.status);
      this.owner.set(code, module);
    }
  }

  /** The HTTP status of a declared code; undefined for a code nobody declared. */
  statusOf(code: string): number | undefined {
    return this.status.get(code);
  }
}
