# PyTorch side of `npm run bench`: times the same workloads as bench/*.ts on this machine.
# Run with Debian's python3 (python3-torch + libopenblas0-pthread). Prints one JSON object.
import json
import sys
import time

import torch


def timeit(fn, min_time=0.3):
    fn()
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return elapsed / reps
        reps *= 2


def matmul(spec):
    out = {}
    for threads in spec["threads"]:
        torch.set_num_threads(threads)
        for batch, m, k, n in spec["shapes"]:
            a = torch.randn(batch, m, k) if batch > 1 else torch.randn(m, k)
            b = torch.randn(batch, k, n) if batch > 1 else torch.randn(k, n)
            t = timeit(lambda: torch.matmul(a, b))
            out[f"{batch}x{m}x{k}x{n}@{threads}"] = 2 * batch * m * k * n / t / 1e9
    return out


def main():
    spec = json.loads(sys.argv[1])
    result = {"torch": torch.__version__, "matmul": matmul(spec["matmul"])}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
