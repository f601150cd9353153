"""The kinds a complaint and a channel may be: plain names, so that the command line can
offer them without loading intake and its object store."""

CATEGORIES = ("wages", "contract", "insurance", "hours", "child_labour", "other")
MEDIA = ("qr", "sms", "wechat", "phone", "window")  # how a public channel reaches people
