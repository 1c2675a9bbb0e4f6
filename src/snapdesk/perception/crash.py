"""What a crash screen or log says: the exceptions named, the first stack frame in the app's own code, and the
app classes of the first few frames (Java/Kotlin traces and iOS crash reports)."""

from __future__ import annotations

import re

_EXCEPTION = re.compile(
    r"((?:[a-z_][\w$]*\.)*[A-Z]\w*(?:Exception|Error))\b|\b(EXC_[A-Z_]+|SIG(?:SEGV|ABRT|BUS|ILL|KILL|TRAP|FPE)|ANR)\b"
)
_FRAME = re.compile(r"^\s*(?:at\s+|\d+\s+\S+\s+)?([\w$.]+?\.[A-Z]\w*(?:\.[\w$<>]+)?)\s*\(")
_IOS_FRAME = re.compile(r"^\s*\d+\s+(\S+)\s+(?:0x[0-9a-fA-F]+\s+)?([A-Z][A-Za-z0-9_]+)")
_SYSTEM_MODULES = (
    "UIKit",
    "CoreFoundation",
    "Foundation",
    "libobjc",
    "libsystem",
    "libdispatch",
    "GraphicsServices",
)
_FRAMEWORK_PACKAGES = (
    "android.",
    "java.",
    "javax.",
    "kotlin.",
    "kotlinx.",
    "dalvik.",
    "com.android.",
    "androidx.",
)


def exceptions(text: str) -> list[str]:
    """Exception and signal names in the order they appear, each once."""
    return list(dict.fromkeys(m.group(1) or m.group(2) for m in _EXCEPTION.finditer(text)))


def app_frames(texts: list[str]) -> tuple[str | None, list[str]]:
    """The first stack frame in the app's own code, and the app classes of the first few frames."""
    top: str | None = None
    classes: list[str] = []
    for text in texts:
        m = _FRAME.match(text)
        if m and not m.group(1).startswith(_FRAMEWORK_PACKAGES):
            top = top or m.group(1)
            name = next((part for part in reversed(m.group(1).split(".")) if part[:1].isupper()), None)
            if name:
                classes.append(name.split("$")[0])
        ios = _IOS_FRAME.match(text)
        if ios and not ios.group(1).startswith(_SYSTEM_MODULES):
            top = top or f"{ios.group(1)} {ios.group(2)}"
            classes.append(ios.group(2))
    return top, list(dict.fromkeys(classes))[:3]
