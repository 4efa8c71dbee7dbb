/**
 * A small typed fetch client for django-expense-ai's REST API: an example of
 * using the generated `paths` / `components` types (api.d.ts), not a package.
 *
 * Every request's path, path parameters, query, body and successful response
 * body are checked against the OpenAPI schema by `tsc --noEmit`: when the API
 * changes and api.d.ts is regenerated, code here that no longer fits stops
 * compiling. No runtime dependency: the platform's `fetch`, `FormData`, `Blob`.
 *
 *     const api = new ExpenseAIClient("https://example.com", { csrfToken });
 *     const page = await api.listTransactions({ q: "coffee", date_from: "2026-03-01" });
 */
import type { components, paths } from "./api";

export type Schemas = components["schemas"];
type Method = "get" | "post" | "put" | "patch" | "delete";

/** The operation object of `method` on `path`, or `never` when the API has none. */
export type Operation<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O }
  ? O
  : never;

/** Paths that answer `method`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: object } ? P : never;
}[keyof paths];

type Parameters_<O, Where extends "path" | "query"> = O extends { parameters: { [K in Where]?: infer X } }
  ? Exclude<X, undefined>
  : never;

/** The JSON body of a successful (2xx) response; `undefined` for 204 No Content. */
export type SuccessBody<O> = O extends { responses: infer R }
  ? {
      [S in keyof R]: S extends 200 | 201 | 202 | 203 | 204 | 205 | 206
        ? R[S] extends { content: { "application/json": infer J } }
          ? J
          : undefined
        : never;
    }[keyof R]
  : never;

type RequestBody<O, Media extends string> = O extends {
  requestBody?: { content: { [K in Media]: infer B } };
}
  ? B
  : never;

/** What one call takes: path and query parameters, and a JSON or multipart body. */
export type CallOptions<O> = {
  query?: Parameters_<O, "query">;
  json?: RequestBody<O, "application/json">;
  form?: FormData;
  signal?: AbortSignal;
} & ([Parameters_<O, "path">] extends [never] ? { path?: undefined } : { path: Parameters_<O, "path"> });

/** The options argument: required when the path has parameters to fill. */
type OptionsArgument<O> = [Parameters_<O, "path">] extends [never] ? [options?: CallOptions<O>] : [options: CallOptions<O>];

/** An error answer: the API's RFC 9457 problem details (the schema's `Problem`) and the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Schemas["Problem"]>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = "ApiError";
  }

  /** The library's error class, a stable name such as "NotYours" or "WrongPassword". */
  get code(): string | undefined {
    return this.problem.code;
  }
}

export interface ClientOptions {
  /** Sent as X-CSRFToken on unsafe methods (session authentication). */
  csrfToken?: string;
  /** Sent as `Authorization: Token …` (token authentication), when the host enables it. */
  token?: string;
  /** Another fetch (tests, a wrapper that retries); defaults to the global one. */
  fetch?: typeof fetch;
}

function fillPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) {
      throw new TypeError(`Missing path parameter "${name}" for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export class ExpenseAIClient {
  private readonly fetchImpl: typeof fetch;

  /** @param baseUrl the site's origin (the schema's paths carry the mount point). */
  constructor(
    private readonly baseUrl: string,
    private readonly options: ClientOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * One typed call. Resolves with the successful response's body; rejects with
   * an {@link ApiError} carrying the problem details for any 4xx/5xx answer.
   */
  async call<M extends Method, P extends PathsWith<M>>(
    method: M,
    path: P,
    ...[options]: OptionsArgument<Operation<P, M>>
  ): Promise<SuccessBody<Operation<P, M>>> {
    options ??= {} as CallOptions<Operation<P, M>>;
    const headers = new Headers({ Accept: "application/json" });
    if (this.options.token) headers.set("Authorization", `Token ${this.options.token}`);
    if (method !== "get" && this.options.csrfToken) headers.set("X-CSRFToken", this.options.csrfToken);
    let body: BodyInit | undefined;
    if (options.form !== undefined) {
      body = options.form; // fetch sets the multipart boundary itself
    } else if (options.json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.json);
    }
    const url =
      this.baseUrl.replace(/\/$/, "") +
      fillPath(path, options.path as Record<string, unknown> | undefined) +
      queryString(options.query as Record<string, unknown> | undefined);
    const response = await this.fetchImpl(url, {
      method: method.toUpperCase(),
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
    if (!response.ok) {
      const problem = (await response.json().catch(() => ({}))) as Partial<Schemas["Problem"]>;
      throw new ApiError(response.status, problem);
    }
    if (response.status === 204) return undefined as SuccessBody<Operation<P, M>>;
    return (await response.json()) as SuccessBody<Operation<P, M>>;
  }

  // The three calls below are what a front end does first. Their types come
  // from the schema: a renamed field or a changed path fails `tsc --noEmit`.

  /** One page of the user's transactions (cursor pagination: pass `cursor` from `next`). */
  listTransactions(query: CallOptions<Operation<"/api/expense-ai/transactions/", "get">>["query"] = {}) {
    return this.call("get", "/api/expense-ai/transactions/", { query });
  }

  /** Sends one chat line ("@alice $50 lunch at pizza place"); the answer holds the reply. */
  postChatMessage(text: string) {
    return this.call("post", "/api/expense-ai/chat/messages/", { json: { text } });
  }

  /**
   * Uploads one statement file (PDF, CSV, OFX): resolves with the import's
   * result (201), or with the queued file to poll (202, enqueue mode).
   */
  uploadStatement(file: Blob, fileName: string, fields: Omit<UploadFields, "file"> = {}) {
    const form = new FormData();
    form.append("file", file, fileName);
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null) form.append(name, String(value));
    }
    return this.call("post", "/api/expense-ai/statements/", { form });
  }
}

/** The multipart fields of a statement upload, as the schema names them. */
export type UploadFields = RequestBody<Operation<"/api/expense-ai/statements/", "post">, "multipart/form-data">;

/** Example: the lines of the first page, amounts as the API sends them (decimal strings, never numbers). */
export async function firstPageLines(api: ExpenseAIClient): Promise<string[]> {
  const page = await api.listTransactions();
  return page.results.map((row: Schemas["Transaction"]) => `${row.date} ${row.amount} ${row.currency}`);
}

/** Example: the user's transactions matching a text since a date (the list's filters, as the schema names them). */
export async function search(api: ExpenseAIClient, text: string, since: string): Promise<Schemas["Transaction"][]> {
  const page = await api.listTransactions({ q: text, date_from: since, page_size: 50 });
  return page.results;
}

/** Example: a chat line, and what it did ("Added $50.00 lunch, split with Alice"). */
export async function say(api: ExpenseAIClient, text: string): Promise<string> {
  try {
    const result = await api.postChatMessage(text);
    return result.reply.content;
  } catch (error) {
    if (error instanceof ApiError && error.status === 429) return "Too many messages: wait a moment.";
    throw error;
  }
}

/** Example: upload a statement with its password; how many rows it gave, or that it is queued. */
export async function importStatement(api: ExpenseAIClient, file: File, password?: string): Promise<string> {
  const result = await api.uploadStatement(file, file.name, { password });
  return "created_transactions" in result
    ? `${result.filename}: ${result.created_transactions.length} new transactions`
    : `${result.filename}: ${result.status}`;
}
