"""The project's PowerShell 2.0 check: does a script parse, and does it use only what Windows PowerShell 2.0 on
CLR 2 (.NET 2.0-3.5) has? Legacy sync servers (DirSync on 2008 R2) run exactly that.

There is no PowerShell here, so the script's syntax tree (tree-sitter-powershell) is checked against a denylist:
PowerShell 3+ cmdlets, types, operators, variables, syntax and parameters, and .NET 4-only members that CLR 2
lacks. Comments never count. Denylists cannot prove a script safe; they catch the mistakes people make.
"""

from __future__ import annotations

import re

import tree_sitter_powershell as tsp
from tree_sitter import Language, Parser

PARSER = Parser(Language(tsp.language()))

PS3_COMMANDS = {  # cmdlets that appeared after Windows PowerShell 2.0
    "convertto-json", "convertfrom-json", "get-ciminstance", "gcim", "invoke-cimmethod", "new-cimsession",
    "get-cimclass", "set-ciminstance", "remove-ciminstance", "new-ciminstance", "compress-archive",
    "expand-archive", "invoke-restmethod", "irm", "invoke-webrequest", "iwr", "get-filehash", "new-temporaryfile",
    "get-clipboard", "set-clipboard", "convertfrom-string", "write-information", "import-powershelldatafile",
    "get-scheduledtask", "get-netadapter", "resolve-dnsname", "test-netconnection", "get-windowsfeature",
}
PS3_TYPES = {"ordered", "pscustomobject"}
PS3_OPERATORS = {"-in", "-notin", "-shl", "-shr"}
PS3_MEMBERS = {"new", "where", "foreach"}  # [T]::new(), .Where({}), .ForEach({})
PS3_VARIABLES = {"$psitem", "$psscriptroot", "$pscommandpath"}
PS3_TOKENS = {"&&", "||", "??", "?.", "??="}
PS3_NODES = {"class_statement", "enum_statement", "using_statement"}
# parameters a PowerShell 2.0 cmdlet does not have: {command: {parameter}}
PS3_PARAMETERS = {"get-content": {"-raw"}, "gc": {"-raw"}, "cat": {"-raw"}, "type": {"-raw"},
                  "set-content": {"-nonewline"}, "out-file": {"-nonewline"}, "add-content": {"-nonewline"},
                  "get-childitem": {"-file", "-directory"}, "dir": {"-file", "-directory"},
                  "gci": {"-file", "-directory"}, "ls": {"-file", "-directory"}}
# Where-Object/ForEach-Object need a script block on 2.0 ("Where-Object Name -eq x" is 3.0 syntax)
SCRIPT_BLOCK_COMMANDS = {"where-object", "where", "?", "foreach-object", "%"}
# .NET 4 members that CLR 2 lacks, by member name (unambiguous: no .NET 2.0-3.5 type has a member so named)
DOTNET4_MEMBERS = {"isnullorwhitespace", "openbasekey", "is64bitprocess", "is64bitoperatingsystem", "hasflag",
                   "readlines", "enumeratefiles", "enumeratedirectories", "enumeratefilesystementries",
                   "tryparseexact"}
DOTNET4_TYPES = {"microsoft.win32.registryview", "registryview", "system.numerics.biginteger",
                 "system.tuple", "tuple", "system.lazy", "lazy"}
# members whose name .NET 2.0 also has on other types: refused on the types that gained them in .NET 4
# (StringBuilder.Clear, Stream.CopyTo), recognised by the variable's creation or parameter type in the script
DOTNET4_TYPED_MEMBERS = {"clear": ("system.text.stringbuilder",),
                         "copyto": ("system.io.stream", "system.io.filestream", "system.io.memorystream")}


