"""Errors the twin models raise. The layers above translate them; none is ever turned into a success."""

from __future__ import annotations


class NotSimulated(Exception):
    """The twin cannot know the answer (a lookup outside what it models): the lab must fail loudly.

    Translators answer it as `lab: not simulated: <message>`, in the form the caller expects (module failure,
    probe item error, cmd or PowerShell error).
    """

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what

    def __str__(self) -> str:
        return f"lab: not simulated: {self.what}"


class Win32Error(Exception):
    """A Windows API failure with its Win32 error code and system message (as FormatMessage gives it)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
