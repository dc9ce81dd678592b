// The pickle inside a PyTorch checkpoint (data.pkl of torch.save's ZIP archive), read by a
// restricted unpickler: it rebuilds dicts, lists, tuples, numbers, strings and tensor
// descriptions, and refuses everything else. Python's own unpickler calls whatever a pickle
// names (`os.system` included); this one only knows the handful of names a state dict uses and
// never runs anything, so a hostile file gets an error naming what it asked for.
//
// A pickle is a small stack-machine program. The opcodes torch.save writes (protocol 2):
//   GLOBAL "collections OrderedDict", EMPTY_TUPLE, REDUCE      → an empty dict
//   MARK key value key value … SETITEMS                         → fills it
//   GLOBAL "torch._utils _rebuild_tensor_v2", MARK (pid) BINPERSID offset size stride … TUPLE REDUCE
//     where the persistent id (pid) is ("storage", torch.FloatStorage, key, "cpu", numel): the
//     tensor's numbers are the ZIP entry data/<key>, a flat storage of that dtype, and the
//     tensor views it from element `offset` with the given shape and strides.
//   BINPUT / BINGET keep and reuse values (the memo); BUILD sets an object's state (a state
//   dict's `_metadata`, which we drop).
// Format logic only (no file access): it runs in browsers too.
import type { SafetensorsDType } from "./safetensors.js";

export class PickleError extends Error {
  override name = "PickleError";
}

/** A flat storage named by the checkpoint: its ZIP entry key, element type and length. */
export interface TorchStorage {
  key: string;
  dtype: SafetensorsDType;
  numel: number;
}

/** A tensor as a view of a storage: element offset, shape and strides in elements. */
export interface TorchTensorRef {
  storage: TorchStorage;
  offset: number;
  shape: number[];
  stride: number[];
}

/** The storage classes torch.save names, by the dtype of their elements. */
const STORAGE_DTYPES: Record<string, SafetensorsDType> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  DoubleStorage: "F64",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

