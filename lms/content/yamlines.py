"""YAML that remembers where things are: mappings and lists carry the line of each entry."""

from __future__ import annotations

from typing import Any

import yaml

from lms.content.problems import Problems

# Bounds on what one YAML text may ask of the parser. Anchors and aliases are refused: an
# alias is a reference, and a few nested ones ("billion laughs") expand to gigabytes when the
# document is walked.
MAX_YAML_BYTES = 256 * 1024
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 50_000


# libyaml (C) where installed: the bounds are checked on its event stream, which it produces
# without recursion, then the same text is composed; both take a fraction of a second at the
# size limit, where the pure-Python parser takes seconds.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse(message: str, mark) -> yaml.YAMLError:
    return yaml.composer.ComposerError(None, None, message, mark)


def check_events(text: str) -> None:
    """Refuse anchors, aliases, nesting deeper than MAX_YAML_DEPTH and more than MAX_YAML_NODES
    values, reading the parser's events (flat, no document built). Raises yaml.YAMLError."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _refuse("anchors (&name) and aliases (*name) are not allowed in course files; "
                          "write the value out", event.start_mark)
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _refuse(f"more than {MAX_YAML_NODES} values in one file", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _refuse(f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class YamlLimitError(yaml.YAMLError):
    """A YAML text beyond the bounds: too large (no position); the rest are yaml.composer.ComposerError with a line."""


def _check_size(text: str) -> None:
    if len(text) > MAX_YAML_BYTES:
        raise YamlLimitError(f"the file is larger than {MAX_YAML_BYTES // 1024} KB")


def safe_load(text: str) -> Any:
    """yaml.safe_load within the bounds; raises yaml.YAMLError (with a line where there is one)."""
    _check_size(text)
    check_events(text)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader


def yaml_problem(text: str) -> tuple[int | None, str] | None:
    """(line, message) if the text is beyond the bounds or not YAML, else None; for the round-trip
    editor (ruamel.yaml), which is given only texts that pass this check."""
    try:
        safe_load(text)
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, str(exc)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        return (mark.line + 1 if mark is not None else None), (getattr(exc, "problem", None) or str(exc))
    return None


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


def _build(node: yaml.Node, loader: yaml.SafeLoader, file: str, problems: Problems, offset: int) -> Any:
    line = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.first_line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1 + offset
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
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
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.first_line = line
        items.item_lines = []
        for child in node.value:
            items.append(_build(child, loader, file, problems, offset))
            items.item_lines.append(child.start_mark.line + 1 + offset)
        return items
    return loader.construct_object(node, deep=True)


def load_mapping(text: str, file: str, problems: Problems, line_offset: int = 0) -> LineDict | None:
    """Parse YAML text that must be a mapping; report syntax errors, duplicate keys and texts
    beyond the bounds (size, anchors and aliases, depth)."""
    if len(text) > MAX_YAML_BYTES:
        problems.error(file, None, f"the file is larger than {MAX_YAML_BYTES // 1024} KB")
        return None
    try:
        check_events(text)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        problems.error(file, line, f"invalid YAML: {problem}")
        return None
    if node is None:
        problems.error(file, line_offset + 1, "empty: expected a mapping of keys")
        return None
    if not isinstance(node, yaml.MappingNode):
        problems.error(file, node.start_mark.line + 1 + line_offset, "expected a mapping of keys (key: value)")
        return None
    loader = yaml.SafeLoader("")
    try:
        return _build(node, loader, file, problems, line_offset)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.error(file, mark.line + 1 + line_offset if mark else None, f"invalid YAML: {exc}")
        return None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        problems.error(file, None, f"invalid YAML: {exc}")
        return None
    finally:
        loader.dispose()
