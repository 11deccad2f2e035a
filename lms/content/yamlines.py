"""The one YAML stack (ruamel.yaml): reading course files with the line of every entry, within
bounds, and the round-trip reader and writer the editor changes files with.

Course files are read with ruamel.yaml's safe loader on libyaml (ruamel.yaml.clib): the bounds
are checked on its event stream, which it produces without recursion, then the same text is
composed and built into LineDict/LineList with the line of each key and item; both take a
fraction of a second at the size limit, where a pure-Python parser takes seconds (and minutes on
deeply nested flow collections). Plain values resolve as YAML 1.1 did for the platform since its
start (yes/no/on/off are booleans, 017 is octal, 1:30 is sexagesimal; y and n stay words).
The editor reads and writes with ruamel.yaml's round trip (`round_trip`), which keeps comments,
quoting and order, and is only given texts that pass `yaml_problem`.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.dumper import SafeDumper
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from lms.content.problems import Problems

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_DEPTH", "MAX_YAML_NODES", "YAMLError", "YamlLimitError",
           "LineDict", "LineList", "check_events", "dump", "dump_scalar", "load_mapping", "round_trip",
           "safe_load", "yaml_problem"]

# Bounds on what one YAML text may ask of the parser. Anchors and aliases are refused: an
# alias is a reference, and a few nested ones ("billion laughs") expand to gigabytes when the
# document is walked.
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 50_000

# The implicit types of plain values, as course files have always been read (YAML 1.1 as
# libyaml's PyYAML binding resolved them; ruamel.yaml's own 1.1 table also takes y/n as booleans
# and 1e3 as a float, its 1.2 table takes yes/no as words).
_IMPLICIT = [
    ("tag:yaml.org,2002:bool", r"""^(?:yes|Yes|YES|no|No|NO
        |true|True|TRUE|false|False|FALSE
        |on|On|ON|off|Off|OFF)$""", "yYnNtTfFoO"),
    ("tag:yaml.org,2002:float", r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    ("tag:yaml.org,2002:int", r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+
        |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""", "-+0123456789"),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
    ("tag:yaml.org,2002:null", r"""^(?: ~
        |null|Null|NULL
        | )$""", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
         (?:[Tt]|[ \t]+)[0-9][0-9]?
         :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
         (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", "0123456789"),
    ("tag:yaml.org,2002:value", r"^(?:=)$", "="),
]
_TABLE: dict = {}
for _tag, _pattern, _first in _IMPLICIT:
    for _ch in _first:
        _TABLE.setdefault(_ch, []).append((_tag, re.compile(_pattern, re.X)))


class _Resolver(VersionedResolver):
    """ruamel.yaml's resolver with the table above (processing version 1.1 for the constructor)."""

    @property
    def versioned_resolver(self) -> dict:
        # resolve() extends the list it gets with the entry for None, which the table has not.
        return _TABLE


class _Constructor(SafeConstructor):
    """ruamel.yaml's safe constructor; a float tagged !!float without a dot (1e3) is read as
    PyYAML read it, where ruamel.yaml warns about YAML 1.1."""

    def construct_yaml_float(self, node) -> float:
        text = self.construct_scalar(node).replace("_", "").lower()
        mantissa, exponent, _ = text.partition("e")
        if exponent and "." not in mantissa and ":" not in text:
            return float(text)
        return super().construct_yaml_float(node)


_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)


try:  # libyaml through ruamel.yaml.clib (a dependency on CPython)
    from ruamel.yaml.cyaml import CParser

    class _Loader(CParser, _Constructor, _Resolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            _Constructor.__init__(self, loader=self)
            _Resolver.__init__(self, version=(1, 1), loader=self)
            self.allow_duplicate_keys = False
except ImportError:  # pragma: no cover - the pure-Python parser: same results, far slower
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.reader import Reader
    from ruamel.yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, _Constructor, _Resolver):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            self.comment_handling = None
            Reader.__init__(self, text, loader=self)
            Scanner.__init__(self, loader=self)
            Parser.__init__(self, loader=self)
            Composer.__init__(self, loader=self)
            _Constructor.__init__(self, loader=self)
            _Resolver.__init__(self, version=(1, 1), loader=self)
            self.allow_duplicate_keys = False


class _Dumper(SafeDumper, _Resolver):
    """The safe dumper quoting what the resolver above would not read back as the same value."""

    def __init__(self, stream, **kwargs) -> None:
        super().__init__(stream, **kwargs)
        self._loader_version = (1, 1)


def _refuse(message: str, mark) -> YAMLError:
    return ComposerError(None, None, message, mark)