def _typed_variables(text: str) -> dict[str, set[str]]:
    """$name -> lower type names it is created as (New-Object T / [T]::... / a [T]$param) in the script."""
    found: dict[str, set[str]] = {}
    patterns = (r"\$(\w+)\s*=\s*New-Object\s+(?:-TypeName\s+)?([\w.]+)",
                r"\$(\w+)\s*=\s*\[([\w.]+)\]::",
                r"\[([\w.]+)\]\s*\$(\w+)")
    for m in re.finditer(r"\$(\w+)\s*=\s*\[(?:System\.)?IO\.File\]::(?:Open|OpenRead|OpenWrite|Create)\(", text, re.I):
        found.setdefault(m.group(1).lower(), set()).add("system.io.filestream")  # File.Open* return a FileStream
    for i, pattern in enumerate(patterns):
        for m in re.finditer(pattern, text, re.I):
            name, type_name = (m.group(2), m.group(1)) if i == 2 else (m.group(1), m.group(2))
            type_name = type_name.lower()
            found.setdefault(name.lower(), set()).update({type_name, "system." + type_name})
    return found


def violations(source: bytes) -> list[str]:
    """Syntax errors and PowerShell 3+ / .NET 4 features in a script (comments don't count)."""
    found = []
    typed = _typed_variables(source.decode("utf-8", "replace"))

    def walk(node):
        text = node.text.decode("utf-8", "replace")
        low = text.lower()
        if node.type == "ERROR" or node.is_missing:
            found.append(f"syntax error at {node.start_point}: {text[:60]!r}")
        elif node.type in PS3_NODES:
            found.append(f"{node.type}: {text[:40]!r}")
        elif node.type == "command":
            check_command(node)
        elif node.type == "type_literal":
            name = low.strip("[]").strip()
            if name in PS3_TYPES:
                found.append(f"type {text}")
            elif name in DOTNET4_TYPES:
                found.append(f".NET 4 type {text}")
        elif node.type == "comparison_operator" and low in PS3_OPERATORS:
            found.append(f"operator {text}")
        elif node.type == "member_name":
            check_member(node, low, text)
        elif node.type == "variable" and (low in PS3_VARIABLES or low.startswith("$using:")):
            found.append(f"variable {text}")
        elif node.child_count == 0 and text in PS3_TOKENS:
            found.append(f"token {text}")
        for child in node.children:
            walk(child)

    def check_command(node):
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        if name_node is None:
            return
        name = name_node.text.decode().lower()
        if name in PS3_COMMANDS or name == "using":
            found.append(f"command {name_node.text.decode()}")
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        args = [c for c in (elements.children if elements else []) if c.type != "command_argument_sep"]
        for arg in args:
            if arg.type == "command_parameter" and arg.text.decode().lower() in PS3_PARAMETERS.get(name, ()):
                found.append(f"parameter {name_node.text.decode()} {arg.text.decode()}")
        if name in SCRIPT_BLOCK_COMMANDS and args and "script_block" not in _descendant_types(args[0]) \
                and not args[0].text.decode().startswith("-"):
            found.append(f"{name_node.text.decode()} without a script block: {node.text.decode()[:50]!r}")

    def check_member(node, low, text):
        if low in PS3_MEMBERS:
            found.append(f"member {text}")
        elif low in DOTNET4_MEMBERS:
            found.append(f".NET 4 member {text}")
        elif low in DOTNET4_TYPED_MEMBERS:
            target = node.prev_sibling.prev_sibling if node.prev_sibling is not None else None
            owner = target.text.decode().lower() if target is not None else ""
            types = typed.get(owner.lstrip("$"), set()) if owner.startswith("$") else {owner.strip("[]")}
            if types & set(DOTNET4_TYPED_MEMBERS[low]):
                found.append(f".NET 4 member {owner}.{text}")

    walk(PARSER.parse(source).root_node)
    return found


def _descendant_types(node) -> set[str]:
    types, stack = set(), [node]
    while stack:
        n = stack.pop()
        types.add(n.type)
        stack.extend(n.children)
    return types
