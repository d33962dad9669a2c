"""The code blocks of README.md and docs/*.md, parsed with markdown-it (fenced and indented
blocks alike), and the shell command lines in them, for the tests that run what the docs show."""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[1]
DOCS = ("README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")))
# The first word of a command line a user types (a block of only such lines is a shell block).
PROGRAMS = ("bninit", "python", "pip", "tensorboard", "apt-get", "scripts/", ".venv/bin/")


@dataclass(frozen=True)
class Block:
    doc: str  # "README.md", "docs/report.md"
    line: int  # 1-based line of its first line in the doc
    lang: str  # the fence's info ("python", "bash"), "" for an indented block
    text: str

    @property
    def first(self) -> str:
        return self.text.splitlines()[0] if self.text else ""

    @property
    def kind(self) -> str:
        """python; shell (command lines, maybe beside a layout they use, or `$ ` prompts with
        their output); or text (an output, a file's content, a layout)."""
        if self.lang == "python":
            return "python"
        if self.lang in ("bash", "sh") or self.text.startswith("$ "):
            return "shell"
        return "shell" if any(is_command(line) for line in self.text.splitlines()) else "text"


@dataclass(frozen=True)
class Command:
    """One command line of a shell block: its words (comment and `$ ` dropped, continuation
    lines joined), the comment, and for a `$ ` prompt the output lines shown under it."""

    block: Block | None  # None: a command named in a doc's prose
    argv: tuple[str, ...]
    comment: str
    shown: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return " ".join(self.argv)


def is_command(line: str) -> bool:
    """A line a user types (not an output line such as `bninit train: error: ...`)."""
    words = line.split()
    return bool(words) and words[0].startswith(PROGRAMS) and not (len(words) > 1 and words[1].endswith(":"))


def blocks(doc: str) -> list[Block]:
    """Every code block of `doc` (a path relative to the repo), in order."""
    tokens = MarkdownIt("commonmark").parse((REPO / doc).read_text())
    return [
        Block(doc, t.map[0] + 1, t.info.strip(), t.content)
        for t in tokens
        if t.type in ("fence", "code_block")
    ]


def all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in blocks(doc)]


def block(doc: str, first: str) -> Block:
    """The block of `doc` whose first line starts with `first`; fails (a test failure, not a skip)
    when the doc no longer has it."""
    found = [b for b in blocks(doc) if b.first.startswith(first)]
    assert len(found) == 1, f"{doc} has {len(found)} code blocks starting with {first!r}, expected 1"
    return found[0]


def commands(b: Block) -> list[Command]:
    """The command lines of a shell block."""
    found: list[Command] = []
    pending = ""
    prompts = b.text.startswith("$ ")  # a transcript: `$ ` lines are commands, the rest output
    for line in b.text.splitlines():
        if pending:
            line, pending = pending + " " + line.strip(), ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1].rstrip()
            continue
        if line.startswith("$ ") if prompts else is_command(line):
            argv, comment = split_comment(line.removeprefix("$ "))
            found.append(Command(b, tuple(argv), comment))
        elif prompts and line.strip() and found:
            last = found[-1]
            found[-1] = Command(b, last.argv, last.comment, (*last.shown, line))
    return found


def split_comment(line: str) -> tuple[list[str], str]:
    """(the words, the trailing `# comment`) of a shell line."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words = []
    for word in lexer:
        if word.startswith("#"):
            break
        words.append(word)
    match = re.search(r"\s#\s*(.*)$", line)
    return words, match.group(1).strip() if match else ""


def all_commands() -> list[Command]:
    return [c for b in all_blocks() if b.kind == "shell" for c in commands(b)]


def _tokens(doc: str):
    return MarkdownIt("commonmark").enable("table").parse((REPO / doc).read_text())


def _flat(text: str) -> str:
    return " ".join(text.split())


def inline_code(doc: str, start: str) -> str:
    """The one `code span` of `doc`'s prose that starts with `start` (line breaks read as spaces)."""
    spans = [
        _flat(child.content)
        for t in _tokens(doc)
        if t.type == "inline"
        for child in t.children or ()
        if child.type == "code_inline" and _flat(child.content).startswith(start)
    ]
    assert len(set(spans)) == 1, f"{doc} has {len(set(spans))} code spans starting with {start!r}, expected 1"
    return spans[0]


def tables_after(doc: str, marker: str) -> list[list[str]]:
    """The Markdown tables (each as its lines) right after the paragraph of `doc` that contains
    `marker`, up to the next paragraph, heading or block; fails when there are none."""
    tokens, lines = _tokens(doc), (REPO / doc).read_text().splitlines()
    starts = [i for i, t in enumerate(tokens) if t.type == "inline" and marker in _flat(t.content)]
    assert len(starts) == 1, f"{doc} has {len(starts)} paragraphs containing {marker!r}, expected 1"
    tables = []
    for t in tokens[starts[0] + 2 :]:  # after the paragraph's inline and close tokens
        if t.level == 0 and t.type == "table_open":
            tables.append(lines[t.map[0] : t.map[1]])
        elif t.level == 0 and (t.type.endswith("_open") or t.type in ("fence", "code_block")):
            break
    assert tables, f"{doc}: no table after the paragraph containing {marker!r}"
    return tables
