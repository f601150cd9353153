"""`zeromeet unit add`, `channel add` and `calendar load` as real subprocesses, and the
public form they set up answering on a real server."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tests.support.proc import env_for, run


def test_a_bureau_is_set_up_from_the_command_line(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", ZEROMEET_PUBLIC_URL="https://meet.example.gov.cn")
    done = run(["unit", "add", "--code", "city", "--name", "济南市劳动保障监察支队"], env)
    assert done.returncode == 0, done.stderr
    done = run(["unit", "add", "--code", "lixia", "--name", "历下区大队", "--parent", "city",
                "--district", "历下区"], env)
    assert done.returncode == 0, done.stderr
    again = run(["unit", "add", "--code", "city", "--name", "x"], env)
    assert again.returncode == 1 and "exists already" in again.stderr
    lost = run(["unit", "add", "--code", "y", "--name", "y", "--parent", "nowhere"], env)
    assert lost.returncode == 1 and "no unit 'nowhere'" in lost.stderr

    done = run(["channel", "add", "--unit", "lixia", "--name", "工地海报", "--medium", "qr",
                "--qr-dir", str(tmp_path / "qr")], env)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip().splitlines()[-1]
    assert url.startswith("https://meet.example.gov.cn/r/") and len(url.rsplit("/", 1)[1]) == 8
    channel = url.rsplit("/", 1)[1]
    png = (tmp_path / "qr" / f"channel-{channel}.png").read_bytes()
    svg = (tmp_path / "qr" / f"channel-{channel}.svg").read_text()
    assert png.startswith(b"\x89PNG") and "<svg" in svg
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert cv2.QRCodeDetector().detectAndDecode(image)[0] == url  # a phone's camera reads the link

    user = run(["user", "add", "--role", "supervisor", "--username", "qian", "--unit", "lixia",
                "--password-stdin"], env, stdin="a long enough password\n")
    assert user.returncode == 0, user.stderr

    calendar = tmp_path / "2026.csv"
    calendar.write_text("# 2026\n2026-10-01,holiday,国庆节\n2026-10-10,workday,调休\n", encoding="utf-8")
    done = run(["calendar", "load", str(calendar)], env)
    assert done.returncode == 0 and "loaded 2 days" in done.stdout, done.stderr
    calendar.write_text("2026-10-01,party\n", encoding="utf-8")
    bad = run(["calendar", "load", str(calendar)], env)
    assert bad.returncode == 2 and "line 1" in bad.stderr
