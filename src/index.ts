// decoding-gpt: the library entry point (Node and browser alike).
export * from "./tensor/index.js";
export { backend, setBackend, jsBackend, type Backend } from "./backend/index.js";
