"""The Markdown tables: rows, notes, labels and percentages."""

from __future__ import annotations

from typing import Any

# ---------------------------------------------------------------- output

def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    ncpu = meta["cpu_count"]
    lines = [
        f"Live interviews, every party recorded; {meta['video']} + {meta['audio']}; "
        f"{meta['seconds']:g} s window after {meta['warmup']:g} s warm-up; {ncpu} cores.",
        "",
        "| forwarding | interviews | parties | server CPU per party (% core) | server RSS per party (MB) "
        "| video delivered | audio delivered | video fps received (mean / min) | video fps sent "
        "| keyframe recovery (median / max s) | first picture (median / max s) "
        "| server CPU (cores) | client CPU (cores) | machine CPU busy (cores of "
        f"{ncpu}) | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        mode = r.get("mode", "packets")
        if "error" in r:
            lines.append(f"| {mode} | {_label(r)} | {r['parties']} | failed: {r['error'][:120]} |" + " |" * 11)
            continue
        fps = "–" if r.get("solo") else f"{r['video_fps_received_mean']:.1f} / {r['video_fps_received_min']:.1f}"
        lines.append(
            f"| {mode} | {_label(r)} | {r['parties']} | {r['server_cpu_per_party_core_pct']:.1f} "
            f"| {r['server_rss_per_party_mb']:.1f} | {pct(r['video_delivered'])} | {pct(r['audio_delivered'])} "
            f"| {fps} | {r['video_fps_sent_mean']:.1f} | {_pair(r.get('keyframe_recovery_s'))} "
            f"| {_pair(r.get('first_picture_s'))} | {r['server_cpu_cores']:.2f} | {r['client_cpu_cores']:.2f} "
            f"| {r['machine_busy_cores']:.2f} | {_notes(r, ncpu)} |")
    ratios = _ratios(rows)
    if ratios:
        lines += ["", "Server CPU per party, transcoding over forwarding, same run: " + ", ".join(ratios) + "."]
    lines += [
        "",
        "Baselines (the same server before any party joined) and the rest of the machine:",
        "",
        "| forwarding | interviews | idle server CPU (% core) | idle server RSS (MB) | loaded server RSS (MB) "
        "| RSS vs idle | client CPU per party (% core) | weed CPU (% core) | other load on the machine (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "error" in r:
            continue
        lines.append(
            f"| {r.get('mode', 'packets')} | {_label(r)} | {r['idle']['server_cpu_core_pct']:.1f} "
            f"| {r['idle']['server_rss_mb']:.0f} "
            f"| {r['server_rss_mb']:.0f} | ×{r['server_rss_vs_idle']:.2f} | {r['client_cpu_per_party_core_pct']:.1f} "
            f"| {100 * r['weed_cpu_cores']:.1f} | {r['other_load_cores']:.2f} |")
    lines += [
        "",
        "Delivered = frames (video) / packets (audio) the other party received, over those sent, in the "
        "window (cheap parties count frames without decoding them). Server RSS per party = (mean RSS in "
        "the window − idle RSS) / parties. Other load = machine busy − server − clients − weed. Keyframe "
        "recovery: each party sends a PLI for each video it receives and times the next keyframe. When "
        "machine CPU busy nears the core count, or sent fps falls below 30, the numbers are client-bound.",
    ]
    return "\n".join(lines)


def _pair(values: dict[str, Any] | None) -> str:
    if not values or values.get("median") is None:
        return "–"
    missing = values.get("missing")
    extra = f" ({missing} of {values['asked']} never)" if missing else ""
    return f"{values['median']:.2f} / {values['max']:.2f}{extra}"


def _ratios(rows: list[dict[str, Any]]) -> list[str]:
    done = [r for r in rows if "error" not in r and not r.get("solo")]
    forwarded = {r["interviews"]: r for r in done if r.get("mode", "packets") == "packets"}
    out = []
    for r in done:
        if r.get("mode") == "transcode" and r["interviews"] in forwarded:
            base = forwarded[r["interviews"]]["server_cpu_per_party_core_pct"]
            if base > 0:
                out.append(f"×{r['server_cpu_per_party_core_pct'] / base:.1f} at {r['interviews']}")
    return out


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
    return "1 (inspector alone: received and recorded, not forwarded)" if row.get("solo") else str(row["interviews"])


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"
