// A stand-in for the Hugging Face hub on 127.0.0.1, for tests. It answers the requests the
// downloader makes, as huggingface.co answers them:
//   GET /api/models/{repo}/revision/{rev}    the commit of a revision (@huggingface/hub's modelInfo)
//   GET /api/models/{repo}/tree/{rev}        the files, with sizes, git oids and LFS sha256 (listFiles)
//   GET /{repo}/resolve/{rev}/{path}         a file: small ones directly, with ETag = git blob sha1;
//                                            LFS ones by a 302 to a "CDN" URL, with X-Linked-Etag
//                                            (sha256) and X-Linked-Size, as the hub does
// with X-Repo-Commit on file answers, Range requests (206 / 416), 307 redirects from a renamed
// repo's old id, X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) on errors,
// and faults to order: a transfer cut off, a server that stops answering, bytes that do not match,
// a transfer held halfway until the test lets it go on (to make two downloads overlap).
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockRepo {
  id: string;
  files: Record<string, Uint8Array | string>;
  /** Branches and tags besides "main" → commit. */
  refs?: Record<string, string>;
  /** Anonymous requests for files get 401 GatedRepo; any token but `hf_granted` gets 403. */
  gated?: boolean;
  /** Old ids the hub redirects to this one ("gpt2" → "openai-community/gpt2"). */
  renamedFrom?: string[];
}

export interface MockRequest {
  method: string;
  url: string;
  range?: string;
  auth?: string;
}

/** What the hub lists for a file, computed here the way git and git-lfs define it. */
export const gitBlobSha1 = (bytes: Uint8Array): string => createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
export const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
/** Which files the mock stores with LFS: the weights, as every model repo does. */
export const isLfs = (path: string): boolean => /\.(safetensors|bin|msgpack|h5)$/.test(path);

interface Fault {
  path: string;
  kind: "cut" | "stall" | "corrupt" | "pause";
  after: number;
  /** "pause": called once the first bytes are out; the rest goes when `resumed` settles. */
  reached?: () => void;
  resumed?: Promise<void>;
}

export interface MockHub {
  url: string;
  /** The commit "main" points to in a repo. */
  commit(repo: string): string;
  requests: MockRequest[];
  /** The next transfer of `path` sends `after` bytes, then: "cut" closes the connection, "stall" sends nothing more. "corrupt" flips a byte. */
  fault(path: string, kind: "cut" | "stall" | "corrupt", after?: number): void;
  /** The next transfer of `path` sends `after` bytes, then waits for resume(); `reached` resolves once it is waiting there. */
  pause(path: string, after: number): { reached: Promise<void>; resume: () => void };
  /** While on, no request is answered at all. */
  silent: boolean;
  close(): Promise<void>;
}

const bytesOf = (v: Uint8Array | string): Uint8Array => (typeof v === "string" ? new TextEncoder().encode(v) : v);

