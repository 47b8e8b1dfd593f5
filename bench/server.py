#!/usr/bin/env python3
"""Times `deferfix server` on a 2,000-line Go file and watches its memory over 1,000 edits.

Latency: from sending the document (didOpen, or didChange with the whole text) to receiving its
publishDiagnostics, the answer an editor waits for; median and 95th percentile over RUNS changes.
Memory: the server's resident set (VmRSS) after 100 and after 1,000 incremental edits of one file
(each waited for), so growth per edit shows.

Usage: bench/server.py [path/to/deferfix]   (default target/release/deferfix; build it first)
Env:   RUNS=50   timed full-text changes
Targets: median under 50 ms; RSS after 1,000 edits within 10 MB of RSS after 100.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

MAX_MEDIAN_MS = 50
MAX_GROWTH_MB = 10


def go_file(lines=2000):
    """A package of functions, each a loop that opens files with a defer in the loop."""
    out = ["package bench", "", 'import "os"', ""]
    n = 0
    while len(out) < lines:
        out += [
            f"// Read{n} reads every path; «über» {n}.",
            f"func Read{n}(paths []string) (int, error) {{",
            "\ttotal := 0",
            "\tfor _, p := range paths {",
            "\t\tf, err := os.Open(p)",
            "\t\tif err != nil {",
            "\t\t\treturn total, err",
            "\t\t}",
            "\t\tdefer f.Close()",
            "\t\tinfo, err := f.Stat()",
            "\t\tif err != nil {",
            "\t\t\treturn total, err",
            "\t\t}",
            "\t\ttotal += int(info.Size())",
            "\t}",
            "\treturn total, nil",
            "}",
            "",
        ]
        n += 1
    return "\n".join(out) + "\n"


class Server:
    def __init__(self, binary, cwd):
        self.proc = subprocess.Popen(
            [binary, "server"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 1

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == rid and "method" not in message:
                return message

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri, version):
        while True:
            message = self.read()
            params = message.get("params", {})
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and params.get("uri") == uri
                and params.get("version") == version
            ):
                return params["diagnostics"]

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target/release/deferfix")
    runs = int(os.environ.get("RUNS", "50"))
    text = go_file()
    with tempfile.TemporaryDirectory() as module:
        with open(os.path.join(module, "go.mod"), "w") as go_mod:
            go_mod.write("module example.com/bench\n\ngo 1.22\n")
        path = os.path.join(module, "bench.go")
        with open(path, "w") as file:
            file.write(text)
        uri = "file://" + path
        server = Server(binary, module)
        server.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        server.notify("initialized", {})
        start = time.perf_counter()
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}},
        )
        findings = len(server.diagnostics(uri, 1))
        open_ms = (time.perf_counter() - start) * 1000
        version = 1
        latencies = []
        for _ in range(runs):
            version += 1
            start = time.perf_counter()
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
            )
            server.diagnostics(uri, version)
            latencies.append((time.perf_counter() - start) * 1000)
        rss = {}
        for edit in range(1, 1001):
            version += 1
            # Type a character into line 0's comment-free end and take it back, alternately.
            line = 4 + (edit % 1500)
            change = (
                {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": "x"}
                if edit % 2
                else {"range": {"start": {"line": line - 1, "character": 0}, "end": {"line": line - 1, "character": 1}}, "text": ""}
            )
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            server.diagnostics(uri, version)
            if edit in (100, 1000):
                rss[edit] = server.rss_mb()
        server.request("shutdown", None)
        server.notify("exit", None)
        server.proc.wait(timeout=10)
    lines = text.count("\n")
    median = statistics.median(latencies)
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
    growth = rss[1000] - rss[100]
    print(f"file: {lines} lines, {findings} findings")
    print(f"didOpen -> diagnostics: {open_ms:.1f} ms")
    print(f"didChange (whole text) -> diagnostics over {runs} runs: median {median:.1f} ms, p95 {p95:.1f} ms")
    print(f"RSS after 100 edits: {rss[100]:.1f} MB; after 1,000 edits: {rss[1000]:.1f} MB (growth {growth:+.1f} MB)")
    ok = median < MAX_MEDIAN_MS and growth < MAX_GROWTH_MB
    print("targets:", "met" if ok else "MISSED", f"(median < {MAX_MEDIAN_MS} ms, growth < {MAX_GROWTH_MB} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
