"""The machine and the results of scripts/gpu-check.sh, with nothing but the standard library (and
torch, when the python running it has it): the GPU machine has no other package we can count on.

  gpu_check_report.py env --out WORK/env.json --mode gpu|cpu
      the machine: GPU, driver, CUDA, torch, compilers, cores, memory
  gpu_check_report.py report --work WORK --out OUT --mode gpu|cpu --seconds S [--failed PHASE]
      OUT/gpu-check.json (everything), OUT/summary.md, and the raw files beside them
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def first_line(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].strip() if out.returncode == 0 and text else None


def last_line(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [l for l in out.stdout.strip().splitlines() if l.strip()]
    return lines[-1].strip() if out.returncode == 0 and lines else None


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    return None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def env(args):
    e = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": args.mode,
        "hostname": platform.node(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "cxx": first_line(["c++", "--version"]) or first_line(["g++", "--version"]),
        "cmake": first_line(["cmake", "--version"]),
        "ninja": first_line(["ninja", "--version"]),
        "nvcc": last_line([os.environ.get("GC_CUDACXX") or "nvcc", "--version"]),
        "nvidia_smi": first_line(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                                  "--format=csv,noheader"]),
    }
    try:
        import torch

        e["torch"] = torch.__version__
        e["torch_cuda"] = torch.version.cuda
        e["torch_dir"] = os.path.dirname(torch.__file__)
        e["cuda_available"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            e["gpu"] = p.name
            e["gpu_memory_gib"] = round(p.total_memory / 2 ** 30, 1)
            e["gpu_capability"] = f"{p.major}.{p.minor}"
            e["gpu_multiprocessors"] = p.multi_processor_count
            e["cudnn"] = torch.backends.cudnn.version()
    except Exception as exc:  # the phase fails on this below, naming it
        e["torch_error"] = repr(exc)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(e, f, indent=1)
    print(json.dumps(e, indent=1))
    if "torch_error" in e:
        print(f"cannot import torch in {sys.executable}: {e['torch_error']}", file=sys.stderr)
        return 1
    if args.mode == "gpu" and not e["cuda_available"]:
        print(f"torch {e['torch']} in {sys.executable} sees no CUDA device", file=sys.stderr)
        return 1
    return 0


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_jsonl(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        rows.append(json.loads(line))
                    except ValueError:
                        rows.append({"unparsed": line})
    except OSError:
        pass
    return rows


def read_phases(path):
    phases = []
    try:
        with open(path) as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                cells = line.rstrip("\n").split("\t")
                row = dict(zip(header, cells))
                for k in ("seconds", "limit_s"):
                    try:
                        row[k] = float(row[k])
                    except (KeyError, ValueError):
                        pass
                phases.append(row)
    except OSError:
        pass
    return phases


def read_ctest(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed, failed, skipped = [], [], []
    for case in root.iter("testcase"):
        name = case.get("name")
        if case.find("failure") is not None or case.get("status") == "fail":
            failed.append(name)
        elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
            skipped.append(name)
        else:
            passed.append(name)
    return {"total": len(passed) + len(failed) + len(skipped), "passed": len(passed), "failed": len(failed),
            "skipped": len(skipped), "failed_tests": failed, "skipped_tests": skipped}


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def bench_table(rows):
    """One line per (size, batch): the three models' steps, the loop and the pipeline."""
    configs = []
    for r in rows:
        if r.get("bench") in ("train_step", "loop", "pipeline") and "width" in r:
            key = (r["width"], r["height"], r.get("batch"))
            if key not in configs and key[2] is not None:
                configs.append(key)

    def find(bench, model, w, h, b=None, precision="fp32"):
        for r in rows:
            if r.get("bench") == bench and r.get("model") == model and r.get("width") == w and r.get("height") == h and \
                    (b is None or r.get("batch") == b) and r.get("precision", "fp32") == precision:
                return r
        return {}

    lines = ["| size | batch | A ms/step | A clips/s | B ms/step | B clips/s | A, B ms/step in bf16 | C ms/frame | loop frames/s |"
             " loop ms: pre / A / B / C | pipeline frames/s | peak MiB (loop) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for i, (w, h, b) in enumerate(configs):
        a, bb = find("train_step", "slow", w, h, b), find("train_step", "linearize", w, h, b)
        a16, b16 = find("train_step", "slow", w, h, b, "bf16"), find("train_step", "linearize", w, h, b, "bf16")
        bf16 = f"{fmt(a16.get('ms_per_step'))} / {fmt(b16.get('ms_per_step'))}" if a16 or b16 else "–"
        # Model C is measured once per size (its batch is windows): on that size's first row.
        c = find("frame_step", "neartofar", w, h) if i == 0 or configs[i - 1][:2] != (w, h) else {}
        loop = find("loop", "slow+linearize+neartofar", w, h, b)
        pipe = find("pipeline", "slow+linearize+neartofar", w, h, b)
        peak = loop.get("peak_allocated_mb", loop.get("process_max_rss_mb"))
        breakdown = " / ".join(fmt(loop.get(k)) for k in ("ms_preprocess", "ms_slow", "ms_linearize", "ms_neartofar")) if loop else "–"
        lines.append(f"| {w}×{h} | {b} | {fmt(a.get('ms_per_step'))} | {fmt(a.get('clips_per_s'))} | {fmt(bb.get('ms_per_step'))} | "
                     f"{fmt(bb.get('clips_per_s'))} | {bf16} | {fmt(c.get('ms_per_frame'))} | {fmt(loop.get('frames_per_s'), 2)} | {breakdown} | "
                     f"{fmt(pipe.get('frames_per_s'), 2)} | {fmt(peak, 0)} |")
    errors = [r for r in rows if "error" in r]
    for r in errors:
        lines.append(f"\nerror in {r.get('bench')} {r.get('model')} {r.get('width')}×{r.get('height')} batch {r.get('batch')}: {r['error']}")
    conv = [r for r in rows if r.get("bench") == "decoder_conv" and "ms_per_step" in r]
    if conv:
        lines.append("\nThe decoder convolution, forward and backward, ms per step (decoder_conv2d / conv2d / conv_transpose2d):")
        for w, h, b in sorted({(r["width"], r["height"], r["batch"]) for r in conv}):
            ways = {r["model"]: r["ms_per_step"] for r in conv if (r["width"], r["height"], r["batch"]) == (w, h, b)}
            lines.append(f"- {w}×{h}, batch {b}: " + " / ".join(fmt(ways.get(n), 2) for n in ("decoder_conv2d", "conv2d", "conv_transpose2d")))
    c_rows = [r for r in rows if r.get("bench") == "frame_step"]
    for r in c_rows:
        lines.append(f"\nModel C at {r['width']}×{r['height']}: trained on {r.get('trained_frames')} of {r.get('frames_consumed')} frames, "
                     f"{fmt(r.get('labeled_windows_mean'))} labeled windows per frame"
                     + (f" (first skip: {r['first_skip_reason']})" if r.get("first_skip_reason") else ""))
    return lines, configs


def reference_table(ref, mode):
    if not isinstance(ref, dict):
        return ["(no reference results)"], {}
    if mode == "cpu":
        return [f"cpu_loop.py, torch {ref.get('torch')}, {ref.get('threads')} threads, {ref.get('width')}×{ref.get('height')}, "
                f"{ref.get('models')}: {fmt(ref.get('frames_per_s'), 3)} frames/s"], \
            {(ref.get("width"), ref.get("height"), 1): ref.get("frames_per_s")}
    lines = ["| size | batch | frames/s (e2e) | ms/step: pre / b / c / d (inst) | peak MiB |", "| --- | --- | --- | --- | --- |"]
    fps = {}
    for key, r in ref.items():
        if not isinstance(r, dict) or "W" not in r:
            continue
        if "error" in r:
            lines.append(f"| {r['W']}×{r['H']} | {r['B']} | error: {r['error'].strip().splitlines()[-1]} | | |")
            continue
        e2e, inst = r.get("e2e", {}), r.get("inst", {})
        fps[(r["W"], r["H"], r["B"])] = e2e.get("fps")
        stages = " / ".join(fmt(inst.get(s, {}).get("ms_step"), 2) for s in ("pre", "b", "c", "d"))
        lines.append(f"| {r['W']}×{r['H']} | {r['B']} | {fmt(e2e.get('fps'))} | {stages} | {fmt(e2e.get('peak_alloc_mb'), 0)} |")
    return lines, fps


def report(args):
    work, out = args.work, args.out
    os.makedirs(out, exist_ok=True)
    e = read_json(os.path.join(work, "env.json")) or {}
    phases = read_phases(os.path.join(work, "phases.tsv"))
    tests = read_ctest(os.path.join(work, "ctest.xml"))
    bench = read_jsonl(os.path.join(work, "core-bench.jsonl"))
    # results_reference.json: what gpu_loop.py saved before its phase was stopped.
    ref = read_json(os.path.join(work, "reference.json")) or read_json(os.path.join(work, "results_reference.json"))
    result = "failed" if args.failed else "passed"
    everything = {"mode": args.mode, "result": result, "failed_phase": args.failed or None, "seconds": args.seconds, "env": e,
                  "phases": phases, "tests": tests, "core_bench": bench, "reference": ref}
    with open(os.path.join(out, "gpu-check.json"), "w") as f:
        json.dump(everything, f, indent=1, default=str)
    for name in ("core-bench.jsonl", "reference.json", "ctest.xml"):  # a reused OUT keeps no earlier run's
        if os.path.exists(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    for name, source in (("core-bench.jsonl", "core-bench.jsonl"), ("reference.json", "reference.json"),
                         ("reference.json", "results_reference.json"), ("ctest.xml", "ctest.xml")):
        if os.path.exists(os.path.join(work, source)) and not os.path.exists(os.path.join(out, name)):
            shutil.copyfile(os.path.join(work, source), os.path.join(out, name))

    s = [f"# gpu-check, {'GPU' if args.mode == 'gpu' else 'CPU (--no-gpu)'}, {e.get('date', '?')}", ""]
    s.append(f"**{result.upper()}**" + (f" at phase {args.failed}" if args.failed else "") + f", {args.seconds} s in all.")
    s.append("")
    if args.mode == "cpu":
        s.append("With --no-gpu every figure below comes from a few steps or frames on the CPU, beside whatever else the machine "
                 "runs: they show that each path runs, they are not measurements (docs/benchmarks.md holds those).")
        s.append("")
    gpu = e.get("gpu") or e.get("nvidia_smi")
    s.append(f"- machine: {gpu + ', ' if gpu else ''}{e.get('cpu')}, {e.get('cores')} cores, {e.get('memory_gib')} GiB"
             + (f"; nvidia-smi: {e['nvidia_smi']}" if e.get("nvidia_smi") else ""))
    s.append(f"- torch {e.get('torch')} (CUDA {e.get('torch_cuda')}, cuDNN {e.get('cudnn', '–')}) from {e.get('torch_dir')}; "
             f"python {e.get('python')}")
    s.append(f"- {e.get('cxx')}; {e.get('cmake')}; ninja {e.get('ninja')}; nvcc: {e.get('nvcc')}")
    s.append("")
    s.append("| phase | status | s | limit s | note |")
    s.append("| --- | --- | --- | --- | --- |")
    for p in phases:
        s.append(f"| {p.get('phase')} | {p.get('status')} | {fmt(p.get('seconds'))} | {fmt(p.get('limit_s'), 0)} | {p.get('note', '')} |")
    s.append("")
    if tests:
        s.append(f"Core tests (ctest -L core): {tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped, "
                 f"of {tests['total']}.")
        if tests["failed_tests"]:
            s.append("Failed: " + ", ".join(tests["failed_tests"]))
        s.append("")
    env_line = next((r for r in bench if r.get("bench") == "env"), {})
    s.append(f"## vidssl_core_bench ({env_line.get('device', '?')}, torch {env_line.get('torch', '?')}, {env_line.get('threads', '?')} threads)")
    s.append("")
    table, configs = bench_table(bench)
    s.extend(table)
    s.append("")
    s.append("A and B: `train()` on B clips, median ms with the device synchronized after each step; clips/s back to back. "
             "C: `consume()` of one stereo pair (stereo, plane, labels, one update of 64 windows, every band classified). "
             "Loop: one thread, per frame preprocessing then each model's `consume()`; A and B train on B clips from their replay "
             "buffers every frame, so at batch B a frame is B clips (the reference's batch takes B new frames per step). "
             "Pipeline: the same three models on their own threads, as `vidssl run` wires them.")
    s.append("")
    s.append("## Reference loop" + (" (gpu_loop.py, eager, same sitting)" if args.mode == "gpu" else " (cpu_loop.py, same sitting)"))
    s.append("")
    rtable, fps = reference_table(ref, args.mode)
    s.extend(rtable)
    if fps:
        s.append("")
        s.append("| size | batch | vidssl loop clips/s | reference clips/s | ratio |")
        s.append("| --- | --- | --- | --- | --- |")
        for w, h, b in configs:
            if args.mode == "cpu" and (w, h, b) not in fps:
                continue
            loop = next((r for r in bench if r.get("bench") == "loop" and r.get("width") == w and r.get("height") == h
                         and r.get("batch") == b), {})
            ours = loop.get("frames_per_s") * b if loop.get("frames_per_s") else None
            theirs = fps.get((w, h, b))
            ratio = ours / theirs if ours and theirs else None
            s.append(f"| {w}×{h} | {b} | {fmt(ours)} | {fmt(theirs)} | {fmt(ratio, 2)} |")
        s.append("")
        s.append("Clips/s: frames/s × batch for vidssl (each frame trains on B clips), frames/s for the reference (B new frames per "
                 "step). Model C and the reference's (d) differ: C computes stereo, a plane and labels; (d) trains on random labels.")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(s) + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("env")
    a.add_argument("--out", required=True)
    a.add_argument("--mode", choices=("gpu", "cpu"), required=True)
    r = sub.add_parser("report")
    r.add_argument("--work", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--mode", choices=("gpu", "cpu"), required=True)
    r.add_argument("--seconds", type=int, default=0)
    r.add_argument("--failed", default="")
    args = ap.parse_args()
    return env(args) if args.command == "env" else report(args)


if __name__ == "__main__":
    sys.exit(main())