export async function startMockHub(repos: MockRepo[]): Promise<MockHub> {
  const byId = new Map(repos.map((r) => [r.id, r]));
  const renamed = new Map(repos.flatMap((r) => (r.renamedFrom ?? []).map((old) => [old, r.id] as const)));
  const commitOf = (id: string) => createHash("sha1").update(`commit of ${id}`).digest("hex");
  const faults: Fault[] = [];
  const requests: MockRequest[] = [];
  const cdn = new Map<string, Uint8Array>(); // sha256 → bytes

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array = "") => {
    res.writeHead(status, headers);
    res.end(body);
  };
  const error = (res: ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { "Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message }, JSON.stringify({ error: message }));

  /** Sends bytes honouring Range, and any fault ordered for this file. */
  const serveBytes = (req: IncomingMessage, res: ServerResponse, path: string, bytes: Uint8Array, headers: Record<string, string>) => {
    let start = 0;
    let end = bytes.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= bytes.length) return send(res, 416, { ...headers, "Content-Range": `bytes */${bytes.length}` });
    }
    const head = { ...headers, "Accept-Ranges": "bytes", "Content-Length": String(end - start + 1), ...(range ? { "Content-Range": `bytes ${start}-${end}/${bytes.length}` } : {}) };
    let body = bytes.subarray(start, end + 1);
    const i = faults.findIndex((f) => f.path === path);
    const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
    if (fault?.kind === "corrupt") {
      body = Uint8Array.from(body);
      body[Math.min(fault.after, body.length - 1)] ^= 0xff;
    }
    res.writeHead(range ? 206 : 200, head);
    // "cut": the bytes go out, and a moment later (once the client has read them) the connection drops
    if (fault?.kind === "cut") return void res.write(body.subarray(0, fault.after), () => setTimeout(() => res.socket?.destroy(), 100));
    if (fault?.kind === "stall") return void res.write(body.subarray(0, fault.after)); // and never end
    if (fault?.kind === "pause") {
      res.write(body.subarray(0, fault.after), () => fault.reached?.());
      return void fault.resumed?.then(() => res.end(body.subarray(fault.after)));
    }
    res.end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({ method: req.method ?? "", url: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    if (hub.silent) return; // answer nothing: the client must time out

    const cdnHit = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdnHit) {
      const bytes = cdn.get(cdnHit[1]);
      if (!bytes) return error(res, 404, "EntryNotFound", "no such object");
      const path = url.searchParams.get("path") ?? "";
      return serveBytes(req, res, path, bytes, { ETag: `"${cdnHit[1]}"` });
    }

    // /api/models/{repo}/(revision|tree)/{rev}  or  /{repo}/resolve/{rev}/{path}
    const api = /^\/api\/models\/(.+?)\/(revision|tree)\/([^/]+)/.exec(url.pathname);
    const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = decodeURIComponent((api ?? resolve)?.[1] ?? "");
    if (!api && !resolve) return error(res, 404, "", "not a hub URL");
    const newId = renamed.get(repoId);
    if (newId) return send(res, 307, { Location: url.pathname.replace(`/${repoId}/`, `/${newId}/`) + url.search });
    const repo = byId.get(repoId);
    if (!repo) return req.headers.authorization ? error(res, 404, "RepoNotFound", "Repository not found") : error(res, 401, "RepoNotFound", "Invalid username or password.");
    const rev = decodeURIComponent(api ? api[3] : resolve![2]);
    const commit = commitOf(repo.id);
    const refs: Record<string, string> = { main: commit, ...repo.refs };
    const at = rev === "HEAD" ? commit : (refs[rev] ?? (Object.values(refs).includes(rev) ? rev : undefined));
    if (!at) return error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);

    const files = Object.entries(repo.files).map(([path, v]) => ({ path, bytes: bytesOf(v) }));
    if (api?.[2] === "revision") {
      const info = { _id: `id-${repo.id}`, id: repo.id, sha: at, private: false, gated: repo.gated ? "manual" : false, downloads: 0, likes: 0, lastModified: "2024-01-01T00:00:00.000Z", pipeline_tag: "text-generation", siblings: files.map((f) => ({ rfilename: f.path })) };
      return send(res, 200, { "Content-Type": "application/json" }, JSON.stringify(info));
    }
    if (api?.[2] === "tree") {
      const dirs = [...new Set(files.flatMap((f) => (f.path.includes("/") ? [f.path.slice(0, f.path.lastIndexOf("/"))] : [])))];
      const entries = [
        ...dirs.map((d) => ({ type: "directory", oid: gitBlobSha1(bytesOf(d)), size: 0, path: d })),
        ...files.map(({ path, bytes }) => {
          if (!isLfs(path)) return { type: "file", oid: gitBlobSha1(bytes), size: bytes.length, path };
          const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`;
          return { type: "file", oid: gitBlobSha1(bytesOf(pointer)), size: bytes.length, path, lfs: { oid: sha256(bytes), size: bytes.length, pointerSize: pointer.length } };
        }),
      ];
      return send(res, 200, { "Content-Type": "application/json" }, JSON.stringify(entries));
    }

    // a file
    const path = decodeURIComponent(resolve![3]);
    const file = files.find((f) => f.path === path);
    if (repo.gated && req.headers.authorization !== "Bearer hf_granted") {
      const msg = req.headers.authorization ? `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repo.id} to ask for access.` : `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      return error(res, req.headers.authorization ? 403 : 401, "GatedRepo", msg);
    }
    if (!file) return error(res, 404, "EntryNotFound", `${path} does not exist on "${rev}"`);
    if (isLfs(path)) {
      const sha = sha256(file.bytes);
      cdn.set(sha, file.bytes);
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${file.bytes.length}\n`;
      return send(res, 302, { Location: `/cdn/${sha}?path=${encodeURIComponent(path)}`, "X-Repo-Commit": at, "X-Linked-Etag": `"${sha}"`, "X-Linked-Size": String(file.bytes.length), ETag: `"${gitBlobSha1(bytesOf(pointer))}"` });
    }
    return serveBytes(req, res, path, file.bytes, { "X-Repo-Commit": at, ETag: `"${gitBlobSha1(file.bytes)}"`, "Content-Type": "application/octet-stream" });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const hub: MockHub = {
    url: `http://127.0.0.1:${port}`,
    commit: commitOf,
    requests,
    fault: (path, kind, after = 0) => void faults.push({ path, kind, after }),
    pause: (path, after) => {
      let reached = () => {};
      let resume = () => {};
      const fault: Fault = { path, kind: "pause", after, resumed: new Promise<void>((r) => (resume = r)) };
      const reachedPromise = new Promise<void>((r) => (reached = r));
      fault.reached = reached;
      faults.push(fault);
      return { reached: reachedPromise, resume };
    },
    silent: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return hub;
}

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
