"""What PowerShell makes of the literal subset the controller renders (plugins/plugin_utils/_psliteral.py).

The lab reads a script's request the way powershell.exe would evaluate it: @{...} hashtables (keys ignore
case), @(...) arrays (with PowerShell's flattening of a lone inner array), single-quoted strings (any of the
four single-quote characters ends one; doubling escapes it), decimal integers, $true, $false, $null.
Anything else (double-quoted strings, variables, casts, comments, hex or suffixed numbers) raises ValueError:
the lab must not guess what a richer script would have done.
"""

from __future__ import annotations

import re

QUOTES = "'\u2018\u2019\u201a\u201b"
_INT = re.compile(r"-?\d+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONSTANTS = {"$true": True, "$false": False, "$null": None}


def parse(text: str):
    """The value of a whole text that is one literal."""
    p = _Parser(text)
    value = p.value()
    p.ws()
    if p.pos != len(text):
        raise ValueError(f"unexpected text after the literal at {p.pos}: {text[p.pos:p.pos + 30]!r}")
    return value


def parse_assignment(script: str, name: str):
    """The value assigned by the first line `$<name> = <literal>`; nothing may follow it on its last line."""
    m = re.search(rf"^[ \t]*\${re.escape(name)}[ \t]*=[ \t]*", script, re.M | re.I)
    if not m:
        raise ValueError(f"no ${name} = ... assignment in the script")
    p = _Parser(script, m.end())
    value = p.value()
    rest = script[p.pos:].split("\n", 1)[0]
    if rest.strip(" \t\r;"):
        raise ValueError(f"unexpected text after ${name}: {rest.strip()[:30]!r}")
    return value


class _Parser:
    def __init__(self, text: str, pos: int = 0):
        self.text, self.pos = text, pos

    def fail(self, what: str):
        raise ValueError(f"{what} at {self.pos}: {self.text[self.pos:self.pos + 30]!r}")

    def ws(self, newlines: bool = True) -> None:
        chars = " \t\r\n" if newlines else " \t"
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def value(self):
        self.ws()
        if self.peek(2) == "@{":
            return self.hashtable()
        if self.peek(2) == "@(":
            return self.array()
        if self.peek() and self.peek() in QUOTES:
            return self.string()
        low = self.text[self.pos:self.pos + 6].lower()
        for word, constant in _CONSTANTS.items():
            if low.startswith(word) and not _WORD.match(self.text, self.pos + len(word)):
                self.pos += len(word)
                return constant
        m = _INT.match(self.text, self.pos)
        if m and not re.match(r"[\w.]", self.text[m.end():m.end() + 1]):
            self.pos = m.end()
            return int(m.group())
        self.fail("not a literal of the supported subset")

    def string(self) -> str:
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in QUOTES:
                if self.peek(2)[1:] and self.peek(2)[1] in QUOTES:  # doubled: one literal quote character
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        self.fail("unterminated string")

    def hashtable(self) -> dict:
        self.pos += 2
        out: dict = {}
        while True:
            self.ws()
            while self.peek() == ";":
                self.pos += 1
                self.ws()
            if self.peek() == "}":
                self.pos += 1
                return out
            if self.peek() and self.peek() in QUOTES:
                key = self.string()
            else:
                m = _WORD.match(self.text, self.pos)
                if not m:
                    self.fail("expected a hashtable key")
                key, self.pos = m.group(), m.end()
            if any(k.lower() == key.lower() for k in out):
                self.fail(f"duplicate hashtable key {key!r}")
            self.ws(newlines=False)
            if self.peek() != "=":
                self.fail("expected '='")
            self.pos += 1
            out[key] = self.value()
            self.ws(newlines=False)
            if self.peek() not in (";", "\r", "\n", "}"):
                self.fail("expected ';', a newline or '}'")

    def array(self) -> list:
        self.pos += 2
        self.ws()
        if self.peek() == ")":
            self.pos += 1
            return []
        if self.peek() == ",":  # unary comma: a one-element array holding the value as it is
            self.pos += 1
            item = self.value()
            self.ws()
            if self.peek() != ")":
                self.fail("expected ')' after a unary-comma element")
            self.pos += 1
            return [item]
        items = [self.value()]
        while True:
            self.ws(newlines=False)
            if self.peek() == ",":
                self.pos += 1
                items.append(self.value())
                continue
            self.ws()
            if self.peek() != ")":
                self.fail("expected ',' or ')'")
            self.pos += 1
            # @(x) where x is already an array yields x itself, as the array subexpression operator does
            return items[0] if len(items) == 1 and isinstance(items[0], list) else items
