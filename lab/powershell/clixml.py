"""PowerShell's CLIXML error stream, as a real host writes it to stderr."""

from __future__ import annotations

from xml.sax.saxutils import escape


def error_stream(message: str) -> bytes:
    text = escape(message).replace("\r\n", "\n").replace("\n", "_x000D__x000A_")
    return (
        '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
        f'<S S="Error">{text}_x000D__x000A_</S></Objs>'
    ).encode()
