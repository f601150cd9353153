"""The Markdown tables: rows, notes, labels and percentages."""

from __future__ import annotations

from typing import Any


# ---------------------------------------------------------------- output

def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    ncpu = meta["cpu_count"]
    lines = [
        f"Live interviews, 640×480 test pattern ~30 fps + Opus from a WAV; {meta['seconds']:g} s window "
        f"after {meta['warmup']:g} s warm-up; {ncpu} cores; no recording.",
        "",
        "| interviews | parties | server CPU per party (% core) | server RSS per party (MB) "
        "| video delivered | audio delivered | video fps received (mean / min) | video fps sent "
        "| server CPU (cores) | client CPU (cores) | machine CPU busy (cores of "
        f"{ncpu}) | notes |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {_label(r)} | {r['parties']} | failed: {r['error'][:120]} |" + " |" * 9)
            continue
        fps = "–" if r.get("solo") else f"{r['video_fps_received_mean']:.1f} / {r['video_fps_received_min']:.1f}"
        lines.append(
            f"| {_label(r)} | {r['parties']} | {r['server_cpu_per_party_core_pct']:.1f} "
            f"| {r['server_rss_per_party_mb']:.1f} | {pct(r['video_delivered'])} | {pct(r['audio_delivered'])} "
            f"| {fps} "
            f"| {r['video_fps_sent_mean']:.1f} | {r['server_cpu_cores']:.2f} | {r['client_cpu_cores']:.2f} "
            f"| {r['machine_busy_cores']:.2f} | {_notes(r, ncpu)} |")
    lines += [
        "",
        "Baselines (the same server before any party joined) and the rest of the machine:",
        "",
        "| interviews | idle server CPU (% core) | idle server RSS (MB) | loaded server RSS (MB) | RSS vs idle "
        "| client CPU per party (% core) | weed CPU (% core) | other load on the machine (cores) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "error" in r:
            continue
        lines.append(
            f"| {_label(r)} | {r['idle']['server_cpu_core_pct']:.1f} | {r['idle']['server_rss_mb']:.0f} "
            f"| {r['server_rss_mb']:.0f} | ×{r['server_rss_vs_idle']:.2f} | {r['client_cpu_per_party_core_pct']:.1f} "
            f"| {100 * r['weed_cpu_cores']:.1f} | {r['other_load_cores']:.2f} |")
    lines += [
        "",
        "Delivered = frames (video) / packets (audio) the other party received and decoded, over those sent, "
        "in the window. Server RSS per party = (mean RSS in the window − idle RSS) / parties. "
        "Other load = machine busy − server − clients − weed (other work sharing the machine). "
        "When machine CPU busy nears the core count, or sent fps falls below 30, the numbers are client-bound.",
    ]
    return "\n".join(lines)


def _notes(row: dict[str, Any], ncpu: int) -> str:
    notes = []
    if row["machine_busy_cores"] >= 0.9 * ncpu:
        notes.append("machine saturated")
    if row["video_fps_sent_mean"] < 28:
        notes.append("clients cannot send 30 fps")
    if row["other_load_cores"] >= 0.25:
        notes.append(f"other work used {row['other_load_cores']:.1f} cores")
    if row.get("not_receiving_at_start"):
        notes.append(f"{len(row['not_receiving_at_start'])} parties without media at the start")
    ended = sum(1 for d in row["parties_detail"].values() if d["connection_at_end"] != "connected")
    if ended:
        notes.append(f"{ended} parties' connections closed by the end (ICE consent expired?)")
    unstarted = sum(1 for d in row["parties_detail"].values() if d["unstarted_senders"])
    if unstarted:
        notes.append(f"{unstarted} parties whose senders never started (aiortc race)")
    return "; ".join(notes) or "clean"


def _label(row: dict[str, Any]) -> str:
    return "1 (inspector alone: received, decoded, not forwarded)" if row.get("solo") else str(row["interviews"])


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"
