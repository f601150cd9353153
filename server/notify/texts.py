"""What each message says, in Chinese or English (the interview's language). A message
names the bureau, the time and the party's link, and nothing else about the case: it
may be read on a shared phone, and every message goes through a provider."""

from __future__ import annotations

from collections.abc import Mapping

from server.notify import Kind

_TEXTS: dict[str, dict[Kind, str]] = {
    "zh": {
        Kind.INVITATION: "{bureau}邀请您参加远程视频询问{at}。请在手机上点击链接进入：{url} "
                         "如有疑问，请致电{bureau_phone}核实。",
        Kind.REMINDER: "提醒：{bureau}的远程视频询问将于{when}开始，请届时点击链接进入：{url}",
        Kind.SIGN: "{bureau}请您阅读询问笔录并签字确认，请点击链接：{url} "
                   "如有疑问，请致电{bureau_phone}。",
    },
    "en": {
        Kind.INVITATION: "{bureau} invites you to a remote interview by video call{at}. Open "
                         "this link on your phone to join: {url} To check that this message "
                         "is genuine, call {bureau_phone}.",
        Kind.REMINDER: "Reminder: your remote interview with {bureau} starts at {when}. "
                       "Open this link to join: {url}",
        Kind.SIGN: "{bureau} asks you to read and sign the record of your interview: {url} "
                   "Questions: call {bureau_phone}.",
    },
}
_AT = {"zh": "，时间：{when}", "en": " at {when}"}


def render(kind: Kind, params: Mapping[str, str]) -> str:
    """The message's text; `params` as `Notifier.send` takes them."""
    language = "en" if params.get("language") == "en" else "zh"
    when = params.get("when") or ""
    at = _AT[language].format(when=when) if when else ""
    return _TEXTS[language][kind].format(
        bureau=params.get("bureau", ""), bureau_phone=params.get("bureau_phone", ""),
        url=params.get("url", ""), when=when, at=at)