def check_events(text: str) -> None:
    """Refuse anchors, aliases, nesting deeper than MAX_YAML_DEPTH and more than MAX_YAML_NODES
    values, reading the parser's events (flat, no document built). Raises YAMLError."""
    depth = nodes = 0
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                raise _refuse("anchors (&name) and aliases (*name) are not allowed in course files; "
                              "write the value out", event.start_mark)
            if isinstance(event, (ScalarEvent, CollectionStartEvent)):
                nodes += 1
                if nodes > MAX_YAML_NODES:
                    raise _refuse(f"more than {MAX_YAML_NODES} values in one file", event.start_mark)
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _refuse(f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()


class YamlLimitError(YAMLError):
    """A YAML text beyond the bounds: too large (no position); the rest are ComposerError with a line."""


def _check_size(text: str) -> None:
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimitError(f"the file is larger than {MAX_YAML_BYTES // 1024} KB")


def safe_load(text: str) -> Any:
    """The document as plain dicts, lists and values, within the bounds; raises YAMLError (with a
    line where there is one; duplicate keys are errors) or ValueError."""
    _check_size(text)
    check_events(text)
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _mark_line(exc: YAMLError, offset: int = 0) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 + offset if mark is not None else None


def _problem(exc: YAMLError) -> str:
    return getattr(exc, "problem", None) or str(exc)


def yaml_problem(text: str) -> tuple[int | None, str] | None:
    """(line, message) if the text is beyond the bounds or not YAML, else None; the round-trip
    editor is given only texts that pass this check."""
    try:
        safe_load(text)
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, str(exc)
    except YAMLError as exc:
        return _mark_line(exc), _problem(exc)
    return None


def round_trip() -> YAML:
    """ruamel.yaml's round-trip reader and writer, as the editor writes course files."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump(doc) -> str:
    """A document written with the round trip (a mapping read by it keeps its comments)."""
    out = io.StringIO()
    round_trip().dump(doc, out)
    return out.getvalue()


def dump_scalar(value: object) -> str:
    """One value as it is written after `key: ` on a line of a YAML file, quoted where needed."""
    out = io.StringIO()
    dumper = _Dumper(out, default_flow_style=True, allow_unicode=True, width=10_000)
    try:
        dumper._serializer.open()
        dumper._representer.represent(value)
        dumper._serializer.close()
    finally:
        dumper._emitter.dispose()
    return out.getvalue().strip().removesuffix("...").strip()


class LineDict(dict):
    """A YAML mapping; .line(key) is the 1-based line of the key, .first_line its start."""

    first_line: int = 1
    key_lines: dict

    def line(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)


class LineList(list):
    """A YAML sequence; .line(i) is the 1-based line of item i."""

    first_line: int = 1
    item_lines: list

    def line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.first_line


def _build_mapping(node: MappingNode, loader: _Loader, file: str, problems: Problems, offset: int) -> LineDict:
    result = LineDict()
    result.first_line = node.start_mark.line + 1 + offset
    result.key_lines = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1 + offset
        key = loader.construct_object(key_node) if isinstance(key_node, ScalarNode) else None
        if not isinstance(key, (str, int, float, bool)) or key is None:
            problems.error(file, key_line, "keys must be plain words")
            continue
        key = str(key)
        if key in result:
            problems.error(file, key_line, f"duplicate key '{key}'")
            continue
        result[key] = _build(value_node, loader, file, problems, offset)
        result.key_lines[key] = key_line
    return result


def _build(node, loader: _Loader, file: str, problems: Problems, offset: int) -> Any:
    if isinstance(node, MappingNode):
        return _build_mapping(node, loader, file, problems, offset)
    if isinstance(node, SequenceNode):
        items = LineList()
        items.first_line = node.start_mark.line + 1 + offset
        items.item_lines = []
        for child in node.value:
            items.append(_build(child, loader, file, problems, offset))
            items.item_lines.append(child.start_mark.line + 1 + offset)
        return items
    return loader.construct_object(node, deep=True)


def _compose(text: str, file: str, problems: Problems, line_offset: int):
    """The node tree of a text within the bounds that must be a mapping, or None (reported)."""
    if len(text) > MAX_YAML_BYTES:
        problems.error(file, None, f"the file is larger than {MAX_YAML_BYTES // 1024} KB")
        return None
    try:
        check_events(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except YAMLError as exc:
        problems.error(file, _mark_line(exc, line_offset), f"invalid YAML: {_problem(exc)}")
        return None
    if node is None:
        problems.error(file, line_offset + 1, "empty: expected a mapping of keys")
        return None
    if not isinstance(node, MappingNode):
        problems.error(file, node.start_mark.line + 1 + line_offset, "expected a mapping of keys (key: value)")
        return None
    return node


def load_mapping(text: str, file: str, problems: Problems, line_offset: int = 0) -> LineDict | None:
    """Parse YAML text that must be a mapping; report syntax errors, duplicate keys and texts
    beyond the bounds (size, anchors and aliases, depth, number of values)."""
    node = _compose(text, file, problems, line_offset)
    if node is None:
        return None
    loader = _Loader("")
    try:
        return _build(node, loader, file, problems, line_offset)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.error(file, mark.line + 1 + line_offset if mark else None, f"invalid YAML: {exc}")
        return None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        problems.error(file, None, f"invalid YAML: {exc}")
        return None
    finally:
        loader.dispose()