/** The only names a checkpoint may ask for. */
const ALLOWED = new Set([
  "collections OrderedDict",
  "torch._utils _rebuild_tensor_v2",
  "torch._utils _rebuild_parameter",
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch ${s}`),
]);

class Global {
  constructor(readonly name: string) {}
}
class Tuple {
  constructor(readonly items: unknown[]) {}
}
const MARK = Symbol("mark");

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/**
 * The tensors of a torch.save pickle: name → tensor view. The pickled object must be a dict of
 * tensors (a state dict); nested dicts are flattened with "." between the keys.
 */
export function parseTorchPickle(bytes: Uint8Array, where: string): Map<string, TorchTensorRef> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder("utf-8", { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let at = 0;
  const fail = (msg: string): never => {
    throw new PickleError(`${where}: ${msg} (at byte ${at})`);
  };
  const need = (n: number) => {
    if (at + n > bytes.length) fail("the pickle ends early (truncated?)");
  };
  const u8 = () => (need(1), bytes[at++]);
  const u16 = () => (need(2), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4), (at += 4), view.getUint32(at - 4, true));
  const i32 = () => (need(4), (at += 4), view.getInt32(at - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    at += 8;
    if (!Number.isSafeInteger(v)) fail("a length is too large");
    return v;
  };
  const str = (n: number) => {
    need(n);
    at += n;
    try {
      return text.decode(bytes.subarray(at - n, at));
    } catch {
      return fail("a string is not valid UTF-8");
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail("the pickle ends inside a text line");
    const s = new TextDecoder("latin1").decode(bytes.subarray(at, end));
    at = end + 1;
    return s;
  };
  const pop = () => (stack.length === 0 ? fail("the stack is empty") : stack.pop());
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("no MARK on the stack");
    const items = stack.splice(i);
    return items.slice(1);
  };
  const global = (module: string, name: string) => {
    const full = `${module} ${name}`;
    if (!ALLOWED.has(full)) fail(`refused: the pickle asks for ${module}.${name}, which is not part of a tensor checkpoint (this reader rebuilds tensors only and never runs code)`);
    return new Global(full);
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };

  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof Global) || !(args instanceof Tuple)) return fail("REDUCE of something that is not an allowed function");
    const a = args.items;
    switch (fn.name) {
      case "collections OrderedDict":
        return new Map();
      case "torch._utils _rebuild_tensor_v2": {
        const [storage, offset, size, stride] = a;
        if (typeof storage !== "object" || storage === null || !("key" in storage)) fail("_rebuild_tensor_v2 without a storage");
        const shape = size instanceof Tuple ? size.items : fail("_rebuild_tensor_v2: size is not a tuple");
        const strides = stride instanceof Tuple ? stride.items : fail("_rebuild_tensor_v2: stride is not a tuple");
        if (!isInt(offset) || !shape.every(isInt) || !strides.every(isInt) || shape.length !== strides.length) fail("_rebuild_tensor_v2: bad offset, size or stride");
        return { storage, offset, shape, stride: strides } as TorchTensorRef;
      }
      case "torch._utils _rebuild_parameter":
        return a[0]; // nn.Parameter(tensor, requires_grad, hooks): the tensor is what we keep
      default:
        return fail(`${fn.name.replace(" ", ".")} cannot be called`);
    }
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol above 5");
        break;
      case 0x95: // FRAME (protocol 4): a length prefix, nothing to do
        u64();
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        return tensorsOf(result, where);
      }
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new Tuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new Tuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new Tuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail("APPEND to something that is not a list");
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) fail("APPENDS to something that is not a list");
        (list as unknown[]).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(stack[stack.length - 1], [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(stack[stack.length - 1], items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1: a little-endian two's-complement integer of n bytes (numel past 2³¹)
        const n = u8();
        need(n);
        let v = 0;
        for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
        if (n > 0 && bytes[at + n - 1] & 0x80) v -= 2 ** (8 * n);
        at += n;
        if (!Number.isSafeInteger(v)) fail("an integer is too large");
        stack.push(v);
        break;
      }
      case 0x47: // BINFLOAT: big-endian float64
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL (protocol 4)
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: f(*args)
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x51: {
        // BINPERSID: ("storage", storage class, key, location, numel) → a storage reference
        const pid = pop();
        const items = pid instanceof Tuple ? pid.items : fail("a persistent id that is not a tuple");
        const [kind, cls, key, , numel] = items;
        if (kind !== "storage" || !(cls instanceof Global) || typeof key !== "string" || !isInt(numel)) fail("a persistent id that is not a tensor storage");
        const dtype = STORAGE_DTYPES[(cls as Global).name.split(" ")[1]];
        stack.push({ key, dtype, numel } as TorchStorage);
        break;
      }
      case 0x62: {
        // BUILD: an object's state; only a state dict's `_metadata` is expected, and dropped
        const state = pop();
        if (!(stack[stack.length - 1] instanceof Map) || !(state instanceof Map)) fail("BUILD on something that is not a dict");
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x94: // MEMOIZE (protocol 4)
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
        stack.push(memo.get(i));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} (not one torch.save writes for a state dict)`);
    }
  }
}

/** The state dict's tensors, nested dicts flattened as "outer.inner". */
function tensorsOf(obj: unknown, where: string): Map<string, TorchTensorRef> {
  if (!(obj instanceof Map)) throw new PickleError(`${where}: the checkpoint is not a dict of tensors (a state dict)`);
  const out = new Map<string, TorchTensorRef>();
  const walk = (m: Map<unknown, unknown>, prefix: string) => {
    for (const [k, v] of m) {
      if (typeof k !== "string") continue;
      if (v instanceof Map) walk(v, `${prefix}${k}.`);
      else if (typeof v === "object" && v !== null && "storage" in v) out.set(prefix + k, v as TorchTensorRef);
      // numbers, strings and lists beside the tensors (an epoch, a config) are not weights
    }
  };
  walk(obj, "");
  return out;
}
